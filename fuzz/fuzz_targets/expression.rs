//! The expression language on arbitrary text, checked against the stroke register's
//! variables and evaluated on arbitrary registrations.
//!
//! Input: the expression text, then (after a NUL byte, optional) bytes that choose up to
//! four registrations' values of the variables the expression reads.
//!
//! Invariant: parsing, type checking and both evaluators never panic. A parsed expression
//! prints as text that parses back to the same expression. A type-checked expression gives,
//! on every registration, NULL or a value of its checked type, and the column evaluator
//! (kvalreg-analytics) gives the row evaluator's answer for every registration.
#![no_main]

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use kvalreg_analytics::{Columns, Parameters, evaluate};
use kvalreg_core::definition::{HOSPITALS, REPORT_DATE, Register};
use kvalreg_core::expr::{self, Expr, ExprType};
use kvalreg_core::value::{Moment, Record, Value, VarType};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Ids the generated registrations draw from: valid synthetic and Swedish ids, and junk.
const NATIONAL_IDS: &[&str] = &[
    "15887610018",
    "55887610001",
    "15087699800",
    "196408233234",
    "12345678901",
    "x",
];

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(expr) = expr::parse(text) else {
        return;
    };
    let printed = expr.to_string();
    assert_eq!(
        expr::parse(&printed).as_ref(),
        Ok(&expr),
        "`{text}` prints as `{printed}`, which parses differently"
    );
    let register = kvalreg_fuzz::stroke();
    let types = |name: &str| {
        if name == REPORT_DATE {
            Some(VarType::Date)
        } else {
            register.type_of(name)
        }
    };
    let checked = expr.check(&types);
    let mut values = Unstructured::new(rest);
    let Ok((records, report_date)) = registrations(register, &expr, &mut values) else {
        return;
    };
    let columns = match Columns::from_records(register, &records) {
        Ok(columns) => columns,
        Err(e) => panic!("generated registrations of the declared types were refused as columns: {e}"),
    };
    let parameters = Parameters::default().with(REPORT_DATE, Value::Date(report_date));
    let column_results = evaluate(&expr, &columns, &parameters);
    assert_eq!(column_results.len(), records.len());
    let Ok(expected) = checked else {
        return;
    };
    for (i, record) in records.iter().enumerate() {
        let mut row = record.clone();
        row.extend(register.derive(record));
        row.insert(REPORT_DATE.to_string(), Value::Date(report_date));
        let value = expr.eval(&row);
        assert!(
            of_type(&value, expected),
            "`{expr}` is {expected:?} but gave {value:?} on {row:?}"
        );
        let column = column_results.value(i);
        assert!(
            same(&value, &column),
            "`{expr}` on registration {i}: row evaluator {value:?}, column evaluator {column:?}\n{row:?}"
        );
    }
});

/// Up to four registrations with values of the variables the expression reads (and those
/// the derived variables it reads are computed from), and a report date.
fn registrations(register: &Register, expr: &Expr, u: &mut Unstructured) -> Result<(Vec<Record>, Date)> {
    let mut names = BTreeSet::new();
    let mut pending: Vec<&str> = expr.variables();
    while let Some(name) = pending.pop() {
        if names.insert(name.to_string())
            && let Some(derived) = register.derived_variable(name)
        {
            pending.extend(derived.expression.expr.variables());
        }
    }
    let count = 1 + u.int_in_range(0..=3)?;
    let mut records = Vec::new();
    for _ in 0..count {
        let mut record = Record::new();
        for name in &names {
            let Some(variable) = register.variable(name) else {
                continue;
            };
            let codes: Vec<&str> = match variable.codes.as_deref() {
                Some(HOSPITALS) => kvalreg_fuzz::hospitals().iter().map(String::as_str).collect(),
                Some(list) => register
                    .code_lists
                    .get(list)
                    .map(|l| l.codes.iter().map(|c| c.code.as_str()).collect())
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            if let Some(value) = value(variable.var_type, &codes, u)? {
                record.insert(name.clone(), value);
            }
        }
        records.push(record);
    }
    Ok((records, date(u)?))
}

/// A value of a variable's type, the explicit unknown, or none.
fn value(var_type: VarType, codes: &[&str], u: &mut Unstructured) -> Result<Option<Value>> {
    Ok(match u.int_in_range(0..=7)? {
        0 => None,
        1 => Some(Value::Unknown),
        choice => Some(match var_type {
            VarType::Bool => Value::Bool(u.arbitrary()?),
            VarType::Int => Value::Int(if choice == 2 {
                u.arbitrary()?
            } else {
                u.int_in_range(-2..=400)?
            }),
            VarType::Code => Value::Code(match codes {
                [] => u.arbitrary::<&str>()?.to_string(),
                _ if choice == 2 => u.arbitrary::<&str>()?.to_string(),
                _ => u.choose(codes)?.to_string(),
            }),
            VarType::Text => Value::Text(u.choose(NATIONAL_IDS)?.to_string()),
            VarType::Date => Value::Date(date(u)?),
            VarType::Datetime if choice == 2 => Value::Datetime(Moment::DateOnly(date(u)?)),
            VarType::Datetime => Value::Datetime(Moment::At(instant(u)?)),
        }),
    })
}

/// A date: mostly within a few decades of 2024, sometimes anywhere in the calendar.
fn date(u: &mut Unstructured) -> Result<Date> {
    let base = jiff::civil::date(2024, 1, 1);
    let days: i32 = if u.ratio(1, 8)? {
        u.int_in_range(-3_652_000..=2_900_000)?
    } else {
        u.int_in_range(-20_000..=3_000)?
    };
    Ok(base.checked_add(jiff::Span::new().days(days)).unwrap_or(base))
}

/// An instant: mostly within a few years of 2024, sometimes anywhere jiff allows.
fn instant(u: &mut Unstructured) -> Result<Timestamp> {
    let second: i64 = if u.ratio(1, 8)? {
        u.int_in_range(Timestamp::MIN.as_second()..=Timestamp::MAX.as_second())?
    } else {
        1_704_067_200 + u.int_in_range(-200_000_000..=200_000_000)?
    };
    Ok(Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// Whether a result is NULL or of the type the checker gave the expression; code and text
/// are both strings (a string literal is a code, a code or text variable keeps its kind).
fn of_type(value: &Option<Value>, expected: ExprType) -> bool {
    match (value, expected) {
        (None, _) => true,
        (Some(_), ExprType::Null) => false,
        (Some(value), ExprType::Of(t)) => matches!(
            (value, t),
            (Value::Bool(_), VarType::Bool)
                | (Value::Int(_), VarType::Int)
                | (Value::Code(_) | Value::Text(_), VarType::Code | VarType::Text)
                | (Value::Date(_), VarType::Date)
                | (Value::Datetime(_), VarType::Datetime)
        ),
    }
}

/// The two evaluators agree; the column evaluator reads every string back as a code.
fn same(row: &Option<Value>, column: &Option<Value>) -> bool {
    match (row, column) {
        (Some(Value::Code(a) | Value::Text(a)), Some(Value::Code(b) | Value::Text(b))) => a == b,
        _ => row == column,
    }
}
