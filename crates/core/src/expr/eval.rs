//! The row evaluator: one record at a time, with SQL's three-valued logic. `None` is NULL
//! (unknown); a rule fails only on FALSE, so an unknown value never produces an error.

use std::cmp::Ordering;

use crate::national_id;
use crate::time;
use crate::value::{Moment, Record, Value};

use super::{BinaryOp, Expr, Function, Literal};

pub(super) fn eval(expr: &Expr, row: &Record) -> Option<Value> {
    match expr {
        Expr::Variable(name) => match row.get(name) {
            None | Some(Value::Unknown) => None,
            Some(value) => Some(value.clone()),
        },
        Expr::Literal(literal) => match literal {
            Literal::Null => None,
            Literal::Bool(b) => Some(Value::Bool(*b)),
            Literal::Int(i) => Some(Value::Int(*i)),
            Literal::String(s) => Some(Value::Code(s.clone())),
            Literal::Date(d) => Some(Value::Date(*d)),
        },
        Expr::Not(inner) => truth(eval(inner, row)).map(|b| Value::Bool(!b)),
        Expr::Negate(inner) => match eval(inner, row)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            _ => None,
        },
        Expr::IsNull { expr, negated } => Some(Value::Bool(eval(expr, row).is_none() != *negated)),
        Expr::Binary { op, left, right } => binary(*op, left, right, row),
        Expr::InList { expr, list, negated } => {
            let subject = eval(expr, row)?;
            let mut unknown = false;
            for item in list {
                match eval(item, row).and_then(|v| compare(&subject, &v)) {
                    Some(Ordering::Equal) => return Some(Value::Bool(!*negated)),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            (!unknown).then_some(Value::Bool(*negated))
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let subject = eval(expr, row)?;
            let above_low = eval(low, row).and_then(|l| compare(&subject, &l)).map(Ordering::is_ge);
            let below_high = eval(high, row).and_then(|h| compare(&subject, &h)).map(Ordering::is_le);
            and(above_low, below_high).map(|inside| Value::Bool(inside != *negated))
        }
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => {
            let subject = operand.as_deref().map(|o| eval(o, row));
            let chosen = branches.iter().find(|(when, _)| match &subject {
                Some(subject) => matches!(
                    (subject, eval(when, row)),
                    (Some(s), Some(w)) if compare(s, &w) == Some(Ordering::Equal)
                ),
                None => truth(eval(when, row)) == Some(true),
            });
            match chosen {
                Some((_, then)) => eval(then, row),
                None => otherwise.as_deref().and_then(|o| eval(o, row)),
            }
        }
        Expr::Call { function, args } => call(*function, args, row),
    }
}

/// A value as a truth value; anything but a boolean is unknown.
fn truth(value: Option<Value>) -> Option<bool> {
    match value {
        Some(Value::Bool(b)) => Some(b),
        _ => None,
    }
}

/// SQL AND: FALSE wins over unknown.
fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// SQL OR: TRUE wins over unknown.
fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn binary(op: BinaryOp, left: &Expr, right: &Expr, row: &Record) -> Option<Value> {
    match op {
        BinaryOp::And => {
            let l = truth(eval(left, row));
            if l == Some(false) {
                return Some(Value::Bool(false));
            }
            and(l, truth(eval(right, row))).map(Value::Bool)
        }
        BinaryOp::Or => {
            let l = truth(eval(left, row));
            if l == Some(true) {
                return Some(Value::Bool(true));
            }
            or(l, truth(eval(right, row))).map(Value::Bool)
        }
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
            let order = compare(&eval(left, row)?, &eval(right, row)?)?;
            let holds = match op {
                BinaryOp::Eq => order.is_eq(),
                BinaryOp::NotEq => order.is_ne(),
                BinaryOp::Lt => order.is_lt(),
                BinaryOp::LtEq => order.is_le(),
                BinaryOp::Gt => order.is_gt(),
                _ => order.is_ge(),
            };
            Some(Value::Bool(holds))
        }
        BinaryOp::Plus | BinaryOp::Minus | BinaryOp::Multiply | BinaryOp::Divide => {
            let (Value::Int(a), Value::Int(b)) = (eval(left, row)?, eval(right, row)?) else {
                return None;
            };
            let result = match op {
                BinaryOp::Plus => a.checked_add(b),
                BinaryOp::Minus => a.checked_sub(b),
                BinaryOp::Multiply => a.checked_mul(b),
                _ => a.checked_div(b),
            };
            result.map(Value::Int)
        }
    }
}

/// The order of two values, or `None` when it is unknown: different types, or a date-only
/// time on the same Europe/Oslo day as the time it is compared with.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Code(a) | Value::Text(a), Value::Code(b) | Value::Text(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::Datetime(a), Value::Datetime(b)) => compare_moments(a, b),
        (Value::Date(a), Value::Datetime(b)) => Some(a.cmp(&time::oslo_date(b))),
        (Value::Datetime(a), Value::Date(b)) => Some(time::oslo_date(a).cmp(b)),
        _ => None,
    }
}

/// Two instants compare exactly. When a clock time is unknown only the days can decide:
/// different days are ordered, the same day is unknown.
fn compare_moments(a: &Moment, b: &Moment) -> Option<Ordering> {
    match (a, b) {
        (Moment::At(a), Moment::At(b)) => Some(a.cmp(b)),
        _ => {
            let order = time::oslo_date(a).cmp(&time::oslo_date(b));
            order.is_ne().then_some(order)
        }
    }
}

/// The Europe/Oslo calendar date of a date or datetime value.
fn date_of(value: &Value) -> Option<jiff::civil::Date> {
    match value {
        Value::Date(d) => Some(*d),
        Value::Datetime(m) => Some(time::oslo_date(m)),
        _ => None,
    }
}

fn national_id_of(value: &Value) -> Option<national_id::NationalId> {
    match value {
        Value::Text(text) | Value::Code(text) => national_id::parse(text).ok(),
        _ => None,
    }
}

fn call(function: Function, args: &[Expr], row: &Record) -> Option<Value> {
    let arg = |i: usize| args.get(i).and_then(|a| eval(a, row));
    match function {
        Function::MinutesBetween => match (arg(0)?, arg(1)?) {
            (Value::Datetime(from), Value::Datetime(to)) => time::minutes_between(&from, &to).map(Value::Int),
            _ => None,
        },
        Function::DaysBetween => {
            let (from, to) = (date_of(&arg(0)?)?, date_of(&arg(1)?)?);
            Some(Value::Int(time::days_between(from, to)))
        }
        Function::YearsBetween => {
            let (from, to) = (date_of(&arg(0)?)?, date_of(&arg(1)?)?);
            Some(Value::Int(time::years_between(from, to)))
        }
        Function::DateOf => date_of(&arg(0)?).map(Value::Date),
        Function::Coalesce => args.iter().find_map(|a| eval(a, row)),
        Function::BirthDateFromId => national_id_of(&arg(0)?)?.birth_date.map(Value::Date),
        Function::SexFromId => {
            let id = national_id_of(&arg(0)?)?;
            id.kind.is_norwegian().then(|| Value::Code(id.sex.code().to_string()))
        }
    }
}
