//! The registration form, built from the register's definition: the sections whose show-if
//! holds for the values entered so far, one labelled input per variable, and the errors and
//! warnings beside each field.

use std::collections::BTreeSet;

use kvalreg_core::definition::{Expression, HOSPITALS, Register, Required, Variable};
use kvalreg_core::messages::Lang;
use kvalreg_core::validation::{Finding, Severity};
use kvalreg_core::value::{Record, Value, VarType};
use kvalreg_store::Hospital;

use super::catalogue::t;
use super::entry::Entered;
use crate::html::escape;

/// What the form needs to render.
pub struct FormView<'a> {
    pub register: &'a Register,
    pub lang: Lang,
    pub entered: &'a Entered,
    /// The readable values of `entered`, for show-if.
    pub record: &'a Record,
    pub findings: &'a [Finding],
    pub hospitals: &'a [Hospital],
    /// Forms shown besides the first (the follow-up when it is due or begun).
    pub follow_up: bool,
    /// Where a changed field posts the form to re-check one field / re-render the body.
    pub check_url: &'a str,
    pub render_url: &'a str,
    pub editable: bool,
}

fn holds(expr: &Expression, record: &Record) -> bool {
    matches!(expr.expr.eval(record), Some(Value::Bool(true)))
}

/// Whether a variable applies to the values entered so far (its section's and its own show-if).
pub fn applies(register: &Register, variable: &Variable, record: &Record) -> bool {
    register.show_conditions(variable).into_iter().all(|e| holds(e, record))
}

/// Variables some show-if depends on: changing one re-renders the whole form.
fn controllers(register: &Register) -> BTreeSet<&str> {
    let sections = register
        .forms
        .iter()
        .flat_map(|f| f.sections.iter())
        .filter_map(|s| s.show_if.as_ref());
    let variables = register.variables().filter_map(|v| v.show_if.as_ref());
    sections.chain(variables).flat_map(|e| e.expr.variables()).collect()
}

/// The form's body (swapped whole when a controlling field changes).
pub fn body(view: &FormView<'_>) -> String {
    let controllers = controllers(view.register);
    let mut out = String::from("<div id=\"form-body\">\n");
    for (index, form) in view.register.forms.iter().enumerate() {
        if index > 0 && !view.follow_up {
            continue;
        }
        out.push_str(&format!("<h2>{}</h2>\n", escape(form.title.get(view.lang))));
        for section in &form.sections {
            if section.show_if.as_ref().is_some_and(|e| !holds(e, view.record)) {
                continue;
            }
            out.push_str(&format!(
                "<fieldset id=\"section-{id}\"><legend>{title}</legend>\n",
                id = escape(&section.id),
                title = escape(section.title.get(view.lang))
            ));
            for name in &section.variables {
                let Some(variable) = view.register.variable(name) else {
                    continue;
                };
                if variable.show_if.as_ref().is_some_and(|e| !holds(e, view.record)) {
                    continue;
                }
                out.push_str(&field(view, variable, controllers.contains(name.as_str())));
            }
            out.push_str("</fieldset>\n");
        }
    }
    out.push_str("</div>\n");
    out
}

