//! Checks the forms: sections and their variables (types, code lists, ranges, unknown,
//! required, show-if, introduced/retired), and the register's key variables.

use std::collections::HashSet;

use jiff::civil::Date;
use toml::Spanned;

use crate::value::VarType;

use super::files::{FormFile, Parsed, RegisterFile, RequiredFile, VariableFile};
use super::load::{Checker, NAME_RULE, Site, is_name};
use super::{Expression, Form, HOSPITALS, IntRange, Required, Section, Variable};

impl Checker {
    /// One form: its sections in order, their variables appended to `variables`.
    pub(super) fn form(&mut self, id: &str, file: &Parsed<FormFile>, variables: &mut Vec<Variable>) -> Form {
        let mut sections = Vec::new();
        let mut section_ids = HashSet::new();
        for section in &file.content.sections {
            let site = Site::of(file, &section.id);
            let section_id = section.id.get_ref();
            if !is_name(section_id) {
                self.error(&site, format!("the section id `{section_id}` must be {NAME_RULE}"));
            }
            if !section_ids.insert(section_id.clone()) {
                self.error(&site, format!("the section `{section_id}` appears twice in this form"));
            }
            let show_if = section
                .show_if
                .as_ref()
                .and_then(|text| self.condition(&Site::of(file, text), "show_if", text.get_ref()));
            if let (Some(condition), Some(text)) = (&show_if, &section.show_if) {
                let own: Vec<&str> = section.variables.iter().map(|v| v.name.get_ref().as_str()).collect();
                if let Some(name) = condition.expr.variables().into_iter().find(|n| own.contains(n)) {
                    let reason = format!(
                        "show_if `{}` uses `{name}`, a variable of this same section",
                        text.get_ref()
                    );
                    self.error(&Site::of(file, text), reason);
                }
            }
            let mut names = Vec::new();
            for raw in &section.variables {
                names.push(raw.name.get_ref().clone());
                let variable = self.variable(file, id, section_id, raw);
                variables.push(variable);
            }
            sections.push(Section {
                id: section_id.clone(),
                title: section.title.clone(),
                show_if,
                variables: names,
            });
        }
        Form {
            id: id.to_string(),
            title: file.content.title.clone(),
            sections,
        }
    }

    /// One variable, every problem with it recorded.
    fn variable(&mut self, file: &Parsed<FormFile>, form: &str, section: &str, raw: &VariableFile) -> Variable {
        let name = raw.name.get_ref();
        let var_type = *raw.var_type.get_ref();
        let type_site = Site::of(file, &raw.var_type);
        let codes = self.variable_codes(file, raw, var_type, &type_site);
        let hard_range = self.range(file, name, var_type, "hard_range", raw.hard_range.as_ref());
        let soft_range = self.range(file, name, var_type, "soft_range", raw.soft_range.as_ref());
        if let (Some(hard), Some(soft), Some(site)) = (hard_range, soft_range, raw.soft_range.as_ref())
            && (soft.min < hard.min || soft.max > hard.max)
        {
            self.error(
                &Site::of(file, site),
                format!("soft_range {soft} must lie within hard_range {hard}"),
            );
        }
        let allow_unknown = self.allow_unknown(file, raw, var_type, codes.as_deref());
        let required = match raw.required.as_ref() {
            None => Required::No,
            Some(flag) => match flag.get_ref() {
                RequiredFile::Flag(false) => Required::No,
                RequiredFile::Flag(true) => Required::Always,
                RequiredFile::When(text) => self
                    .condition(&Site::of(file, flag), "required", text)
                    .map_or(Required::No, Required::When),
            },
        };
        let show_if: Option<Expression> = raw
            .show_if
            .as_ref()
            .and_then(|text| self.condition(&Site::of(file, text), "show_if", text.get_ref()));
        if let (Some(condition), Some(text)) = (&show_if, &raw.show_if)
            && condition.expr.variables().contains(&name.as_str())
        {
            self.error(
                &Site::of(file, text),
                format!("show_if `{}` uses `{name}` itself", text.get_ref()),
            );
        }
        let introduced = raw.introduced.as_ref().and_then(|d| self.date(file, "introduced", d));
        let retired = raw.retired.as_ref().and_then(|d| self.date(file, "retired", d));
        if let (Some(from), Some(to), Some(site)) = (introduced, retired, raw.retired.as_ref())
            && to <= from
        {
            self.error(
                &Site::of(file, site),
                format!("retired ({to}) must be after introduced ({from})"),
            );
        }
        Variable {
            name: name.clone(),
            form: form.to_string(),
            section: section.to_string(),
            var_type,
            label: raw.label.clone(),
            unit: raw.unit.clone(),
            codes,
            hard_range,
            soft_range,
            allow_unknown,
            required,
            show_if,
            introduced,
            retired,
            help: raw.help.clone(),
        }
    }

