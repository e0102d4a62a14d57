//! The definition loader: the stroke register loads cleanly, and broken definitions are
//! refused with the file, the line and a reason that names the problem.

mod support;

use kvalreg_core::definition::{DefinitionError, SourceFile, load};
use support::{read_folder, stroke_folder};

/// Reads a register folder the way the application does: every file, path relative to the folder.
fn stroke_files() -> Vec<SourceFile> {
    read_folder(&stroke_folder())
}

/// A small register, valid as written; tests break one file at a time.
fn small() -> Vec<SourceFile> {
    let file = |path: &str, text: &str| SourceFile {
        path: path.to_string(),
        text: text.to_string(),
    };
    vec![
        file(
            "register.toml",
            r#"id = "small"
title = { nb = "Lite register", en = "Small register" }
period_variable = "admitted"
person_variable = "national_id"
unit_variable = "hospital"
forms = ["main"]
"#,
        ),
        file(
            "forms/main.toml",
            r#"title = { nb = "Hovedskjema", en = "Main form" }

[[sections]]
id = "patient"
title = { nb = "Pasient", en = "Patient" }

[[sections.variables]]
name = "national_id"
type = "text"
label = { nb = "Fødselsnummer", en = "National ID" }

[[sections.variables]]
name = "hospital"
type = "code"
codes = "hospitals"
label = { nb = "Sykehus", en = "Hospital" }

[[sections.variables]]
name = "admitted"
type = "datetime"
label = { nb = "Innlagt", en = "Admitted" }

[[sections.variables]]
name = "discharged"
type = "datetime"
label = { nb = "Utskrevet", en = "Discharged" }

[[sections.variables]]
name = "treated"
type = "bool"
label = { nb = "Behandlet", en = "Treated" }

[[sections.variables]]
name = "colour"
type = "code"
codes = "colour"
label = { nb = "Farge", en = "Colour" }
show_if = "treated"
"#,
        ),
        file(
            "codelists/colour.csv",
            "code,label_nb,label_en\nred,Rød,Red\nblue,Blå,Blue\n",
        ),
        file(
            "rules.toml",
            r#"[[rules]]
id = "order"
assert = "admitted <= discharged"
severity = "hard"
message = { nb = "Feil rekkefølge", en = "Wrong order" }
"#,
        ),
        file(
            "derived.toml",
            r#"[[derived]]
name = "stay"
type = "int"
expression = "minutes_between(admitted, discharged)"
label = { nb = "Liggetid", en = "Stay" }
unit = "minutes"
"#,
        ),
    ]
}

/// `small()` with one file's text edited.
fn with_edit(path: &str, edit: impl Fn(&str) -> String) -> Vec<SourceFile> {
    let mut files = small();
    let file = files.iter_mut().find(|f| f.path == path).expect("file exists");
    file.text = edit(&file.text);
    files
}

fn errors_of(files: &[SourceFile]) -> Vec<DefinitionError> {
    match load(files) {
        Ok(_) => panic!("the definition should be refused"),
        Err(errors) => errors,
    }
}

/// The 1-based line of the first line containing `needle`.
fn line_of(files: &[SourceFile], path: &str, needle: &str) -> usize {
    let text = &files.iter().find(|f| f.path == path).expect("file").text;
    text.lines().position(|l| l.contains(needle)).expect("needle present") + 1
}

fn assert_single(errors: &[DefinitionError], file: &str, line: usize, reason_contains: &str) {
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    let error = &errors[0];
    assert_eq!(error.file, file, "{error}");
    assert_eq!(error.line, line, "{error}");
    assert!(
        error.reason.contains(reason_contains),
        "reason `{}` should mention `{reason_contains}`",
        error.reason
    );
}

#[test]
fn the_stroke_register_loads_without_errors() {
    let register = match load(&stroke_files()) {
        Ok(register) => register,
        Err(errors) => panic!(
            "{}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        ),
    };
    assert_eq!(register.id, "stroke");
    assert_eq!(
        register.forms.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["acute", "followup"]
    );
    assert_eq!(register.period_variable, "arrival_time");
    assert_eq!(register.variables().count(), 91);
    assert_eq!(register.derived.len(), 11);
    assert_eq!(register.rules.len(), 16);
    assert_eq!(
        register.variables().next().map(|v| v.name.as_str()),
        Some("national_id")
    );
    assert!(
        register
            .variable("groin_puncture_time")
            .is_some_and(|v| v.section == "evt_module")
    );
    assert!(register.derived_variable("door_to_needle").is_some());
}

#[test]
fn the_small_register_loads() {
    let register = load(&small()).expect("valid");
    assert_eq!(register.rules[0].fields, ["admitted", "discharged"]);
}

#[test]
fn an_unknown_variable_in_an_expression_is_refused() {
    let files = with_edit("rules.toml", |t| {
        t.replace("admitted <= discharged", "admitted <= dischraged")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "rules.toml",
        line_of(&files, "rules.toml", "dischraged"),
        "dischraged",
    );
}

#[test]
fn a_code_not_in_its_list_is_refused() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace("show_if = \"treated\"", "show_if = \"colour <> 'green'\"")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "green"),
        "`green` is not a code of `colour`",
    );
}

