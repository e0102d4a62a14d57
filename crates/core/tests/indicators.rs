//! Indicator definitions (`indicators.toml`): the stroke register's 18 indicators load as
//! domain.md 4 lists them, and a broken indicator is refused with its file, line and reason.

mod support;

use kvalreg_core::definition::{
    Comparison, DefinitionError, Direction, IndicatorKind, Level, REPORT_DATE, SourceFile, load,
};
use support::stroke;

const INDICATOR: &str = r#"[[indicators]]
id = "treated_share"
title = { nb = "Andel behandlet", en = "Share treated" }
type = "proportion"
denominator = "colour IS NOT NULL"
numerator = "coalesce(treated, FALSE)"
direction = "higher"
green = ">= 0.80"
yellow = "> 60 %"
valid_from = 2020-01-01
"#;

/// A small register with one valid indicator; tests edit `indicators.toml`.
fn small(indicators: &str) -> Vec<SourceFile> {
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
name = "referred_by"
type = "code"
codes = "hospitals"
label = { nb = "Henvist fra", en = "Referred by" }

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
"#,
        ),
        file(
            "codelists/colour.csv",
            "code,label_nb,label_en\nred,Rød,Red\nblue,Blå,Blue\n",
        ),
        file(
            "derived.toml",
            r#"[[derived]]
name = "stay"
type = "int"
expression = "minutes_between(admitted, discharged)"
label = { nb = "Liggetid", en = "Stay" }
"#,
        ),
        file("indicators.toml", indicators),
    ]
}

fn errors_of(indicators: &str) -> Vec<DefinitionError> {
    match load(&small(indicators)) {
        Ok(_) => panic!("the definition should be refused"),
        Err(errors) => errors,
    }
}

/// Exactly one error, on the line of `indicators.toml` that contains `needle`, whose reason
/// mentions `reason`.
fn assert_refused(indicators: &str, needle: &str, reason: &str) {
    let errors = errors_of(indicators);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    let line = indicators
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1;
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line),
        ("indicators.toml", line),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].reason.contains(reason),
        "`{}` should mention `{reason}`",
        errors[0].reason
    );
}

#[test]
fn the_stroke_register_has_the_eighteen_indicators_of_the_domain() {
    let register = stroke();
    let ids: Vec<&str> = register.indicators.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "stroke_unit",
            "ivt_rate",
            "dtn_30",
            "dtn_40",
            "dtn_median",
            "swallow",
            "af_anticoag",
            "antithrombotic",
            "statin",
            "functional_7d",
            "followup_3m",
            "dtg_median",
            "dtg_90",
            "dido_median",
            "tici_2b3",
            "evt_sich",
            "evt_ent",
            "mrs_0_2_3m"
        ]
    );
    let medians: Vec<&str> = register
        .indicators
        .iter()
        .filter(|i| matches!(i.kind, IndicatorKind::Median { .. }))
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(medians, ["dtn_median", "dtg_median", "dido_median"]);
    assert!(register.indicators.iter().all(|i| i.minimum_denominator == 5));

    let tici = register.indicator("tici_2b3").expect("tici_2b3");
    let levels = tici.levels.expect("coloured");
    assert_eq!(
        (levels.green.comparison, levels.green.limit),
        (Comparison::AtLeast, 0.80)
    );
    assert_eq!(
        (levels.yellow.comparison, levels.yellow.limit),
        (Comparison::Above, 0.60)
    );
    assert_eq!(levels.level(0.6), Level::Red);
    assert_eq!(tici.unit.text, "evt_hospital");

    let sich = register.indicator("evt_sich").expect("evt_sich");
    assert_eq!(sich.direction, Direction::Lower);
    assert_eq!(sich.levels.map(|l| l.level(0.06)), Some(Level::Green));
    assert_eq!(sich.levels.map(|l| l.level(0.10)), Some(Level::Red));

    let mrs = register.indicator("mrs_0_2_3m").expect("mrs_0_2_3m");
    assert!(mrs.levels.is_none());
    assert!(mrs.note.as_ref().is_some_and(|n| n.en.contains("case mix")));

    assert_eq!(
        register.indicator("stroke_unit").map(|i| i.unit.text.as_str()),
        Some("hospital")
    );
    assert!(
        register
            .indicator("dido_median")
            .is_some_and(|i| i.unit.expr.variables().contains(&"transferred_from"))
    );
    assert!(
        register
            .indicator("followup_3m")
            .is_some_and(|i| i.denominator.expr.variables().contains(&REPORT_DATE))
    );
}

#[test]
fn the_small_indicator_loads_with_defaults() {
    let register = load(&small(INDICATOR)).expect("valid");
    let indicator = &register.indicators[0];
    assert_eq!(indicator.minimum_denominator, 5);
    assert_eq!(indicator.unit.text, "hospital");
    assert_eq!(indicator.valid_from, jiff::civil::date(2020, 1, 1));
    assert_eq!(indicator.levels.map(|l| l.yellow.limit), Some(0.6));
}

#[test]
fn a_numerator_that_is_not_a_condition_is_refused() {
    let text = INDICATOR.replace("coalesce(treated, FALSE)", "stay");
    assert_refused(&text, "numerator", "must be of type bool, but is int");
}

#[test]
fn an_unknown_variable_is_refused() {
    let text = INDICATOR.replace("colour IS NOT NULL", "colur IS NOT NULL");
    assert_refused(&text, "denominator", "unknown variable `colur`");
}

