//! The functions of the expression language over columns, each as the row evaluator
//! computes it. Functions of national ids work once per distinct id in the dictionary.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Date32Array, Int64Array, UInt32Array};
use arrow_buffer::{BooleanBuffer, NullBufferBuilder, ScalarBuffer};
use kvalreg_core::expr::Function;
use kvalreg_core::national_id;

use crate::civil;
use crate::vector::{Dictionary, Moments, Strings, Vector, nulls_of, validity};

use super::select;

pub(super) fn call(function: Function, args: &[Vector], len: usize) -> Vector {
    let arg = |i: usize| args.get(i);
    match function {
        Function::MinutesBetween => match (arg(0), arg(1)) {
            (Some(Vector::Moment(from)), Some(Vector::Moment(to))) => Vector::Int(minutes_between(from, to)),
            _ => Vector::Null(len),
        },
        Function::DaysBetween => match (days(arg(0)), days(arg(1))) {
            (Some(from), Some(to)) => Vector::Int(per_day_pair(&from, &to, |a, b| i64::from(b) - i64::from(a))),
            _ => Vector::Null(len),
        },
        Function::YearsBetween => match (days(arg(0)), days(arg(1))) {
            (Some(from), Some(to)) => Vector::Int(per_day_pair(&from, &to, civil::years_between)),
            _ => Vector::Null(len),
        },
        Function::DateOf => days(arg(0)).map_or(Vector::Null(len), Vector::Date),
        Function::Coalesce => {
            if let Some(result) = coalesce_bools(args, len) {
                return Vector::Bool(result);
            }
            let chosen = select::choose(len, args.iter().map(Vector::validity));
            select::gather(len, args, &chosen)
        }
        Function::BirthDateFromId => match arg(0) {
            Some(Vector::Str(ids)) => {
                let birth_dates: Vec<Option<i32>> = ids
                    .values
                    .values()
                    .iter()
                    .map(|id| national_id::parse(id).ok()?.birth_date.map(civil::day_number))
                    .collect();
                let (values, nulls) = per_key(ids, |key| birth_dates.get(key as usize).copied().flatten());
                Vector::Date(Date32Array::new(values, nulls))
            }
            _ => Vector::Null(len),
        },
        Function::SexFromId => match arg(0) {
            Some(Vector::Str(ids)) => {
                let mut dictionary = Dictionary::default();
                let sexes: Vec<Option<u32>> = ids
                    .values
                    .values()
                    .iter()
                    .map(|id| {
                        let id = national_id::parse(id).ok()?;
                        id.kind
                            .is_norwegian()
                            .then(|| dictionary.intern(id.sex.code()))
                            .flatten()
                    })
                    .collect();
                let (keys, nulls) = per_key(ids, |key| sexes.get(key as usize).copied().flatten());
                Vector::Str(Strings {
                    keys: UInt32Array::new(keys, nulls),
                    values: Arc::new(dictionary),
                })
            }
            _ => Vector::Null(len),
        },
    }
}

/// coalesce of boolean columns with bit operations: each row takes the first argument that
/// is not NULL there. `None` unless one argument is boolean and the others boolean or NULL.
fn coalesce_bools(args: &[Vector], len: usize) -> Option<BooleanArray> {
    if !args.iter().any(|a| matches!(a, Vector::Bool(_))) {
        return None;
    }
    let mut value = BooleanBuffer::new_unset(len);
    let mut known = BooleanBuffer::new_unset(len);
    for arg in args {
        match arg {
            Vector::Null(_) => {}
            Vector::Bool(a) => {
                let valid = validity(a.nulls(), len);
                let take = &valid & &!&known;
                value = &value | &(a.values() & &take);
                known = &known | &valid;
            }
            _ => return None,
        }
    }
    Some(BooleanArray::new(value, nulls_of(known)))
}

/// The Europe/Oslo dates of a date or datetime column.
fn days(vector: Option<&Vector>) -> Option<Date32Array> {
    match vector? {
        Vector::Date(dates) => Some(dates.clone()),
        Vector::Moment(moments) => Some(moments.date.clone()),
        _ => None,
    }
}

fn per_day_pair(from: &Date32Array, to: &Date32Array, f: impl Fn(i32, i32) -> i64) -> Int64Array {
    from.iter().zip(to.iter()).map(|(a, b)| Some(f(a?, b?))).collect()
}

/// A value per dictionary key, spread over the rows.
fn per_key<T: arrow_buffer::ArrowNativeType + Default>(
    strings: &Strings,
    value: impl Fn(u32) -> Option<T>,
) -> (ScalarBuffer<T>, Option<arrow_buffer::NullBuffer>) {
    let len = strings.keys.len();
    let mut values = Vec::with_capacity(len);
    let mut nulls = NullBufferBuilder::new(len);
    for row in 0..len {
        let v = if strings.keys.is_valid(row) {
            value(strings.keys.value(row))
        } else {
            None
        };
        nulls.append(v.is_some());
        values.push(v.unwrap_or_default());
    }
    (ScalarBuffer::from(values), nulls.finish())
}

/// Whole minutes from `from` to `to`, truncated toward zero; NULL when a clock time is
/// unknown (or the value missing).
fn minutes_between(from: &Moments, to: &Moments) -> Int64Array {
    let len = from.len();
    let mut values = Vec::with_capacity(len);
    let mut nulls = NullBufferBuilder::new(len);
    let exact_seconds = from.nanos.is_none() && to.nanos.is_none();
    for row in 0..len {
        let known = from.seconds.is_valid(row) && to.seconds.is_valid(row);
        let seconds = if !known {
            0
        } else if exact_seconds {
            to.seconds.value(row) - from.seconds.value(row)
        } else {
            let nanos = |m: &Moments| i128::from(m.seconds.value(row)) * 1_000_000_000 + i128::from(m.nanos_at(row));
            // A difference of two timestamps in whole seconds fits an i64.
            ((nanos(to) - nanos(from)) / 1_000_000_000) as i64
        };
        values.push(seconds / 60);
        nulls.append(known);
    }
    Int64Array::new(ScalarBuffer::from(values), nulls.finish())
}
