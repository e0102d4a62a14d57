//! Rows added to and dropped from a column, so the indicator follower can keep a register's
//! columns current without rebuilding them from the registrations: a batch of changed
//! registrations is appended, and a compaction keeps only the live rows.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Date32Array, Int32Array, Int64Array, UInt32Array};
use arrow_buffer::{ArrowNativeType, BooleanBuffer, BooleanBufferBuilder, NullBuffer, ScalarBuffer};

use crate::vector::{Moments, Strings, Vector, nulls_of, validity};

/// `first`'s slots followed by `second`'s. Strings keep `first`'s dictionary (copied, with
/// `second`'s new strings added, only when `second` has strings `first` lacks). A column
/// of no type (all NULL) joins a typed one as NULLs of that type.
pub fn concat(first: &Vector, second: &Vector) -> Result<Vector, String> {
    let (a, b) = (first.len(), second.len());
    let joined = match (first, second) {
        (Vector::Null(_), Vector::Null(_)) => Vector::Null(a + b),
        (Vector::Null(_), typed) => return concat(&null_like(typed, a), typed),
        (typed, Vector::Null(_)) => return concat(typed, &null_like(typed, b)),
        (Vector::Bool(x), Vector::Bool(y)) => Vector::Bool(BooleanArray::new(
            join_bits(x.values(), y.values()),
            join_nulls(x.nulls(), a, y.nulls(), b),
        )),
        (Vector::Int(x), Vector::Int(y)) => Vector::Int(Int64Array::new(
            join_values(x.values(), y.values()),
            join_nulls(x.nulls(), a, y.nulls(), b),
        )),
        (Vector::Date(x), Vector::Date(y)) => Vector::Date(Date32Array::new(
            join_values(x.values(), y.values()),
            join_nulls(x.nulls(), a, y.nulls(), b),
        )),
        (Vector::Moment(x), Vector::Moment(y)) => {
            let seconds_nulls = join_nulls(x.seconds.nulls(), a, y.seconds.nulls(), b);
            let nanos = (x.nanos.is_some() || y.nanos.is_some()).then(|| {
                let values: Vec<i32> = (0..a)
                    .map(|r| x.nanos_at(r))
                    .chain((0..b).map(|r| y.nanos_at(r)))
                    .collect();
                Int32Array::new(ScalarBuffer::from(values), seconds_nulls.clone())
            });
            Vector::Moment(Moments {
                seconds: Int64Array::new(join_values(x.seconds.values(), y.seconds.values()), seconds_nulls),
                nanos,
                date: Date32Array::new(
                    join_values(x.date.values(), y.date.values()),
                    join_nulls(x.date.nulls(), a, y.date.nulls(), b),
                ),
            })
        }
        (Vector::Str(x), Vector::Str(y)) => Vector::Str(join_strings(x, y)?),
        (x, y) => {
            return Err(format!(
                "a column of {} values cannot be joined with one of {} values",
                kind(x),
                kind(y)
            ));
        }
    };
    Ok(joined)
}

/// The slots of `vector` at `rows`, in that order (strings keep their dictionary).
pub fn take(vector: &Vector, rows: &[usize]) -> Vector {
    let nulls = |nulls: Option<&NullBuffer>| {
        nulls.and_then(|n| nulls_of(BooleanBuffer::collect_bool(rows.len(), |i| n.is_valid(rows[i]))))
    };
    match vector {
        Vector::Null(_) => Vector::Null(rows.len()),
        Vector::Bool(x) => Vector::Bool(BooleanArray::new(
            BooleanBuffer::collect_bool(rows.len(), |i| x.values().value(rows[i])),
            nulls(x.nulls()),
        )),
        Vector::Int(x) => Vector::Int(Int64Array::new(pick(x.values(), rows), nulls(x.nulls()))),
        Vector::Date(x) => Vector::Date(Date32Array::new(pick(x.values(), rows), nulls(x.nulls()))),
        Vector::Moment(x) => {
            let seconds_nulls = nulls(x.seconds.nulls());
            Vector::Moment(Moments {
                nanos: x
                    .nanos
                    .as_ref()
                    .map(|n| Int32Array::new(pick(n.values(), rows), seconds_nulls.clone())),
                seconds: Int64Array::new(pick(x.seconds.values(), rows), seconds_nulls),
                date: Date32Array::new(pick(x.date.values(), rows), nulls(x.date.nulls())),
            })
        }
        Vector::Str(x) => Vector::Str(Strings {
            keys: UInt32Array::new(pick(x.keys.values(), rows), nulls(x.keys.nulls())),
            values: Arc::clone(&x.values),
        }),
    }
}

