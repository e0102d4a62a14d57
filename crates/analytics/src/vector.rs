//! Typed columns of values, one per variable or computed expression: the Arrow arrays the
//! column evaluator reads and writes, and how a single row reads back as a `Value`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Date32Array, Int32Array, Int64Array, UInt32Array};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use kvalreg_core::value::{Moment, Value};

use crate::civil;

/// A column of one type. A NULL slot is a missing value, an explicit "unknown", or a result
/// that is unknown (SQL NULL).
#[derive(Debug, Clone)]
pub enum Vector {
    /// Every slot NULL, of no particular type (the NULL literal, or a variable with no column).
    Null(usize),
    Bool(BooleanArray),
    Int(Int64Array),
    /// Calendar dates as day numbers (see [`civil`]).
    Date(Date32Array),
    Moment(Moments),
    /// Codes and texts, dictionary-encoded.
    Str(Strings),
}

/// Points in time (`datetime` values): the exact instant when the clock time is known, and
/// the Europe/Oslo date always, so a date-only moment (clock unknown) keeps only its date.
#[derive(Debug, Clone)]
pub struct Moments {
    /// Whole seconds since 1970-01-01T00:00Z, rounded down; NULL when the value is missing
    /// or its clock time is unknown.
    pub seconds: Int64Array,
    /// The nanoseconds within the second; present only when some instant has them.
    pub nanos: Option<Int32Array>,
    /// The Europe/Oslo date as a day number; NULL only when the value is missing.
    pub date: Date32Array,
}

/// Strings as keys into a dictionary of distinct values: equal keys are equal strings.
#[derive(Debug, Clone)]
pub struct Strings {
    pub keys: UInt32Array,
    pub values: Arc<Dictionary>,
}

