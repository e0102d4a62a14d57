//! Loads a register folder's files into a [`Register`] and checks it as a whole: every
//! expression parsed and type-checked, every code compared against its list, every name
//! resolved. All problems are collected, each with its file and line.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use crate::expr::{self, ExprType};
use crate::value::VarType;

use super::files::{self, DerivedFile, FormFile, IndicatorsFile, Parsed, RegisterFile, RulesFile};
use super::{CodeList, DefinitionError, Expression, HOSPITALS, REPORT_DATE, Register, SourceFile, Variable, codelists};

/// Reads and checks a register definition from its files. Returns every error found:
/// first all file-level ones (syntax, unknown keys, wrong value types); when the files
/// read cleanly, every problem of meaning (names, types, codes, ranges, cycles).
pub fn load(files: &[SourceFile]) -> Result<Register, Vec<DefinitionError>> {
    let folder = read_files(files)?;
    let checker = Checker {
        code_lists: folder.code_lists.clone(),
        ..Checker::default()
    };
    checker.check(&folder)
}

/// The folder's files, read into their shapes.
pub(super) struct Folder {
    pub register: Parsed<RegisterFile>,
    pub forms: BTreeMap<String, Parsed<FormFile>>,
    pub code_lists: BTreeMap<String, CodeList>,
    pub rules: Option<Parsed<RulesFile>>,
    pub derived: Option<Parsed<DerivedFile>>,
    pub indicators: Option<Parsed<IndicatorsFile>>,
}

fn read_files(files: &[SourceFile]) -> Result<Folder, Vec<DefinitionError>> {
    let mut errors = Vec::new();
    let mut register = None;
    let mut forms = BTreeMap::new();
    let mut code_lists = BTreeMap::new();
    let mut rules = None;
    let mut derived = None;
    let mut indicators = None;
    let whole_file = |path: &str, reason: String| DefinitionError {
        file: path.to_string(),
        line: 0,
        reason,
    };
    for file in files {
        let path = file.path.as_str();
        match path {
            "register.toml" => register = keep(&mut errors, files::parse_toml(path, &file.text)),
            "rules.toml" => rules = keep(&mut errors, files::parse_toml(path, &file.text)),
            "derived.toml" => derived = keep(&mut errors, files::parse_toml(path, &file.text)),
            "indicators.toml" => indicators = keep(&mut errors, files::parse_toml(path, &file.text)),
            _ => {
                if let Some(rest) = path.strip_prefix("forms/") {
                    match rest.strip_suffix(".toml").filter(|id| is_name(id)) {
                        Some(id) => {
                            if let Some(form) = keep(&mut errors, files::parse_toml(path, &file.text)) {
                                forms.insert(id.to_string(), form);
                            }
                        }
                        None => errors.push(whole_file(
                            path,
                            format!("a form file is named forms/<id>.toml, the id {NAME_RULE}"),
                        )),
                    }
                } else if let Some(rest) = path.strip_prefix("codelists/") {
                    match rest.strip_suffix(".csv").filter(|name| is_name(name)) {
                        Some(HOSPITALS) => errors.push(whole_file(
                            path,
                            format!("the code list name `{HOSPITALS}` is reserved for the platform's hospital list"),
                        )),
                        Some(name) => match codelists::parse(path, name, &file.text) {
                            Ok(list) => {
                                code_lists.insert(name.to_string(), list);
                            }
                            Err(list_errors) => errors.extend(list_errors),
                        },
                        None => errors.push(whole_file(
                            path,
                            format!("a code list file is named codelists/<name>.csv, the name {NAME_RULE}"),
                        )),
                    }
                }
            }
        }
    }
    if !files.iter().any(|f| f.path == "register.toml") {
        errors.insert(
            0,
            whole_file("register.toml", "the register folder has no register.toml".into()),
        );
    }
    match register {
        Some(register) if errors.is_empty() => Ok(Folder {
            register,
            forms,
            code_lists,
            rules,
            derived,
            indicators,
        }),
        _ => Err(errors),
    }
}

