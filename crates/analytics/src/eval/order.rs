//! Comparisons of two columns row by row, as the row evaluator's `compare`: the order is
//! unknown (NULL) when either side is NULL, when the types differ, and when a date-only
//! time meets another time on the same Europe/Oslo day.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::{Array, BooleanArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use kvalreg_core::value::Value;

use crate::civil;
use crate::vector::{Moments, Strings, Vector, nulls_of, validity};

/// Each row's order of `a` against `b` (-1, 0 or 1), and whether it is known.
struct Orders {
    order: Vec<i8>,
    known: BooleanBuffer,
}

/// `holds(order)` for each row, NULL where the order is unknown.
pub(super) fn compare(a: &Vector, b: &Vector, holds: impl Fn(i8) -> bool) -> BooleanArray {
    let orders = orders(a, b);
    let values = BooleanBuffer::collect_bool(orders.order.len(), |i| holds(orders.order[i]));
    BooleanArray::new(values, nulls_of(orders.known))
}

/// `subject IN (items)`: TRUE when an item equals the subject; otherwise NULL when some
/// comparison is unknown; otherwise FALSE. NULL when the subject is. `negated` swaps TRUE and FALSE.
pub(super) fn in_list(subject: &Vector, items: &[Vector], negated: bool) -> BooleanArray {
    let len = subject.len();
    let mut found = BooleanBuffer::new_unset(len);
    let mut unknown = BooleanBuffer::new_unset(len);
    for item in items {
        let orders = orders(subject, item);
        let equal = BooleanBuffer::collect_bool(len, |i| orders.order[i] == 0);
        found = &found | &(&equal & &orders.known);
        unknown = &unknown | &!&orders.known;
    }
    let known = &subject.validity() & &(&found | &!&unknown);
    let values = if negated { !&found } else { found };
    BooleanArray::new(values, nulls_of(known))
}

/// `holds(order)` of each row of `column` against one value, as [`compare`] with the value
/// in every row. `None` when this pair of types has no fast path here.
pub(super) fn compare_scalar(column: &Vector, value: &Value, holds: impl Fn(i8) -> bool) -> Option<BooleanArray> {
    let against = |values: &[i64], x: i64, nulls: Option<&NullBuffer>| {
        BooleanArray::new(
            BooleanBuffer::collect_bool(values.len(), |i| holds(to_i8(values[i].cmp(&x)))),
            nulls.cloned(),
        )
    };
    let against_day = |days: &[i32], x: i32, nulls: Option<&NullBuffer>| {
        BooleanArray::new(
            BooleanBuffer::collect_bool(days.len(), |i| holds(to_i8(days[i].cmp(&x)))),
            nulls.cloned(),
        )
    };
    Some(match (column, value) {
        (Vector::Int(a), Value::Int(x)) => against(a.values(), *x, a.nulls()),
        (Vector::Date(a), Value::Date(d)) => against_day(a.values(), civil::day_number(*d), a.nulls()),
        (Vector::Moment(m), Value::Date(d)) => against_day(m.date.values(), civil::day_number(*d), m.date.nulls()),
        (Vector::Bool(a), Value::Bool(x)) => BooleanArray::new(
            BooleanBuffer::collect_bool(a.len(), |i| holds(to_i8(a.value(i).cmp(x)))),
            a.nulls().cloned(),
        ),
        (Vector::Str(s), Value::Code(x) | Value::Text(x)) => {
            let by_key: Vec<bool> = s
                .values
                .values()
                .iter()
                .map(|v| holds(to_i8((**v).cmp(x.as_str()))))
                .collect();
            let keys = s.keys.values();
            let values =
                BooleanBuffer::collect_bool(keys.len(), |i| by_key.get(keys[i] as usize).copied().unwrap_or(false));
            BooleanArray::new(values, s.keys.nulls().cloned())
        }
        _ => return None,
    })
}