fn field(view: &FormView<'_>, variable: &Variable, controls: bool) -> String {
    let lang = view.lang;
    let name = escape(&variable.name);
    let value = view.entered.get(&variable.name).map(String::as_str).unwrap_or("");
    let htmx = if controls {
        format!(
            " hx-post=\"{}\" hx-trigger=\"change\" hx-target=\"#form-body\" hx-swap=\"outerHTML\"",
            escape(view.render_url)
        )
    } else {
        let trigger = match variable.var_type {
            VarType::Bool | VarType::Code => "change",
            _ => "change, keyup changed delay:700ms",
        };
        format!(
            " hx-post=\"{url}?field={name}\" hx-trigger=\"{trigger}\" hx-target=\"#msg-{name}\" hx-swap=\"outerHTML\"",
            url = escape(view.check_url)
        )
    };
    let disabled = if view.editable { "" } else { " disabled" };
    let has_error = view
        .findings
        .iter()
        .any(|f| f.field == variable.name && f.severity == Severity::Error);
    let invalid = if has_error { " aria-invalid=\"true\"" } else { "" };
    let common =
        format!("id=\"f-{name}\" name=\"{name}\" aria-describedby=\"msg-{name} help-{name}\"{htmx}{disabled}{invalid}");
    let control = match variable.var_type {
        VarType::Bool => select(
            &common,
            value,
            &[
                ("true", t(lang, "form-yes").to_owned()),
                ("false", t(lang, "form-no").to_owned()),
            ],
            lang,
        ),
        VarType::Code => {
            let options: Vec<(&str, String)> = match variable.codes.as_deref() {
                Some(HOSPITALS) => view
                    .hospitals
                    .iter()
                    .map(|h| (h.code.as_str(), format!("{} ({})", h.name, h.code)))
                    .collect(),
                Some(list) => view
                    .register
                    .code_lists
                    .get(list)
                    .map(|l| {
                        l.codes
                            .iter()
                            .map(|c| (c.code.as_str(), c.label.get(lang).to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            select(&common, value, &options, lang)
        }
        VarType::Int => format!(
            "<input type=\"text\" inputmode=\"numeric\" {common} value=\"{}\">",
            escape(value)
        ),
        VarType::Date => format!(
            "<input type=\"text\" {common} value=\"{}\" placeholder=\"{}\" autocomplete=\"off\">",
            escape(value),
            escape(t(lang, "form-date-hint"))
        ),
        VarType::Datetime => format!(
            "<input type=\"text\" {common} value=\"{}\" placeholder=\"{}\" autocomplete=\"off\">",
            escape(value),
            escape(t(lang, "form-datetime-hint"))
        ),
        VarType::Text => format!("<input type=\"text\" {common} value=\"{}\">", escape(value)),
    };
    let mut help = variable
        .help
        .as_ref()
        .map(|h| h.get(lang).to_owned())
        .unwrap_or_default();
    if variable.allow_unknown {
        help = format!("{help} {}", t(lang, "form-unknown-hint")).trim().to_owned();
    }
    if variable.var_type == VarType::Datetime && variable.help.is_none() {
        help = format!("{help} {}", t(lang, "form-datetime-hint")).trim().to_owned();
    }
    let required = match variable.required {
        Required::No => "",
        _ => " <span class=\"required\" aria-hidden=\"true\">*</span>",
    };
    let unit = variable
        .unit
        .as_deref()
        .map(|u| format!(" <span class=\"unit\">{}</span>", escape(u)))
        .unwrap_or_default();
    format!(
        "<div class=\"field\" id=\"field-{name}\">\n<label for=\"f-{name}\">{label}{required}</label>\n{control}{unit}\n\
         <small id=\"help-{name}\" class=\"help\">{help}</small>\n{messages}</div>\n",
        label = escape(variable.label.get(lang)),
        help = escape(&help),
        messages = messages(lang, &variable.name, view.findings),
    )
}

fn select(common: &str, value: &str, options: &[(&str, String)], lang: Lang) -> String {
    let mut out = format!(
        "<select {common}>\n<option value=\"\">{}</option>\n",
        escape(t(lang, "form-choose"))
    );
    let mut known = value.is_empty();
    for (code, label) in options {
        let selected = if *code == value {
            known = true;
            " selected"
        } else {
            ""
        };
        out.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>\n",
            escape(code),
            escape(label)
        ));
    }
    if !known {
        // A stored or posted value outside the list stays visible so it is not lost.
        out.push_str(&format!("<option value=\"{0}\" selected>{0}</option>\n", escape(value)));
    }
    out.push_str("</select>");
    out
}

/// The errors and warnings of one field (the element an htmx check swaps).
pub fn messages(lang: Lang, field: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "<div id=\"msg-{}\" class=\"messages\" aria-live=\"polite\">",
        escape(field)
    );
    for finding in findings.iter().filter(|f| f.field == field) {
        let (class, word) = match finding.severity {
            Severity::Error => ("error", t(lang, "message-error")),
            Severity::Warning => ("warning", t(lang, "message-warning")),
        };
        out.push_str(&format!(
            "<p class=\"{class}\" data-rule=\"{rule}\"><strong>{word}:</strong> {message}</p>",
            rule = escape(&finding.rule),
            word = escape(word),
            message = escape(finding.message(lang)),
        ));
    }
    out.push_str("</div>\n");
    out
}