/// Distinct strings and a look-up from string to key. The strings are shared, so a copy
/// (to add strings to a dictionary columns still read) costs no string copies.
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    values: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Dictionary {
    /// The key of `value`, added when new. `None` only past `u32::MAX` distinct strings.
    pub fn intern(&mut self, value: &str) -> Option<u32> {
        if let Some(&key) = self.index.get(value) {
            return Some(key);
        }
        let key = u32::try_from(self.values.len()).ok()?;
        let value: Arc<str> = Arc::from(value);
        self.values.push(Arc::clone(&value));
        self.index.insert(value, key);
        Some(key)
    }

    /// The key of `value`, if the dictionary holds it.
    pub fn key(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    pub fn get(&self, key: u32) -> Option<&str> {
        self.values.get(key as usize).map(AsRef::as_ref)
    }

    pub fn values(&self) -> &[Arc<str>] {
        &self.values
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Bytes held: the strings and the look-up table (an estimate of the table's overhead).
    pub fn memory_size(&self) -> usize {
        let text: usize = self.values.iter().map(|v| v.len() + 16).sum();
        text + self.values.capacity() * std::mem::size_of::<Arc<str>>() * 2 + self.index.capacity() * 8
    }
}

impl Strings {
    /// Every slot the same string.
    pub fn constant(value: &str, len: usize) -> Strings {
        let mut dictionary = Dictionary::default();
        // A new dictionary has room for one value.
        let key = dictionary.intern(value).unwrap_or(0);
        Strings {
            keys: UInt32Array::new(ScalarBuffer::from(vec![key; len]), None),
            values: Arc::new(dictionary),
        }
    }

    pub fn get(&self, row: usize) -> Option<&str> {
        self.keys
            .is_valid(row)
            .then(|| self.values.get(self.keys.value(row)))
            .flatten()
    }
}

impl Moments {
    pub fn len(&self) -> usize {
        self.date.len()
    }

    pub fn is_empty(&self) -> bool {
        self.date.is_empty()
    }

    pub fn nanos_at(&self, row: usize) -> i32 {
        self.nanos.as_ref().map_or(0, |n| n.value(row))
    }

    /// The moment in one row.
    pub fn get(&self, row: usize) -> Option<Moment> {
        if self.seconds.is_valid(row) {
            return crate::columns::join_instant(self.seconds.value(row), self.nanos_at(row)).map(Moment::At);
        }
        self.date
            .is_valid(row)
            .then(|| civil::date_of_day(self.date.value(row)))
            .flatten()
            .map(Moment::DateOnly)
    }

    /// Bytes held by the arrays.
    pub fn memory_size(&self) -> usize {
        self.seconds.get_array_memory_size()
            + self.nanos.as_ref().map_or(0, |n| n.get_array_memory_size())
            + self.date.get_array_memory_size()
    }
}

impl Vector {
    pub fn len(&self) -> usize {
        match self {
            Vector::Null(len) => *len,
            Vector::Bool(a) => a.len(),
            Vector::Int(a) => a.len(),
            Vector::Date(a) => a.len(),
            Vector::Moment(m) => m.len(),
            Vector::Str(s) => s.keys.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the slot holds a value.
    pub fn is_valid(&self, row: usize) -> bool {
        match self {
            Vector::Null(_) => false,
            Vector::Bool(a) => a.is_valid(row),
            Vector::Int(a) => a.is_valid(row),
            Vector::Date(a) => a.is_valid(row),
            Vector::Moment(m) => m.date.is_valid(row),
            Vector::Str(s) => s.keys.is_valid(row),
        }
    }

    /// The rows that hold a value.
    pub fn validity(&self) -> BooleanBuffer {
        let len = self.len();
        match self {
            Vector::Null(_) => BooleanBuffer::new_unset(len),
            Vector::Bool(a) => validity(a.nulls(), len),
            Vector::Int(a) => validity(a.nulls(), len),
            Vector::Date(a) => validity(a.nulls(), len),
            Vector::Moment(m) => validity(m.date.nulls(), len),
            Vector::Str(s) => validity(s.keys.nulls(), len),
        }
    }

    /// The value in one row as the row evaluator would give it (`None` is NULL). Strings
    /// read back as `Value::Code`.
    pub fn value(&self, row: usize) -> Option<Value> {
        if row >= self.len() || !self.is_valid(row) {
            return None;
        }
        match self {
            Vector::Null(_) => None,
            Vector::Bool(a) => Some(Value::Bool(a.value(row))),
            Vector::Int(a) => Some(Value::Int(a.value(row))),
            Vector::Date(a) => civil::date_of_day(a.value(row)).map(Value::Date),
            Vector::Moment(m) => m.get(row).map(Value::Datetime),
            Vector::Str(s) => s.get(row).map(|v| Value::Code(v.to_string())),
        }
    }

    /// The rows where this boolean column is TRUE (not FALSE, not NULL); all unset for a
    /// column of another type.
    pub fn true_mask(&self) -> BooleanBuffer {
        match self {
            Vector::Bool(a) => true_mask(a),
            other => BooleanBuffer::new_unset(other.len()),
        }
    }

    /// Bytes held by the arrays (shared dictionaries counted once per column).
    pub fn memory_size(&self) -> usize {
        match self {
            Vector::Null(_) => 0,
            Vector::Bool(a) => a.get_array_memory_size(),
            Vector::Int(a) => a.get_array_memory_size(),
            Vector::Date(a) => a.get_array_memory_size(),
            Vector::Moment(m) => m.memory_size(),
            Vector::Str(s) => s.keys.get_array_memory_size() + s.values.memory_size(),
        }
    }
}

/// The rows where a boolean array is TRUE (not FALSE, not NULL).
pub fn true_mask(array: &BooleanArray) -> BooleanBuffer {
    match array.nulls() {
        Some(nulls) => array.values() & nulls.inner(),
        None => array.values().clone(),
    }
}

/// The validity of an array as a buffer of bits (all set when it has no NULL).
pub fn validity(nulls: Option<&NullBuffer>, len: usize) -> BooleanBuffer {
    match nulls {
        Some(nulls) => nulls.inner().clone(),
        None => BooleanBuffer::new_set(len),
    }
}

/// A validity buffer from bits, `None` when every bit is set.
pub fn nulls_of(valid: BooleanBuffer) -> Option<NullBuffer> {
    let buffer = NullBuffer::new(valid);
    (buffer.null_count() > 0).then_some(buffer)
}
