//! SQL's three-valued logic over boolean columns (Kleene logic): FALSE wins an AND and
//! TRUE wins an OR even against NULL; otherwise NULL spreads.

use arrow_array::{Array, BooleanArray};
use arrow_buffer::BooleanBuffer;

use crate::vector::{nulls_of, validity};

/// The rows that are TRUE and the rows that are FALSE (NULL rows are in neither).
fn split(a: &BooleanArray) -> (BooleanBuffer, BooleanBuffer) {
    let known = validity(a.nulls(), a.len());
    (a.values() & &known, &!a.values() & &known)
}

fn from_split(is_true: BooleanBuffer, is_false: &BooleanBuffer) -> BooleanArray {
    let known = &is_true | is_false;
    BooleanArray::new(is_true, nulls_of(known))
}

pub(super) fn and(a: &BooleanArray, b: &BooleanArray) -> BooleanArray {
    let (a_true, a_false) = split(a);
    let (b_true, b_false) = split(b);
    from_split(&a_true & &b_true, &(&a_false | &b_false))
}

pub(super) fn or(a: &BooleanArray, b: &BooleanArray) -> BooleanArray {
    let (a_true, a_false) = split(a);
    let (b_true, b_false) = split(b);
    from_split(&a_true | &b_true, &(&a_false & &b_false))
}

pub(super) fn not(a: &BooleanArray) -> BooleanArray {
    BooleanArray::new(!a.values(), a.nulls().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[Option<bool>]) -> BooleanArray {
        values.iter().copied().collect()
    }

    #[test]
    fn truth_tables() {
        let a = column(&[
            Some(true),
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            None,
            None,
            None,
        ]);
        let b = column(&[
            Some(true),
            Some(false),
            None,
            Some(true),
            Some(false),
            None,
            Some(true),
            Some(false),
            None,
        ]);
        let t = Some(true);
        let f = Some(false);
        let as_vec = |c: BooleanArray| c.iter().collect::<Vec<_>>();
        assert_eq!(as_vec(and(&a, &b)), [t, f, None, f, f, f, None, f, None]);
        assert_eq!(as_vec(or(&a, &b)), [t, t, t, t, f, None, t, None, None]);
        assert_eq!(as_vec(not(&b)), [f, t, None, f, t, None, f, t, None]);
    }
}