/// The parsed file, or None with its error recorded.
fn keep<T>(errors: &mut Vec<DefinitionError>, result: Result<T, DefinitionError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// A valid name for a variable, form, section, code list or rule: it can stand in an expression.
pub(super) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn reserved_name() -> String {
    format!("the name `{REPORT_DATE}` is reserved for the report date in indicator expressions; choose another name")
}

pub(super) const NAME_RULE: &str = "lower-case letters, digits and _, starting with a letter";

/// Where an item sits: the file and line every error about it names.
#[derive(Clone)]
pub(super) struct Site {
    pub file: String,
    pub line: usize,
}

impl Site {
    pub fn of<T, U>(parsed: &Parsed<T>, item: &Spanned<U>) -> Site {
        Site {
            file: parsed.path.clone(),
            line: parsed.lines.of(item.span()),
        }
    }
}

#[derive(Default)]
pub(super) struct Checker {
    pub errors: Vec<DefinitionError>,
    pub code_lists: BTreeMap<String, CodeList>,
    /// Types of entered variables (first definition of a name wins).
    pub entered: HashMap<String, VarType>,
    /// Code list of each entered code variable.
    pub lists_of: HashMap<String, String>,
    /// Types of derived variables.
    pub derived: HashMap<String, VarType>,
    /// Names that are not variables but may stand in the expressions being checked
    /// (`report_date` while indicators are checked).
    pub parameters: HashMap<String, VarType>,
}

impl Checker {
    pub fn error(&mut self, site: &Site, reason: impl Into<String>) {
        self.errors.push(DefinitionError {
            file: site.file.clone(),
            line: site.line,
            reason: reason.into(),
        });
    }

    fn check(mut self, folder: &Folder) -> Result<Register, Vec<DefinitionError>> {
        let form_ids = self.form_order(folder);
        self.collect_names(folder, &form_ids);
        let mut variables = Vec::new();
        let mut forms = Vec::new();
        for id in &form_ids {
            if let Some(file) = folder.forms.get(id) {
                forms.push(self.form(id, file, &mut variables));
            }
        }
        self.key_variables(&folder.register);
        let derived = self.derived_variables(folder);
        let rules = self.rules(folder, &derived);
        let indicators = self.indicators(folder);
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let index = variables
            .iter()
            .enumerate()
            .map(|(i, v): (usize, &Variable)| (v.name.clone(), i))
            .collect();
        let register = &folder.register.content;
        Ok(Register {
            id: register.id.get_ref().clone(),
            title: register.title.clone(),
            period_variable: register.period_variable.get_ref().clone(),
            person_variable: register.person_variable.get_ref().clone(),
            unit_variable: register.unit_variable.get_ref().clone(),
            forms,
            code_lists: folder.code_lists.clone(),
            rules,
            derived,
            indicators,
            variables,
            index,
        })
    }

    /// The forms in the order register.toml lists them; each listed form has a file and
    /// each form file is listed.
    fn form_order(&mut self, folder: &Folder) -> Vec<String> {
        let register = &folder.register;
        if !is_name(register.content.id.get_ref()) {
            self.error(
                &Site::of(register, &register.content.id),
                format!("the register id must be {NAME_RULE}"),
            );
        }
        let mut ids = Vec::new();
        for id in &register.content.forms {
            let site = Site::of(register, id);
            if ids.contains(id.get_ref()) {
                self.error(&site, format!("the form `{}` is listed twice", id.get_ref()));
            } else if !folder.forms.contains_key(id.get_ref()) {
                self.error(
                    &site,
                    format!("the form `{0}` has no file forms/{0}.toml", id.get_ref()),
                );
            } else {
                ids.push(id.get_ref().clone());
            }
        }
        for (id, form) in &folder.forms {
            if !register.content.forms.iter().any(|f| f.get_ref() == id) {
                self.error(
                    &Site {
                        file: form.path.clone(),
                        line: 0,
                    },
                    format!("the form `{id}` is not listed in `forms` in register.toml"),
                );
            }
        }
        ids
    }

    /// Every variable's name and type, before any expression is checked against them.
    fn collect_names(&mut self, folder: &Folder, form_ids: &[String]) {
        let mut first_seen: HashMap<String, Site> = HashMap::new();
        for id in form_ids {
            let Some(form) = folder.forms.get(id) else { continue };
            for variable in form.content.sections.iter().flat_map(|s| &s.variables) {
                let name = variable.name.get_ref();
                let site = Site::of(form, &variable.name);
                if !is_name(name) {
                    self.error(&site, format!("the variable name `{name}` must be {NAME_RULE}"));
                } else if name == REPORT_DATE {
                    self.error(&site, reserved_name());
                }
                if let Some(first) = first_seen.get(name) {
                    let reason = format!(
                        "the variable `{name}` is already defined at {}:{}",
                        first.file, first.line
                    );
                    self.error(&site, reason);
                    continue;
                }
                first_seen.insert(name.clone(), site);
                self.entered.insert(name.clone(), *variable.var_type.get_ref());
                if let Some(list) = &variable.codes {
                    self.lists_of.insert(name.clone(), list.get_ref().clone());
                }
            }
        }
        if let Some(derived) = &folder.derived {
            for variable in &derived.content.derived {
                let name = variable.name.get_ref();
                let site = Site::of(derived, &variable.name);
                if !is_name(name) {
                    self.error(&site, format!("the derived variable name `{name}` must be {NAME_RULE}"));
                } else if name == REPORT_DATE {
                    self.error(&site, reserved_name());
                } else if let Some(first) = first_seen.get(name) {
                    let reason = format!(
                        "`{name}` is derived here but is also an entered variable at {}:{}",
                        first.file, first.line
                    );
                    self.error(&site, reason);
                } else if self.derived.contains_key(name) {
                    self.error(&site, format!("the derived variable `{name}` is defined twice"));
                } else {
                    self.derived.insert(name.clone(), variable.var_type);
                }
            }
        }
    }

    fn type_of(&self, name: &str) -> Option<VarType> {
        self.entered
            .get(name)
            .or_else(|| self.derived.get(name))
            .or_else(|| self.parameters.get(name))
            .copied()
    }

    /// Parses and type-checks one expression; `want` is the type it must have.
    pub fn expression(&mut self, site: &Site, what: &str, text: &str, want: VarType) -> Option<Expression> {
        let expr = match expr::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                self.error(site, format!("{what} `{text}`: {}", e.message));
                return None;
            }
        };
        let types = |name: &str| self.type_of(name);
        let checked = expr.check(&types);
        let mut ok = true;
        match checked {
            Ok(ExprType::Of(t)) if t == want => {}
            Ok(ExprType::Null) if want != VarType::Bool => {}
            Ok(found) => {
                let found = match found {
                    ExprType::Of(t) => t.name(),
                    ExprType::Null => "NULL",
                };
                self.error(
                    site,
                    format!("{what} `{text}` must be of type {}, but is {found}", want.name()),
                );
                ok = false;
            }
            Err(e) => {
                self.error(site, format!("{what}: {}", e.message));
                ok = false;
            }
        }
        for (variable, code) in expr.code_comparisons() {
            let Some(list_name) = self.lists_of.get(variable) else {
                continue;
            };
            if list_name == HOSPITALS {
                continue;
            }
            let Some(list) = self.code_lists.get(list_name) else {
                continue;
            };
            if !list.contains(code) {
                let known: Vec<&str> = list.codes.iter().map(|c| c.code.as_str()).collect();
                let reason = format!(
                    "{what} `{text}`: `{code}` is not a code of `{variable}` (code list `{list_name}`: {})",
                    known.join(", ")
                );
                self.error(site, reason);
                ok = false;
            }
        }
        ok.then(|| Expression {
            text: text.to_string(),
            expr,
        })
    }

    pub fn condition(&mut self, site: &Site, what: &str, text: &str) -> Option<Expression> {
        self.expression(site, what, text, VarType::Bool)
    }
}