/// `first`'s bits followed by `second`'s.
pub fn join_bits(first: &BooleanBuffer, second: &BooleanBuffer) -> BooleanBuffer {
    let mut bits = BooleanBufferBuilder::new(first.len() + second.len());
    bits.append_buffer(first);
    bits.append_buffer(second);
    bits.finish()
}

fn join_values<T: ArrowNativeType>(first: &[T], second: &[T]) -> ScalarBuffer<T> {
    let mut values = Vec::with_capacity(first.len() + second.len());
    values.extend_from_slice(first);
    values.extend_from_slice(second);
    ScalarBuffer::from(values)
}

fn join_nulls(first: Option<&NullBuffer>, a: usize, second: Option<&NullBuffer>, b: usize) -> Option<NullBuffer> {
    if first.is_none() && second.is_none() {
        return None;
    }
    nulls_of(join_bits(&validity(first, a), &validity(second, b)))
}

fn pick<T: ArrowNativeType>(values: &[T], rows: &[usize]) -> ScalarBuffer<T> {
    rows.iter().map(|&r| values[r]).collect::<Vec<T>>().into()
}

/// `second`'s keys turned into keys of `first`'s dictionary.
fn join_strings(x: &Strings, y: &Strings) -> Result<Strings, String> {
    let known: Option<Vec<u32>> = y.values.values().iter().map(|v| x.values.key(v)).collect();
    let (dictionary, map) = match known {
        Some(map) => (Arc::clone(&x.values), map),
        None => {
            let mut dictionary = (*x.values).clone();
            let map = y
                .values
                .values()
                .iter()
                .map(|v| dictionary.intern(v))
                .collect::<Option<Vec<u32>>>()
                .ok_or("a column has more distinct values than it can hold (4,294,967,295)")?;
            (Arc::new(dictionary), map)
        }
    };
    let mut keys = Vec::with_capacity(x.keys.len() + y.keys.len());
    keys.extend_from_slice(x.keys.values());
    keys.extend(
        y.keys
            .values()
            .iter()
            .map(|&k| map.get(k as usize).copied().unwrap_or(0)),
    );
    Ok(Strings {
        keys: UInt32Array::new(
            ScalarBuffer::from(keys),
            join_nulls(x.keys.nulls(), x.keys.len(), y.keys.nulls(), y.keys.len()),
        ),
        values: dictionary,
    })
}

/// `len` NULL slots of the type of `like`.
fn null_like(like: &Vector, len: usize) -> Vector {
    let none = || Some(NullBuffer::new_null(len));
    match like {
        Vector::Null(_) => Vector::Null(len),
        Vector::Bool(_) => Vector::Bool(BooleanArray::new(BooleanBuffer::new_unset(len), none())),
        Vector::Int(_) => Vector::Int(Int64Array::new(vec![0; len].into(), none())),
        Vector::Date(_) => Vector::Date(Date32Array::new(vec![0; len].into(), none())),
        Vector::Moment(_) => Vector::Moment(Moments {
            seconds: Int64Array::new(vec![0; len].into(), none()),
            nanos: None,
            date: Date32Array::new(vec![0; len].into(), none()),
        }),
        Vector::Str(s) => Vector::Str(Strings {
            keys: UInt32Array::new(vec![0; len].into(), none()),
            values: Arc::clone(&s.values),
        }),
    }
}

fn kind(vector: &Vector) -> &'static str {
    match vector {
        Vector::Null(_) => "no",
        Vector::Bool(_) => "bool",
        Vector::Int(_) => "int",
        Vector::Date(_) => "date",
        Vector::Moment(_) => "datetime",
        Vector::Str(_) => "code or text",
    }
}
