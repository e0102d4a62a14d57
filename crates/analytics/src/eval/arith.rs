//! Whole-number arithmetic over int columns: an overflow, a division by zero or a NULL
//! operand gives NULL, as in the row evaluator.

use arrow_array::Int64Array;
use arrow_buffer::{NullBufferBuilder, ScalarBuffer};
use kvalreg_core::expr::BinaryOp;

fn checked(values: impl Iterator<Item = Option<i64>>, len: usize) -> Int64Array {
    let mut out = Vec::with_capacity(len);
    let mut nulls = NullBufferBuilder::new(len);
    for value in values {
        out.push(value.unwrap_or(0));
        nulls.append(value.is_some());
    }
    Int64Array::new(ScalarBuffer::from(out), nulls.finish())
}

pub(super) fn negate(a: &Int64Array) -> Int64Array {
    checked(a.iter().map(|v| v.and_then(i64::checked_neg)), a.len())
}

pub(super) fn binary(op: BinaryOp, a: &Int64Array, b: &Int64Array) -> Int64Array {
    let apply: fn(i64, i64) -> Option<i64> = match op {
        BinaryOp::Plus => i64::checked_add,
        BinaryOp::Minus => i64::checked_sub,
        BinaryOp::Multiply => i64::checked_mul,
        _ => i64::checked_div,
    };
    checked(a.iter().zip(b.iter()).map(|(x, y)| apply(x?, y?)), a.len())
}
