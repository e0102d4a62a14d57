//! A register's registrations held as typed columns (architecture.md §7): built from records
//! one at a time, with the derived variables computed over the columns by the column
//! evaluator, so indicators run as column kernels instead of record by record.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{BooleanArray, Date32Array, Int32Array, Int64Array, UInt32Array};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder, NullBufferBuilder, ScalarBuffer};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use kvalreg_core::definition::Register;
use kvalreg_core::value::{Moment, Record, Value, VarType};

use crate::civil;
use crate::eval::{Parameters, evaluate};
use crate::rows;
use crate::vector::{Dictionary, Moments, Strings, Vector};

/// Why a record could not be added to the columns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColumnError {
    #[error("registration {row}: `{variable}` holds a {found} value, but the variable is {expected}")]
    WrongType {
        row: usize,
        variable: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`{variable}` has more distinct values than a column can hold (4,294,967,295)")]
    TooManyValues { variable: String },
}

/// The registrations of one register as columns, one per variable (entered and derived).
/// A row may be dead (a registration changed or gone since the row was added): it keeps
/// its slot until [`Columns::compacted`], but is never counted.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    len: usize,
    columns: HashMap<String, Vector>,
    /// The live rows; `None` when every row is live.
    live: Option<BooleanBuffer>,
    dead: usize,
}

impl Columns {
    /// Builds the columns of a register's entered variables from records, then adds its
    /// derived variables. The records should be the registrations to analyse (for
    /// indicators: the complete and locked ones).
    pub fn from_records<'a>(
        register: &Register,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<Columns, ColumnError> {
        let mut builder = ColumnsBuilder::for_register(register);
        for record in records {
            builder.push(record)?;
        }
        let mut columns = builder.finish();
        columns.add_derived(register);
        Ok(columns)
    }

    /// The number of rows, dead ones included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The number of live rows: the registrations counted.
    pub fn live_count(&self) -> usize {
        self.len - self.dead
    }

    /// The number of dead rows.
    pub fn dead_count(&self) -> usize {
        self.dead
    }

    /// The live rows as a mask (all set when no row is dead).
    pub fn live(&self) -> BooleanBuffer {
        self.live.clone().unwrap_or_else(|| BooleanBuffer::new_set(self.len))
    }

    /// Whether a row is live.
    pub fn is_live(&self, row: usize) -> bool {
        row < self.len && self.live.as_ref().is_none_or(|live| live.value(row))
    }

    /// These rows followed by the rows of `batch` (columns of the same register, derived
    /// variables included), with the rows numbered `dead` (in the joined numbering) dead.
    /// The arrays are copied; columns shared with readers are left as they are.
    pub fn appended(&self, batch: &Columns, dead: &[usize]) -> Result<Columns, String> {
        let mut columns = HashMap::with_capacity(self.columns.len());
        for (name, column) in &self.columns {
            let added = batch
                .columns
                .get(name)
                .ok_or_else(|| format!("the appended rows have no column `{name}`"))?;
            let joined = rows::concat(column, added).map_err(|e| format!("`{name}`: {e}"))?;
            columns.insert(name.clone(), joined);
        }
        let len = self.len + batch.len;
        let mut live = BooleanBufferBuilder::new(len);
        live.append_buffer(&self.live());
        live.append_buffer(&batch.live());
        let joined = Columns {
            len,
            columns,
            live: Some(live.finish()),
            dead: self.dead + batch.dead,
        };
        Ok(joined.marked_dead(dead))
    }

    /// These rows with the rows numbered `dead` dead too. The arrays are shared, only the
    /// live-row mask is copied.
    pub fn marked_dead(&self, dead: &[usize]) -> Columns {
        let mut live = BooleanBufferBuilder::new(self.len);
        live.append_buffer(&self.live());
        let mut killed = 0;
        for &row in dead {
            if row < self.len && live.get_bit(row) {
                live.set_bit(row, false);
                killed += 1;
            }
        }
        let dead = self.dead + killed;
        Columns {
            len: self.len,
            columns: self.columns.clone(),
            live: (dead > 0).then(|| live.finish()),
            dead,
        }
    }

