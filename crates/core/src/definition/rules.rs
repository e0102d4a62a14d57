//! Checks `rules.toml`: every assertion is a condition over known variables, and every
//! rule names the entered fields its message is shown beside.

use std::collections::HashSet;

use crate::validation::Severity;

use super::files::SeverityFile;
use super::load::{Checker, Folder, NAME_RULE, Site, is_name};
use super::{DerivedVariable, Rule};

impl Checker {
    pub(super) fn rules(&mut self, folder: &Folder, derived: &[DerivedVariable]) -> Vec<Rule> {
        let Some(file) = &folder.rules else { return Vec::new() };
        let mut rules = Vec::new();
        let mut ids = HashSet::new();
        for raw in &file.content.rules {
            let id = raw.id.get_ref();
            let id_site = Site::of(file, &raw.id);
            if !is_name(id) {
                self.error(&id_site, format!("the rule id `{id}` must be {NAME_RULE}"));
            }
            if !ids.insert(id.clone()) {
                self.error(&id_site, format!("the rule `{id}` is defined twice"));
            }
            let site = Site::of(file, &raw.assert);
            let Some(assert) = self.condition(&site, "assert", raw.assert.get_ref()) else {
                continue;
            };
            let fields = match &raw.fields {
                Some(fields) => {
                    for field in fields {
                        if !self.entered.contains_key(field.get_ref()) {
                            let reason =
                                format!("fields: `{}` is not an entered variable of any form", field.get_ref());
                            self.error(&Site::of(file, field), reason);
                        }
                    }
                    fields.iter().map(|f| f.get_ref().clone()).collect()
                }
                None => self.entered_inputs(&assert.expr.variables(), derived),
            };
            if fields.is_empty() {
                self.error(
                    &site,
                    format!("the rule `{id}` mentions no entered variable; name them in `fields`"),
                );
            }
            let severity = match raw.severity {
                SeverityFile::Hard => Severity::Error,
                SeverityFile::Soft => Severity::Warning,
            };
            rules.push(Rule {
                id: id.clone(),
                assert,
                severity,
                fields,
                message: raw.message.clone(),
            });
        }
        rules
    }

    /// The entered variables behind a list of names: derived ones are replaced by the
    /// entered variables they are computed from. In order of first appearance.
    fn entered_inputs(&self, names: &[&str], derived: &[DerivedVariable]) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending: Vec<String> = names.iter().rev().map(|n| n.to_string()).collect();
        let mut visited = HashSet::new();
        while let Some(name) = pending.pop() {
            if !visited.insert(name.clone()) {
                continue;
            }
            if self.entered.contains_key(&name) {
                found.push(name);
            } else if let Some(d) = derived.iter().find(|d| d.name == name) {
                pending.extend(d.expression.expr.variables().iter().rev().map(|n| n.to_string()));
            }
        }
        found
    }
}