#[test]
fn a_code_not_in_its_list_is_refused() {
    let text = INDICATOR.replace("colour IS NOT NULL", "colour = 'green'");
    assert_refused(&text, "denominator", "`green` is not a code of `colour`");
}

#[test]
fn a_median_value_must_be_an_int() {
    let text = INDICATOR
        .replace("type = \"proportion\"", "type = \"median\"")
        .replace("numerator = \"coalesce(treated, FALSE)\"", "value = \"admitted\"")
        .replace("direction = \"higher\"", "direction = \"lower\"")
        .replace(">= 0.80", "<= 30")
        .replace("> 60 %", "<= 40");
    assert_refused(&text, "value", "must be of type int, but is datetime");
    let fixed = text.replace("value = \"admitted\"", "value = \"stay\"");
    let register = load(&small(&fixed)).expect("valid median");
    assert!(matches!(register.indicators[0].kind, IndicatorKind::Median { .. }));
}

#[test]
fn the_kind_decides_between_numerator_and_value() {
    let text = INDICATOR.replace("numerator = ", "value = ");
    let errors = errors_of(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.reason.contains("`value` is for median indicators")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.reason.contains("needs a `numerator`")),
        "{errors:#?}"
    );
}

#[test]
fn levels_must_follow_the_direction() {
    let text = INDICATOR.replace("direction = \"higher\"", "direction = \"lower\"");
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0]
            .reason
            .contains("lower is better for this indicator, so use <= or <"),
        "{}",
        errors[0]
    );
}

#[test]
fn green_must_be_stricter_than_yellow() {
    let text = INDICATOR.replace(">= 0.80", ">= 0.50");
    assert_refused(&text, "green", "must ask for a higher value than yellow");
}

#[test]
fn a_proportion_level_outside_zero_to_one_is_refused() {
    let text = INDICATOR.replace(">= 0.80", ">= 80");
    assert_refused(&text, "green", "between 0 and 1");
}

#[test]
fn levels_come_in_pairs() {
    let text = INDICATOR.replace("yellow = \"> 60 %\"\n", "");
    assert_refused(&text, "green", "give both `green` and `yellow`");
}

#[test]
fn a_bad_valid_from_is_refused() {
    let text = INDICATOR.replace("valid_from = 2020-01-01", "valid_from = \"2020\"");
    assert_refused(&text, "valid_from", "`valid_from` must be a date written YYYY-MM-DD");
}

#[test]
fn a_duplicate_id_is_refused() {
    let text = format!("{INDICATOR}\n{INDICATOR}");
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].line, 13, "the second `id` line");
    assert!(
        errors[0]
            .reason
            .contains("the indicator `treated_share` is defined twice")
    );
}

#[test]
fn the_minimum_denominator_is_at_least_one() {
    let text = INDICATOR.replace("valid_from", "minimum_denominator = 0\nvalid_from");
    assert_refused(&text, "minimum_denominator", "at least 1");
    let text = INDICATOR.replace("valid_from", "minimum_denominator = 10\nvalid_from");
    assert_eq!(
        load(&small(&text)).expect("valid").indicators[0].minimum_denominator,
        10
    );
}

#[test]
fn an_unknown_key_names_its_line() {
    let text = INDICATOR.replace("direction", "directon");
    assert_refused(&text, "directon", "unknown field `directon`");
}

#[test]
fn the_unit_must_give_units_of_the_register() {
    let text = INDICATOR.replace("valid_from", "unit = \"colour\"\nvalid_from");
    assert_refused(&text, "unit", "`colour` is not a unit");
    let text = INDICATOR.replace("valid_from", "unit = \"stay\"\nvalid_from");
    assert_refused(&text, "unit", "must be of type code, but is int");
    let text = INDICATOR.replace(
        "valid_from",
        "unit = \"CASE WHEN treated THEN referred_by ELSE hospital END\"\nvalid_from",
    );
    let register = load(&small(&text)).expect("a unit chosen per record");
    assert_eq!(
        register.indicators[0].unit.expr.variables(),
        ["treated", "referred_by", "hospital"]
    );
}

#[test]
fn report_date_is_known_in_indicators_only() {
    let text = INDICATOR.replace("colour IS NOT NULL", "days_between(admitted, report_date) >= 90");
    assert!(load(&small(&text)).is_ok());
    let mut files = small(INDICATOR);
    files.push(SourceFile {
        path: "rules.toml".into(),
        text: "[[rules]]\nid = \"r\"\nassert = \"date_of(admitted) <= report_date\"\nseverity = \"soft\"\nmessage = { nb = \"x\", en = \"x\" }\n".into(),
    });
    let errors = load(&files).expect_err("report_date is no variable in rules");
    assert!(
        errors[0].reason.contains("unknown variable `report_date`"),
        "{errors:#?}"
    );
}

#[test]
fn a_variable_may_not_be_called_report_date() {
    let mut files = small(INDICATOR);
    let form = files.iter_mut().find(|f| f.path == "forms/main.toml").expect("form");
    form.text = form.text.replace("name = \"colour\"", "name = \"report_date\"");
    let errors = load(&files).expect_err("reserved");
    assert!(
        errors.iter().any(|e| e.reason.contains("`report_date` is reserved")),
        "{errors:#?}"
    );
}