#[test]
fn a_type_mismatch_is_refused() {
    let files = with_edit("rules.toml", |t| {
        t.replace("admitted <= discharged", "treated <= discharged")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "rules.toml",
        line_of(&files, "rules.toml", "treated <="),
        "treated",
    );
}

#[test]
fn a_condition_that_is_not_boolean_is_refused() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace("show_if = \"treated\"", "show_if = \"admitted\"")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "show_if"),
        "must be of type bool",
    );
}

#[test]
fn a_derived_value_of_the_wrong_type_is_refused() {
    let files = with_edit("derived.toml", |t| t.replace("type = \"int\"", "type = \"bool\""));
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "derived.toml",
        line_of(&files, "derived.toml", "expression"),
        "must be of type bool, but is int",
    );
}

#[test]
fn a_cycle_among_derived_variables_is_refused_and_named() {
    let files = with_edit("derived.toml", |t| {
        format!(
            "{t}
[[derived]]
name = \"first\"
type = \"int\"
expression = \"second + 1\"
label = {{ nb = \"a\", en = \"a\" }}

[[derived]]
name = \"second\"
type = \"int\"
expression = \"coalesce(first, stay)\"
label = {{ nb = \"b\", en = \"b\" }}
"
        )
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "derived.toml",
        line_of(&files, "derived.toml", "second + 1"),
        "cycle: first → second → first",
    );
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace("name = \"treated\"", "name = \"treated")
    });
    let errors = errors_of(&files);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].file, "forms/main.toml");
    assert_eq!(errors[0].line, line_of(&files, "forms/main.toml", "name = \"treated"));
}

#[test]
fn an_unknown_key_is_refused_with_its_line() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace("name = \"treated\"", "name = \"treated\"\nrequird = true")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "requird"),
        "requird",
    );
}

#[test]
fn an_unknown_code_list_is_refused() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace("codes = \"colour\"", "codes = \"colours\"")
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "colours"),
        "no file codelists/colours.csv",
    );
}

#[test]
fn a_duplicate_variable_is_refused_at_its_second_definition() {
    let files = with_edit("forms/main.toml", |t| {
        format!(
            "{t}\n[[sections.variables]]\nname = \"treated\"\ntype = \"bool\"\nlabel = {{ nb = \"x\", en = \"x\" }}\n"
        )
    });
    let errors = errors_of(&files);
    let second = files[1]
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("name = \"treated\""))
        .map(|(i, _)| i + 1)
        .last();
    assert_single(
        &errors,
        "forms/main.toml",
        second.expect("two definitions"),
        "already defined at forms/main.toml:",
    );
}

#[test]
fn a_variable_that_is_also_derived_is_refused() {
    let files = with_edit("derived.toml", |t| t.replace("name = \"stay\"", "name = \"treated\""));
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "derived.toml",
        line_of(&files, "derived.toml", "name = \"treated\""),
        "also an entered variable",
    );
}

#[test]
fn a_bad_range_is_refused() {
    let files = with_edit("forms/main.toml", |t| {
        format!(
            "{t}\n[[sections.variables]]\nname = \"score\"\ntype = \"int\"\nhard_range = [10, 0]\nlabel = {{ nb = \"x\", en = \"x\" }}\n"
        )
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "[10, 0]"),
        "minimum is greater than the maximum",
    );
}

#[test]
fn a_duplicate_code_is_refused_with_its_csv_line() {
    let files = with_edit("codelists/colour.csv", |t| format!("{t}red,Rød igjen,Red again\n"));
    let errors = errors_of(&files);
    assert_single(&errors, "codelists/colour.csv", 4, "`red` is listed twice");
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let files = with_edit("rules.toml", |t| {
        format!("{t}\n[[rules]]\nid = \"second\"\nassert = \"colour = 'green'\"\nseverity = \"soft\"\nmessage = {{ nb = \"x\", en = \"x\" }}\n")
            .replace("admitted <= discharged", "admitted <= nowhere")
    });
    let errors = errors_of(&files);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(
        errors[0].to_string(),
        format!("rules.toml:{}: {}", errors[0].line, errors[0].reason)
    );
}

#[test]
fn a_missing_register_file_is_refused() {
    let files: Vec<SourceFile> = small().into_iter().filter(|f| f.path != "register.toml").collect();
    let errors = errors_of(&files);
    assert_single(&errors, "register.toml", 0, "no register.toml");
}

#[test]
fn a_section_gated_by_its_own_variable_is_refused() {
    let files = with_edit("forms/main.toml", |t| {
        t.replace(
            "title = { nb = \"Pasient\", en = \"Patient\" }",
            "title = { nb = \"Pasient\", en = \"Patient\" }\nshow_if = \"treated\"",
        )
    });
    let errors = errors_of(&files);
    assert_single(
        &errors,
        "forms/main.toml",
        line_of(&files, "forms/main.toml", "show_if = \"treated\""),
        "a variable of this same section",
    );
}
