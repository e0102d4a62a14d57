//! Checks `derived.toml`: each derived variable's expression has its declared type, and
//! the derived variables can be computed in some order (no cycle among them).

use std::collections::HashMap;

use super::DerivedVariable;
use super::load::{Checker, Folder, Site};
use super::order::dependency_order;

impl Checker {
    /// The derived variables in computing order (each after those it uses).
    pub(super) fn derived_variables(&mut self, folder: &Folder) -> Vec<DerivedVariable> {
        let Some(file) = &folder.derived else { return Vec::new() };
        let mut variables = Vec::new();
        let mut sites = Vec::new();
        for raw in &file.content.derived {
            let site = Site::of(file, &raw.expression);
            let expression = self.expression(&site, "expression", raw.expression.get_ref(), raw.var_type);
            if let Some(expression) = expression {
                variables.push(DerivedVariable {
                    name: raw.name.get_ref().clone(),
                    var_type: raw.var_type,
                    expression,
                    label: raw.label.clone(),
                    unit: raw.unit.clone(),
                });
                sites.push(site);
            }
        }
        let position: HashMap<&str, usize> = variables
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        let uses: Vec<Vec<usize>> = variables
            .iter()
            .map(|d| {
                d.expression
                    .expr
                    .variables()
                    .iter()
                    .filter_map(|name| position.get(name).copied())
                    .collect()
            })
            .collect();
        match dependency_order(&uses) {
            Ok(order) => {
                let mut slots: Vec<Option<DerivedVariable>> = variables.into_iter().map(Some).collect();
                order.into_iter().filter_map(|i| slots[i].take()).collect()
            }
            Err(cycles) => {
                for cycle in cycles {
                    let names: Vec<&str> = cycle.iter().map(|&i| variables[i].name.as_str()).collect();
                    let reason = format!("the derived variables form a cycle: {}", names.join(" → "));
                    self.error(&sites[cycle[0]], reason);
                }
                Vec::new()
            }
        }
    }
}