    /// The live rows only, in their order: row `r` becomes the number of live rows before it.
    pub fn compacted(&self) -> Columns {
        let Some(live) = &self.live else {
            return self.clone();
        };
        let rows: Vec<usize> = live.set_indices().collect();
        Columns {
            len: rows.len(),
            columns: self
                .columns
                .iter()
                .map(|(name, column)| (name.clone(), rows::take(column, &rows)))
                .collect(),
            live: None,
            dead: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A variable's column.
    pub fn get(&self, name: &str) -> Option<&Vector> {
        self.columns.get(name)
    }

    /// Adds (or replaces) a column. It must have one slot per registration.
    pub fn insert(&mut self, name: &str, column: Vector) -> Result<(), String> {
        if column.len() != self.len {
            return Err(format!(
                "the column `{name}` has {} values, not {}",
                column.len(),
                self.len
            ));
        }
        self.columns.insert(name.to_string(), column);
        Ok(())
    }

    /// Removes a column (every row keeps its other values).
    pub fn remove(&mut self, name: &str) -> Option<Vector> {
        self.columns.remove(name)
    }

    /// Computes the register's derived variables in dependency order, as
    /// `Register::derive` does one record at a time.
    pub fn add_derived(&mut self, register: &Register) {
        for derived in &register.derived {
            self.columns.remove(&derived.name);
            let column = evaluate(&derived.expression.expr, self, &Parameters::default());
            self.columns.insert(derived.name.clone(), column);
        }
    }

    /// Bytes held by all columns and the live-row mask.
    pub fn memory_size(&self) -> usize {
        self.columns.values().map(Vector::memory_size).sum::<usize>() + self.live.as_ref().map_or(0, |l| l.len() / 8)
    }

    /// The names of the columns, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.columns.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// Collects records into columns, one record at a time (so the records themselves need not
/// be held in memory together).
pub struct ColumnsBuilder {
    /// Variables sorted by name, matched against each record's sorted keys.
    variables: Vec<(String, ColumnBuilder)>,
    len: usize,
    calendar: OsloCalendar,
}

impl ColumnsBuilder {
    /// Columns for the given variables.
    pub fn new(variables: impl IntoIterator<Item = (String, VarType)>) -> ColumnsBuilder {
        let mut variables: Vec<(String, ColumnBuilder)> = variables
            .into_iter()
            .map(|(name, var_type)| (name, ColumnBuilder::new(var_type)))
            .collect();
        variables.sort_by(|a, b| a.0.cmp(&b.0));
        variables.dedup_by(|a, b| a.0 == b.0);
        ColumnsBuilder {
            variables,
            len: 0,
            calendar: OsloCalendar::new(),
        }
    }

    /// Columns for every entered variable of a register.
    pub fn for_register(register: &Register) -> ColumnsBuilder {
        ColumnsBuilder::new(register.variables().map(|v| (v.name.clone(), v.var_type)))
    }

    /// Adds one registration. Keys that are not variables of the builder are ignored; a
    /// value of the wrong type is refused and nothing of the record is added.
    pub fn push(&mut self, record: &Record) -> Result<(), ColumnError> {
        let row = self.len;
        let mut values: Vec<Option<&Value>> = Vec::with_capacity(self.variables.len());
        let mut entries = record.iter().peekable();
        for (name, builder) in &self.variables {
            while entries.peek().is_some_and(|(key, _)| key.as_str() < name.as_str()) {
                entries.next();
            }
            let value = match entries.peek() {
                Some((key, value)) if *key == name => Some(*value),
                _ => None,
            };
            if let Some(value) = value {
                builder
                    .check(value)
                    .map_err(|(expected, found)| ColumnError::WrongType {
                        row,
                        variable: name.clone(),
                        expected,
                        found,
                    })?;
            }
            values.push(value);
        }
        for ((name, builder), value) in self.variables.iter_mut().zip(values) {
            builder
                .push(value, &mut self.calendar)
                .map_err(|()| ColumnError::TooManyValues { variable: name.clone() })?;
        }
        self.len += 1;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Columns {
        let columns = self
            .variables
            .into_iter()
            .map(|(name, builder)| (name, builder.finish()))
            .collect();
        Columns {
            len: self.len,
            columns,
            live: None,
            dead: 0,
        }
    }
}

/// The values of one variable so far.
enum ColumnBuilder {
    Bool {
        values: BooleanBufferBuilder,
        nulls: NullBufferBuilder,
    },
    Int {
        values: Vec<i64>,
        nulls: NullBufferBuilder,
    },
    Date {
        values: Vec<i32>,
        nulls: NullBufferBuilder,
    },
    Moment {
        seconds: Vec<i64>,
        seconds_nulls: NullBufferBuilder,
        nanos: Vec<i32>,
        dates: Vec<i32>,
        date_nulls: NullBufferBuilder,
    },
    Str {
        keys: Vec<u32>,
        nulls: NullBufferBuilder,
        dictionary: Dictionary,
    },
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Code(_) => "code",
        Value::Date(_) => "date",
        Value::Datetime(_) => "datetime",
        Value::Text(_) => "text",
        Value::Unknown => "unknown",
    }
}

impl ColumnBuilder {
    fn new(var_type: VarType) -> ColumnBuilder {
        let nulls = || NullBufferBuilder::new(0);
        match var_type {
            VarType::Bool => ColumnBuilder::Bool {
                values: BooleanBufferBuilder::new(0),
                nulls: nulls(),
            },
            VarType::Int => ColumnBuilder::Int {
                values: Vec::new(),
                nulls: nulls(),
            },
            VarType::Date => ColumnBuilder::Date {
                values: Vec::new(),
                nulls: nulls(),
            },
            VarType::Datetime => ColumnBuilder::Moment {
                seconds: Vec::new(),
                seconds_nulls: nulls(),
                nanos: Vec::new(),
                dates: Vec::new(),
                date_nulls: nulls(),
            },
            VarType::Code | VarType::Text => ColumnBuilder::Str {
                keys: Vec::new(),
                nulls: nulls(),
                dictionary: Dictionary::default(),
            },
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            ColumnBuilder::Bool { .. } => "bool",
            ColumnBuilder::Int { .. } => "int",
            ColumnBuilder::Date { .. } => "date",
            ColumnBuilder::Moment { .. } => "datetime",
            ColumnBuilder::Str { .. } => "code or text",
        }
    }

    /// Whether the value fits the column: `Err((expected, found))` when it does not.
    fn check(&self, value: &Value) -> Result<(), (&'static str, &'static str)> {
        let fits = matches!(
            (self, value),
            (_, Value::Unknown)
                | (ColumnBuilder::Bool { .. }, Value::Bool(_))
                | (ColumnBuilder::Int { .. }, Value::Int(_))
                | (ColumnBuilder::Date { .. }, Value::Date(_))
                | (ColumnBuilder::Moment { .. }, Value::Datetime(_))
                | (ColumnBuilder::Str { .. }, Value::Code(_) | Value::Text(_))
        );
        if fits {
            Ok(())
        } else {
            Err((self.type_name(), value_kind(value)))
        }
    }

    /// Appends a checked value (`None`, or `Unknown`, is NULL). `Err` only when a string
    /// column's dictionary is full.
    fn push(&mut self, value: Option<&Value>, calendar: &mut OsloCalendar) -> Result<(), ()> {
        let value = value.filter(|v| !matches!(v, Value::Unknown));
        match self {
            ColumnBuilder::Bool { values, nulls } => {
                let b = matches!(value, Some(Value::Bool(true)));
                values.append(b);
                nulls.append(value.is_some());
            }
            ColumnBuilder::Int { values, nulls } => {
                let v = match value {
                    Some(Value::Int(i)) => Some(*i),
                    _ => None,
                };
                values.push(v.unwrap_or(0));
                nulls.append(v.is_some());
            }
            ColumnBuilder::Date { values, nulls } => {
                let v = match value {
                    Some(Value::Date(d)) => Some(civil::day_number(*d)),
                    _ => None,
                };
                values.push(v.unwrap_or(0));
                nulls.append(v.is_some());
            }
            ColumnBuilder::Moment {
                seconds,
                seconds_nulls,
                nanos,
                dates,
                date_nulls,
            } => {
                let (instant, date) = match value {
                    Some(Value::Datetime(Moment::At(ts))) => {
                        let (s, n) = split_instant(*ts);
                        (Some((s, n)), Some(calendar.day_of(*ts)))
                    }
                    Some(Value::Datetime(Moment::DateOnly(d))) => (None, Some(civil::day_number(*d))),
                    _ => (None, None),
                };
                let (s, n) = instant.unwrap_or((0, 0));
                seconds.push(s);
                nanos.push(n);
                seconds_nulls.append(instant.is_some());
                dates.push(date.unwrap_or(0));
                date_nulls.append(date.is_some());
            }
            ColumnBuilder::Str {
                keys,
                nulls,
                dictionary,
            } => {
                let text = match value {
                    Some(Value::Code(s) | Value::Text(s)) => Some(s.as_str()),
                    _ => None,
                };
                let key = match text {
                    Some(text) => Some(dictionary.intern(text).ok_or(())?),
                    None => None,
                };
                keys.push(key.unwrap_or(0));
                nulls.append(key.is_some());
            }
        }
        Ok(())
    }

    fn finish(self) -> Vector {
        match self {
            ColumnBuilder::Bool { mut values, mut nulls } => {
                Vector::Bool(BooleanArray::new(values.finish(), nulls.finish()))
            }
            ColumnBuilder::Int { values, mut nulls } => Vector::Int(Int64Array::new(exact(values), nulls.finish())),
            ColumnBuilder::Date { values, mut nulls } => Vector::Date(Date32Array::new(exact(values), nulls.finish())),
            ColumnBuilder::Moment {
                seconds,
                mut seconds_nulls,
                nanos,
                dates,
                mut date_nulls,
            } => {
                let seconds_nulls = seconds_nulls.finish();
                let nanos = nanos
                    .iter()
                    .any(|&n| n != 0)
                    .then(|| Int32Array::new(exact(nanos), seconds_nulls.clone()));
                Vector::Moment(Moments {
                    seconds: Int64Array::new(exact(seconds), seconds_nulls),
                    nanos,
                    date: Date32Array::new(exact(dates), date_nulls.finish()),
                })
            }
            ColumnBuilder::Str {
                keys,
                mut nulls,
                dictionary,
            } => Vector::Str(Strings {
                keys: UInt32Array::new(exact(keys), nulls.finish()),
                values: Arc::new(dictionary),
            }),
        }
    }
}

/// A buffer holding exactly the values, without the spare room a growing vector keeps.
fn exact<T: arrow_buffer::ArrowNativeType>(mut values: Vec<T>) -> ScalarBuffer<T> {
    values.shrink_to_fit();
    ScalarBuffer::from(values)
}

/// Whole seconds (rounded down) and the nanoseconds past them, never negative.
pub fn split_instant(ts: Timestamp) -> (i64, i32) {
    let total = ts.as_nanosecond();
    let seconds = total.div_euclid(1_000_000_000);
    let nanos = total.rem_euclid(1_000_000_000);
    // A jiff timestamp's seconds fit an i64 and the remainder is below 10^9.
    (seconds as i64, nanos as i32)
}

/// The instant of whole seconds and nanoseconds made by [`split_instant`].
pub fn join_instant(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Timestamp::from_nanosecond(i128::from(seconds) * 1_000_000_000 + i128::from(nanos)).ok()
}

/// Europe/Oslo dates of instants. The UTC offset of Europe/Oslo only changes on whole UTC
/// hours, so the offset is remembered per hour once checked at both ends of the hour, in a
/// table indexed by the hour (the last hour seen in each slot).
struct OsloCalendar {
    zone: Option<TimeZone>,
    offsets: Vec<(i64, i64)>,
}

/// Slots of the hour table: about fifteen years of hours (2 MiB while building).
const HOUR_SLOTS: usize = 1 << 17;

impl OsloCalendar {
    fn new() -> OsloCalendar {
        OsloCalendar {
            zone: TimeZone::get(kvalreg_core::time::ZONE).ok(),
            offsets: vec![(i64::MIN, 0); HOUR_SLOTS],
        }
    }

    fn day_of(&mut self, ts: Timestamp) -> i32 {
        let exact = |ts: Timestamp| civil::day_number(kvalreg_core::time::oslo_date(&Moment::At(ts)));
        let Some(zone) = &self.zone else { return exact(ts) };
        let (seconds, _) = split_instant(ts);
        let hour = seconds.div_euclid(3600);
        let slot = hour.rem_euclid(HOUR_SLOTS as i64) as usize;
        let offset = match self.offsets.get(slot) {
            Some(&(seen, offset)) if seen == hour => Some(offset),
            _ => {
                let at = |s: i64| {
                    Timestamp::from_second(s)
                        .ok()
                        .map(|t| i64::from(zone.to_offset(t).seconds()))
                };
                match (at(hour * 3600), at(hour * 3600 + 3599)) {
                    (Some(start), Some(end)) if start == end => {
                        if let Some(entry) = self.offsets.get_mut(slot) {
                            *entry = (hour, start);
                        }
                        Some(start)
                    }
                    _ => None,
                }
            }
        };
        match offset.and_then(|o| i32::try_from((seconds + o).div_euclid(86_400)).ok()) {
            Some(day) => day,
            None => exact(ts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_split_and_join() {
        for text in [
            "2024-03-31T01:10:00Z",
            "1969-12-31T23:59:59.25Z",
            "2024-10-27T00:59:59.999999999Z",
        ] {
            let ts: Timestamp = text.parse().expect("instant");
            let (s, n) = split_instant(ts);
            assert!((0..1_000_000_000).contains(&n));
            assert_eq!(join_instant(s, n), Some(ts));
        }
    }

    #[test]
    fn oslo_dates_around_midnight_and_daylight_saving() {
        let mut calendar = OsloCalendar::new();
        for text in [
            "2024-03-30T22:59:59Z",
            "2024-03-30T23:00:00Z",
            "2024-03-31T21:59:59Z",
            "2024-03-31T22:00:00Z",
            "2024-10-26T21:59:59Z",
            "2024-10-26T22:00:00Z",
            "2024-10-27T22:59:59Z",
            "2024-10-27T23:00:00Z",
            "1969-12-31T23:30:00Z",
        ] {
            let ts: Timestamp = text.parse().expect("instant");
            let expected = civil::day_number(kvalreg_core::time::oslo_date(&Moment::At(ts)));
            assert_eq!(calendar.day_of(ts), expected, "{text}");
            assert_eq!(calendar.day_of(ts), expected, "{text}, remembered");
        }
    }
}