    fn variable_codes(
        &mut self,
        file: &Parsed<FormFile>,
        raw: &VariableFile,
        var_type: VarType,
        type_site: &Site,
    ) -> Option<String> {
        let name = raw.name.get_ref();
        match (&raw.codes, var_type) {
            (Some(list), VarType::Code) => {
                let list_name = list.get_ref();
                if list_name != HOSPITALS && !self.code_lists.contains_key(list_name) {
                    self.error(
                        &Site::of(file, list),
                        format!(
                            "`{name}` uses the code list `{list_name}`, but there is no file codelists/{list_name}.csv"
                        ),
                    );
                }
                Some(list_name.clone())
            }
            (None, VarType::Code) => {
                self.error(
                    type_site,
                    format!("the code variable `{name}` needs `codes` (a code list name)"),
                );
                None
            }
            (Some(list), _) => {
                self.error(
                    &Site::of(file, list),
                    format!(
                        "`codes` is only for variables of type code; `{name}` is {}",
                        var_type.name()
                    ),
                );
                None
            }
            (None, _) => None,
        }
    }

    fn range(
        &mut self,
        file: &Parsed<FormFile>,
        name: &str,
        var_type: VarType,
        key: &str,
        range: Option<&Spanned<[i64; 2]>>,
    ) -> Option<IntRange> {
        let range_item = range?;
        let site = Site::of(file, range_item);
        let [min, max] = *range_item.get_ref();
        if var_type != VarType::Int {
            self.error(
                &site,
                format!(
                    "`{key}` is only for variables of type int; `{name}` is {}",
                    var_type.name()
                ),
            );
            return None;
        }
        if min > max {
            self.error(
                &site,
                format!("{key} [{min}, {max}]: the minimum is greater than the maximum"),
            );
            return None;
        }
        Some(IntRange { min, max })
    }

    fn allow_unknown(
        &mut self,
        file: &Parsed<FormFile>,
        raw: &VariableFile,
        var_type: VarType,
        codes: Option<&str>,
    ) -> bool {
        let Some(flag) = &raw.allow_unknown else { return false };
        let site = Site::of(file, flag);
        if !*flag.get_ref() {
            return false;
        }
        if var_type == VarType::Text {
            self.error(
                &site,
                "allow_unknown is not possible for text variables: the text \"unknown\" would be ambiguous",
            );
        } else if let Some(list) = codes.and_then(|c| self.code_lists.get(c))
            && list.contains("unknown")
        {
            let reason = format!(
                "allow_unknown is ambiguous: the code list `{}` has a code `unknown`",
                list.name
            );
            self.error(&site, reason);
        }
        true
    }

    pub(super) fn date<T>(&mut self, file: &Parsed<T>, key: &str, value: &Spanned<toml::Value>) -> Option<Date> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => String::new(),
        };
        match text.parse::<Date>() {
            Ok(date) if text.len() == 10 => Some(date),
            _ => {
                self.error(
                    &Site::of(file, value),
                    format!("`{key}` must be a date written YYYY-MM-DD"),
                );
                None
            }
        }
    }

    /// The period, person and unit variables exist and have fitting types.
    pub(super) fn key_variables(&mut self, file: &Parsed<RegisterFile>) {
        let register = &file.content;
        let keys: [(&str, &Spanned<String>, &[VarType]); 3] = [
            (
                "period_variable",
                &register.period_variable,
                &[VarType::Date, VarType::Datetime],
            ),
            ("person_variable", &register.person_variable, &[VarType::Text]),
            ("unit_variable", &register.unit_variable, &[VarType::Code]),
        ];
        for (key, name, types) in keys {
            let site = Site::of(file, name);
            match self.entered.get(name.get_ref()) {
                None => self.error(
                    &site,
                    format!("{key}: `{}` is not a variable of any form", name.get_ref()),
                ),
                Some(t) if !types.contains(t) => {
                    let allowed: Vec<&str> = types.iter().map(|t| t.name()).collect();
                    let reason = format!(
                        "{key}: `{}` is {}, but must be {}",
                        name.get_ref(),
                        t.name(),
                        allowed.join(" or ")
                    );
                    self.error(&site, reason);
                }
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::is_name;

    #[test]
    fn names_fit_expressions() {
        assert!(is_name("door_to_needle"));
        assert!(is_name("mrs_3m"));
        assert!(!is_name("3m"));
        assert!(!is_name("Sex"));
        assert!(!is_name("fu-date"));
        assert!(!is_name(""));
    }
}
