//! Derived values (domain.md 3.4): computed from a registration's entered values by the
//! register's derived-variable expressions, never entered and never stored as input.

use crate::definition::Register;
use crate::value::Record;

impl Register {
    /// The derived values of a record, computed in dependency order so a derived variable
    /// may use another. A derived value that is NULL (e.g. an interval with an unknown
    /// clock time) is absent from the result.
    pub fn derive(&self, record: &Record) -> Record {
        let mut row = record.clone();
        let mut derived = Record::new();
        for variable in &self.derived {
            row.remove(&variable.name);
            if let Some(value) = variable.expression.expr.eval(&row) {
                row.insert(variable.name.clone(), value.clone());
                derived.insert(variable.name.clone(), value);
            }
        }
        derived
    }
}