/// `subject IN (literals)` for strings and ints, as [`in_list`] with every item a
/// non-NULL literal: never unknown unless the subject is NULL. `None` without a fast path.
pub(super) fn in_scalars(subject: &Vector, items: &[Value], negated: bool) -> Option<BooleanArray> {
    match subject {
        Vector::Str(s) => {
            let wanted: Vec<&str> = items
                .iter()
                .map(|v| match v {
                    Value::Code(x) | Value::Text(x) => Some(x.as_str()),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let by_key: Vec<bool> = s
                .values
                .values()
                .iter()
                .map(|v| wanted.contains(&&**v) != negated)
                .collect();
            let keys = s.keys.values();
            let values =
                BooleanBuffer::collect_bool(keys.len(), |i| by_key.get(keys[i] as usize).copied().unwrap_or(false));
            Some(BooleanArray::new(values, s.keys.nulls().cloned()))
        }
        Vector::Int(a) => {
            let wanted: Vec<i64> = items
                .iter()
                .map(|v| match v {
                    Value::Int(x) => Some(*x),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let values = a.values();
            let found = BooleanBuffer::collect_bool(values.len(), |i| wanted.contains(&values[i]) != negated);
            Some(BooleanArray::new(found, a.nulls().cloned()))
        }
        _ => None,
    }
}

fn to_i8(order: Ordering) -> i8 {
    order as i8
}

fn orders(a: &Vector, b: &Vector) -> Orders {
    let len = a.len();
    match (a, b) {
        (Vector::Int(x), Vector::Int(y)) => plain(x.values(), y.values(), x.nulls(), y.nulls(), len),
        (Vector::Date(x), Vector::Date(y)) => plain(x.values(), y.values(), x.nulls(), y.nulls(), len),
        (Vector::Bool(x), Vector::Bool(y)) => {
            let order = (0..len)
                .map(|i| to_i8(x.values().value(i).cmp(&y.values().value(i))))
                .collect();
            Orders {
                order,
                known: &validity(x.nulls(), len) & &validity(y.nulls(), len),
            }
        }
        (Vector::Str(x), Vector::Str(y)) => strings(x, y),
        (Vector::Moment(x), Vector::Moment(y)) => moments(x, y),
        (Vector::Date(x), Vector::Moment(y)) => plain(x.values(), y.date.values(), x.nulls(), y.date.nulls(), len),
        (Vector::Moment(x), Vector::Date(y)) => plain(x.date.values(), y.values(), x.date.nulls(), y.nulls(), len),
        _ => Orders {
            order: vec![0; len],
            known: BooleanBuffer::new_unset(len),
        },
    }
}

fn plain<T: Ord>(x: &[T], y: &[T], x_nulls: Option<&NullBuffer>, y_nulls: Option<&NullBuffer>, len: usize) -> Orders {
    let order = x.iter().zip(y).map(|(a, b)| to_i8(a.cmp(b))).collect();
    Orders {
        order,
        known: &validity(x_nulls, len) & &validity(y_nulls, len),
    }
}

/// Strings compare by their text. Each dictionary value gets its rank in the sorted union
/// of both dictionaries, so ranks order (and equal) exactly as the strings do.
fn strings(x: &Strings, y: &Strings) -> Orders {
    let len = x.keys.len();
    let mut union: Vec<&str> = x
        .values
        .values()
        .iter()
        .chain(y.values.values())
        .map(AsRef::as_ref)
        .collect();
    union.sort_unstable();
    union.dedup();
    // Every value is in the union, so the search always finds it.
    let rank = |values: &[Arc<str>]| -> Vec<usize> {
        values
            .iter()
            .map(|v| union.binary_search(&v.as_ref()).unwrap_or(0))
            .collect()
    };
    let x_rank = rank(x.values.values());
    let y_rank = rank(y.values.values());
    let rank_of = |ranks: &[usize], key: u32| ranks.get(key as usize).copied().unwrap_or(0);
    let order = x
        .keys
        .values()
        .iter()
        .zip(y.keys.values().iter())
        .map(|(&a, &b)| to_i8(rank_of(&x_rank, a).cmp(&rank_of(&y_rank, b))))
        .collect();
    Orders {
        order,
        known: &validity(x.keys.nulls(), len) & &validity(y.keys.nulls(), len),
    }
}

/// Two instants compare exactly; when a clock time is unknown only different days decide.
fn moments(x: &Moments, y: &Moments) -> Orders {
    let len = x.len();
    let x_at = validity(x.seconds.nulls(), len);
    let y_at = validity(y.seconds.nulls(), len);
    let x_day = validity(x.date.nulls(), len);
    let y_day = validity(y.date.nulls(), len);
    let mut order = Vec::with_capacity(len);
    let mut known = Vec::with_capacity(len);
    for i in 0..len {
        if x_at.value(i) && y_at.value(i) {
            let a = (x.seconds.value(i), x.nanos_at(i));
            let b = (y.seconds.value(i), y.nanos_at(i));
            order.push(to_i8(a.cmp(&b)));
            known.push(true);
        } else if x_day.value(i) && y_day.value(i) {
            let o = x.date.value(i).cmp(&y.date.value(i));
            order.push(to_i8(o));
            known.push(o.is_ne());
        } else {
            order.push(0);
            known.push(false);
        }
    }
    Orders {
        order,
        known: BooleanBuffer::from(known),
    }
}
