//! Choosing, row by row, which of several columns gives the result: CASE branches and
//! coalesce arguments. Strings from different dictionaries are merged into one.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Date32Array, Int32Array, Int64Array, UInt32Array};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder, NullBufferBuilder, ScalarBuffer};

use crate::vector::{Dictionary, Moments, Strings, Vector};

/// No column chosen: the row's result is NULL.
const NONE: u32 = u32::MAX;

/// For each row, the first of `masks` (in order) that is set there, or [`NONE`].
pub(super) fn choose(len: usize, masks: impl Iterator<Item = BooleanBuffer>) -> Vec<u32> {
    let mut chosen = vec![NONE; len];
    for (k, mask) in masks.enumerate() {
        let k = u32::try_from(k).unwrap_or(NONE);
        for row in mask.set_indices() {
            if chosen[row] == NONE {
                chosen[row] = k;
            }
        }
    }
    chosen
}

/// Rows with no choice yet take `fallback`.
pub(super) fn otherwise(mut chosen: Vec<u32>, fallback: usize) -> Vec<u32> {
    let fallback = u32::try_from(fallback).unwrap_or(NONE);
    for c in &mut chosen {
        if *c == NONE {
            *c = fallback;
        }
    }
    chosen
}

/// Each row's value from the column `chosen[row]`: NULL for [`NONE`], and NULL where the
/// chosen column is of another type than the result (never for a type-checked expression).
pub(super) fn gather(len: usize, sources: &[Vector], chosen: &[u32]) -> Vector {
    let Some(first) = sources.iter().find(|s| !matches!(s, Vector::Null(_))) else {
        return Vector::Null(len);
    };
    let source = |row: usize| chosen.get(row).and_then(|&c| sources.get(c as usize));
    match first {
        Vector::Null(_) => Vector::Null(len),
        Vector::Bool(_) => {
            let mut values = BooleanBufferBuilder::new(len);
            let mut nulls = NullBufferBuilder::new(len);
            for row in 0..len {
                let value = match source(row) {
                    Some(Vector::Bool(a)) if a.is_valid(row) => Some(a.value(row)),
                    _ => None,
                };
                values.append(value.unwrap_or(false));
                nulls.append(value.is_some());
            }
            Vector::Bool(BooleanArray::new(values.finish(), nulls.finish()))
        }
        Vector::Int(_) => {
            let (values, nulls) = take(len, |row| match source(row) {
                Some(Vector::Int(a)) if a.is_valid(row) => Some(a.value(row)),
                _ => None,
            });
            Vector::Int(Int64Array::new(values, nulls))
        }
        Vector::Date(_) => {
            let (values, nulls) = take(len, |row| match source(row) {
                Some(Vector::Date(a)) if a.is_valid(row) => Some(a.value(row)),
                _ => None,
            });
            Vector::Date(Date32Array::new(values, nulls))
        }
        Vector::Moment(_) => {
            let moment = |row: usize| match source(row) {
                Some(Vector::Moment(m)) => Some(m),
                _ => None,
            };
            let at = |row: usize| moment(row).filter(|m| m.seconds.is_valid(row));
            let (seconds, seconds_nulls) = take(len, |row| at(row).map(|m| m.seconds.value(row)));
            let (nanos, _) = take(len, |row| at(row).map(|m| m.nanos_at(row)));
            let nanos = nanos
                .iter()
                .any(|n| *n != 0)
                .then(|| Int32Array::new(nanos, seconds_nulls.clone()));
            let (date, date_nulls) = take(len, |row| {
                moment(row).filter(|m| m.date.is_valid(row)).map(|m| m.date.value(row))
            });
            Vector::Moment(Moments {
                seconds: Int64Array::new(seconds, seconds_nulls),
                nanos,
                date: Date32Array::new(date, date_nulls),
            })
        }
        Vector::Str(_) => {
            let (dictionary, maps) = merge(sources);
            let (keys, nulls) = take(len, |row| {
                let c = *chosen.get(row)? as usize;
                match sources.get(c)? {
                    Vector::Str(s) if s.keys.is_valid(row) => maps.get(c)?.get(s.keys.value(row) as usize).copied(),
                    _ => None,
                }
            });
            Vector::Str(Strings {
                keys: UInt32Array::new(keys, nulls),
                values: Arc::new(dictionary),
            })
        }
    }
}

/// One dictionary holding every string of the string sources, and for each source the new
/// key of each of its keys.
fn merge(sources: &[Vector]) -> (Dictionary, Vec<Vec<u32>>) {
    let mut dictionary = Dictionary::default();
    let maps = sources
        .iter()
        .map(|source| match source {
            Vector::Str(s) => s
                .values
                .values()
                .iter()
                .map(|v| dictionary.intern(v).unwrap_or(u32::MAX))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    (dictionary, maps)
}

/// Values and validity from a per-row function.
fn take<T: arrow_buffer::ArrowNativeType + Default>(
    len: usize,
    value: impl Fn(usize) -> Option<T>,
) -> (ScalarBuffer<T>, Option<arrow_buffer::NullBuffer>) {
    let mut values = Vec::with_capacity(len);
    let mut nulls = NullBufferBuilder::new(len);
    for row in 0..len {
        let v = value(row);
        nulls.append(v.is_some());
        values.push(v.unwrap_or_default());
    }
    (ScalarBuffer::from(values), nulls.finish())
}
