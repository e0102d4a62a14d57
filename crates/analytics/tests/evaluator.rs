//! The column evaluator gives the row evaluator's answers: random registrations (missing
//! values, explicit unknowns, date-only times, instants around daylight-saving changes,
//! sub-second instants, extreme ints) and random well-typed expressions from the whole
//! grammar, compared row by row.

use jiff::Timestamp;
use jiff::civil::{Date, date};
use kvalreg_analytics::{ColumnsBuilder, Parameters, evaluate};
use kvalreg_core::expr::{BinaryOp, Expr, Function, Literal};
use kvalreg_core::value::{Moment, Record, Value, VarType};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const REPORT_DATE: &str = "report_date";

fn schema() -> Vec<(String, VarType)> {
    [
        ("b1", VarType::Bool),
        ("b2", VarType::Bool),
        ("i1", VarType::Int),
        ("i2", VarType::Int),
        ("c1", VarType::Code),
        ("c2", VarType::Code),
        ("t1", VarType::Text),
        ("d1", VarType::Date),
        ("d2", VarType::Date),
        ("m1", VarType::Datetime),
        ("m2", VarType::Datetime),
        ("m3", VarType::Datetime),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t))
    .collect()
}

fn type_of(name: &str) -> Option<VarType> {
    if name == REPORT_DATE {
        return Some(VarType::Date);
    }
    schema().into_iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Synthetic Norwegian ids (check digits computed here), a Swedish-shaped id, and junk.
fn national_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "150650123",
        "150650124",
        "290204125",
        "010190300",
        "311299401",
        "410150123",
    ]
    .iter()
    .filter_map(|nine| {
        let mut d: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
        d.push(mod11(&d, &[3, 7, 6, 1, 8, 9, 4, 5, 2])?);
        d.push(mod11(&d, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])?);
        Some(d.iter().map(|x| x.to_string()).collect())
    })
    .collect();
    ids.extend(["195006151230".to_string(), "12345678901".to_string(), "x".to_string()]);
    ids
}

fn days() -> Vec<Date> {
    vec![
        date(2024, 3, 30),
        date(2024, 3, 31),
        date(2024, 4, 1),
        date(2024, 10, 27),
        date(2000, 2, 29),
        date(2001, 2, 28),
        date(2001, 3, 1),
        date(1969, 12, 31),
    ]
}

fn int_value() -> impl Strategy<Value = i64> {
    prop_oneof![8 => -3i64..=3, 2 => -2000i64..2000, 1 => Just(i64::MAX), 1 => Just(i64::MIN)]
}

/// A moment near one of the days: exact (to the minute, second or nanosecond) or date-only.
fn moment() -> impl Strategy<Value = Moment> {
    let exact = (
        select(days()),
        -1440i64..2880,
        prop_oneof![4 => Just(0i64), 1 => 0i64..60],
        prop_oneof![
            4 => Just(0i32),
            1 => 0i32..1_000_000_000
        ],
    )
        .prop_filter_map("an instant", |(day, minutes, seconds, nanos)| {
            let midnight = day.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
            let second = midnight.as_second() + minutes * 60 + seconds;
            Timestamp::new(second, nanos).ok().map(Moment::At)
        });
    prop_oneof![3 => exact, 1 => select(days()).prop_map(Moment::DateOnly)]
}

fn value_of(var_type: VarType) -> BoxedStrategy<Value> {
    match var_type {
        VarType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        VarType::Int => int_value().prop_map(Value::Int).boxed(),
        VarType::Code => select(vec!["a", "b", "c"])
            .prop_map(|s| Value::Code(s.to_string()))
            .boxed(),
        VarType::Text => select(national_ids()).prop_map(Value::Text).boxed(),
        VarType::Date => select(days()).prop_map(Value::Date).boxed(),
        VarType::Datetime => moment().prop_map(Value::Datetime).boxed(),
    }
}

fn record() -> impl Strategy<Value = Record> {
    let entries: Vec<BoxedStrategy<Option<(String, Value)>>> = schema()
        .into_iter()
        .map(|(name, var_type)| {
            let present = value_of(var_type);
            let name2 = name.clone();
            prop_oneof![
                2 => Just(None),
                1 => Just(Some((name.clone(), Value::Unknown))),
                7 => present.prop_map(move |v| Some((name2.clone(), v))),
            ]
            .boxed()
        })
        .collect();
    entries.prop_map(|entries| entries.into_iter().flatten().collect())
}

/// The static types the generator builds expressions of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum T {
    Bool,
    Int,
    Str,
    Date,
    Moment,
}

const TYPES: [T; 5] = [T::Bool, T::Int, T::Str, T::Date, T::Moment];

fn var(name: &'static str) -> BoxedStrategy<Expr> {
    Just(Expr::Variable(name.to_string())).boxed()
}

fn lit(literal: Literal) -> BoxedStrategy<Expr> {
    Just(Expr::Literal(literal)).boxed()
}

fn leaf(t: T) -> BoxedStrategy<Expr> {
    let null = lit(Literal::Null);
    match t {
        T::Bool => prop_oneof![
            var("b1"),
            var("b2"),
            any::<bool>().prop_map(|b| Expr::Literal(Literal::Bool(b))),
            null
        ]
        .boxed(),
        T::Int => prop_oneof![
            3 => var("i1"),
            3 => var("i2"),
            2 => int_value().prop_map(|i| Expr::Literal(Literal::Int(i))),
            1 => null
        ]
        .boxed(),
        T::Str => prop_oneof![
            var("c1"),
            var("c2"),
            var("t1"),
            select(vec!["a", "b", "zz"]).prop_map(|s| Expr::Literal(Literal::String(s.to_string()))),
            null
        ]
        .boxed(),
        T::Date => prop_oneof![
            var("d1"),
            var("d2"),
            var(REPORT_DATE),
            select(days()).prop_map(|d| Expr::Literal(Literal::Date(d))),
            null
        ]
        .boxed(),
        T::Moment => prop_oneof![var("m1"), var("m2"), var("m3"), null].boxed(),
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::Call { function, args }
}

/// One level deeper: each type's expressions built from the previous level's.
fn deeper(prev: &[BoxedStrategy<Expr>; 5]) -> [BoxedStrategy<Expr>; 5] {
    let of = |t: T| prev[TYPES.iter().position(|x| *x == t).unwrap_or(0)].clone();
    let date_or_moment = || prop_oneof![of(T::Date), of(T::Moment)].boxed();
    // Pairs that `=` may compare, and pairs that `<` may order.
    let comparable_pair = || {
        prop_oneof![
            (of(T::Int), of(T::Int)),
            (of(T::Str), of(T::Str)),
            (of(T::Date), of(T::Date)),
            (of(T::Moment), of(T::Moment)),
            (of(T::Date), of(T::Moment)),
            (of(T::Moment), of(T::Date)),
            (of(T::Bool), of(T::Bool)),
        ]
        .boxed()
    };
    let orderable_pair = || {
        prop_oneof![
            (of(T::Int), of(T::Int)),
            (of(T::Date), of(T::Date)),
            (of(T::Moment), of(T::Moment)),
            (of(T::Date), of(T::Moment)),
            (of(T::Moment), of(T::Date)),
        ]
        .boxed()
    };
    let case = |t: T| {
        let searched =
            (vec((of(T::Bool), of(t)), 1..3), proptest::option::of(of(t))).prop_map(|(branches, otherwise)| {
                Expr::Case {
                    operand: None,
                    branches,
                    otherwise: otherwise.map(Box::new),
                }
            });
        let with_operand = (
            prop_oneof![
                (of(T::Int), vec((of(T::Int), of(t)), 1..3)),
                (of(T::Str), vec((of(T::Str), of(t)), 1..3)),
                (of(T::Moment), vec((date_or_moment(), of(t)), 1..3)),
            ],
            proptest::option::of(of(t)),
        )
            .prop_map(|((operand, branches), otherwise)| Expr::Case {
                operand: Some(Box::new(operand)),
                branches,
                otherwise: otherwise.map(Box::new),
            });
        prop_oneof![searched, with_operand].boxed()
    };
    let coalesce = |t: T| vec(of(t), 1..4).prop_map(|args| call(Function::Coalesce, args)).boxed();
    let any_expr = || prop_oneof![of(T::Bool), of(T::Int), of(T::Str), of(T::Date), of(T::Moment)].boxed();

    let boolean = prop_oneof![
        2 => of(T::Bool),
        1 => of(T::Bool).prop_map(|e| Expr::Not(Box::new(e))),
        2 => (of(T::Bool), of(T::Bool), select(vec![BinaryOp::And, BinaryOp::Or])).prop_map(|(l, r, op)| binary(op, l, r)),
        2 => (comparable_pair(), select(vec![BinaryOp::Eq, BinaryOp::NotEq])).prop_map(|((l, r), op)| binary(op, l, r)),
        3 => (orderable_pair(), select(vec![BinaryOp::Lt, BinaryOp::LtEq, BinaryOp::Gt, BinaryOp::GtEq]))
            .prop_map(|((l, r), op)| binary(op, l, r)),
        1 => (any_expr(), any::<bool>()).prop_map(|(e, negated)| Expr::IsNull { expr: Box::new(e), negated }),
        2 => (
            prop_oneof![
                (of(T::Int), vec(of(T::Int), 1..4)),
                (of(T::Str), vec(of(T::Str), 1..4)),
                (of(T::Moment), vec(date_or_moment(), 1..4)),
                (of(T::Date), vec(of(T::Date), 1..4)),
            ],
            any::<bool>()
        )
            .prop_map(|((e, list), negated)| Expr::InList { expr: Box::new(e), list, negated }),
        2 => (
            prop_oneof![
                (of(T::Int), of(T::Int), of(T::Int)),
                (of(T::Moment), date_or_moment(), date_or_moment()),
                (of(T::Date), date_or_moment(), of(T::Date)),
            ],
            any::<bool>()
        )
            .prop_map(|((e, low, high), negated)| Expr::Between {
                expr: Box::new(e),
                low: Box::new(low),
                high: Box::new(high),
                negated
            }),
        1 => case(T::Bool),
        1 => coalesce(T::Bool),
    ]
    .boxed();

    let int = prop_oneof![
        3 => of(T::Int),
        1 => of(T::Int).prop_map(|e| Expr::Negate(Box::new(e))),
        3 => (of(T::Int), of(T::Int), select(vec![BinaryOp::Plus, BinaryOp::Minus, BinaryOp::Multiply, BinaryOp::Divide]))
            .prop_map(|(l, r, op)| binary(op, l, r)),
        2 => (of(T::Moment), of(T::Moment)).prop_map(|(a, b)| call(Function::MinutesBetween, vec![a, b])),
        2 => (date_or_moment(), date_or_moment()).prop_map(|(a, b)| call(Function::DaysBetween, vec![a, b])),
        1 => (date_or_moment(), date_or_moment()).prop_map(|(a, b)| call(Function::YearsBetween, vec![a, b])),
        1 => case(T::Int),
        1 => coalesce(T::Int),
    ]
    .boxed();

    let string = prop_oneof![
        3 => of(T::Str),
        1 => var("t1").prop_map(|e| call(Function::SexFromId, vec![e])),
        1 => case(T::Str),
        1 => coalesce(T::Str),
    ]
    .boxed();

    let day = prop_oneof![
        3 => of(T::Date),
        1 => of(T::Moment).prop_map(|e| call(Function::DateOf, vec![e])),
        1 => var("t1").prop_map(|e| call(Function::BirthDateFromId, vec![e])),
        1 => case(T::Date),
        1 => coalesce(T::Date),
    ]
    .boxed();

    let moment = prop_oneof![3 => of(T::Moment), 1 => case(T::Moment), 1 => coalesce(T::Moment)].boxed();

    [boolean, int, string, day, moment]
}

fn expression() -> impl Strategy<Value = Expr> {
    let mut level = TYPES.map(leaf);
    for _ in 0..3 {
        level = deeper(&level);
    }
    prop_oneof![3 => level[0].clone(), 1 => level[1].clone(), 1 => level[2].clone(), 1 => level[3].clone(), 1 => level[4].clone()]
}

/// The row evaluator and the column evaluator agree on a value; codes and texts are both
/// strings, and the column evaluator reads every string back as a code.
fn same(row: &Option<Value>, column: &Option<Value>) -> bool {
    match (row, column) {
        (Some(Value::Code(a) | Value::Text(a)), Some(Value::Code(b) | Value::Text(b))) => a == b,
        _ => row == column,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn the_column_evaluator_gives_the_row_evaluators_answers(
        records in vec(record(), 1..30),
        expr in expression(),
        report_date in select(days()),
    ) {
        prop_assert!(expr.check(&type_of).is_ok(), "the generator made an ill-typed expression: {expr}: {:?}", expr.check(&type_of));
        let mut builder = ColumnsBuilder::new(schema());
        for record in &records {
            builder.push(record).expect("values of the declared types");
        }
        let columns = builder.finish();
        let parameters = Parameters::default().with(REPORT_DATE, Value::Date(report_date));
        let result = evaluate(&expr, &columns, &parameters);
        prop_assert_eq!(result.len(), records.len());
        for (i, record) in records.iter().enumerate() {
            let mut row = record.clone();
            row.insert(REPORT_DATE.to_string(), Value::Date(report_date));
            let expected = expr.eval(&row);
            let got = result.value(i);
            prop_assert!(same(&expected, &got), "row {i} of `{expr}`: row evaluator {expected:?}, columns {got:?}\nrecord {record:?}");
        }
    }
}

/// Columns of `records` pushed one by one.
fn columns_of(records: &[Record]) -> kvalreg_analytics::Columns {
    let mut builder = ColumnsBuilder::new(schema());
    for record in records {
        builder.push(record).expect("values of the declared types");
    }
    builder.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The follower's columns: rows appended in batches (dictionaries merged, NULL-only
    /// and sub-second columns joined), some marked dead, then compacted to the live rows,
    /// still give the row evaluator's answers row by row.
    #[test]
    fn appended_and_compacted_columns_give_the_row_evaluators_answers(
        records in vec(record(), 1..30),
        split in 0usize..30,
        dead in vec(0usize..30, 0..10),
        expr in expression(),
        report_date in select(days()),
    ) {
        let split = split.min(records.len());
        let appended = columns_of(&records[..split])
            .appended(&columns_of(&records[split..]), &dead)
            .expect("columns of one schema join");
        prop_assert_eq!(appended.len(), records.len());
        let live: Vec<usize> = (0..records.len()).filter(|r| !dead.contains(r)).collect();
        prop_assert_eq!(appended.live_count(), live.len());
        prop_assert_eq!(appended.live().set_indices().collect::<Vec<_>>(), live.clone());
        let compacted = appended.compacted();
        prop_assert_eq!(compacted.len(), live.len());
        prop_assert_eq!(compacted.dead_count(), 0);
        let parameters = Parameters::default().with(REPORT_DATE, Value::Date(report_date));
        let on_appended = evaluate(&expr, &appended, &parameters);
        let on_compacted = evaluate(&expr, &compacted, &parameters);
        for (i, record) in records.iter().enumerate() {
            let mut row = record.clone();
            row.insert(REPORT_DATE.to_string(), Value::Date(report_date));
            let expected = expr.eval(&row);
            let got = on_appended.value(i);
            prop_assert!(same(&expected, &got), "appended row {i} of `{expr}`: row evaluator {expected:?}, columns {got:?}");
            if let Some(at) = live.iter().position(|&r| r == i) {
                let got = on_compacted.value(at);
                prop_assert!(same(&expected, &got), "compacted row {at} (was {i}) of `{expr}`: row evaluator {expected:?}, columns {got:?}");
            }
        }
    }
}

/// Two hand-picked cases the property test also covers, so a failure reads plainly: a
/// date-only time on the same day is unknown, and a whole-minute interval across the spring
/// daylight-saving change is right.
#[test]
fn date_only_same_day_is_unknown_and_intervals_cross_daylight_saving() {
    let at = |text: &str| Value::Datetime(kvalreg_core::time::parse_moment(text).expect("a time"));
    let records: Vec<Record> = vec![
        [("m1", at("2024-03-31")), ("m2", at("2024-03-31T03:10"))],
        [("m1", at("2024-03-30")), ("m2", at("2024-03-31T03:10"))],
        [("m1", at("2024-03-31T01:50")), ("m2", at("2024-03-31T03:10"))],
    ]
    .into_iter()
    .map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    .collect();
    let mut builder = ColumnsBuilder::new(schema());
    for record in &records {
        builder.push(record).expect("typed");
    }
    let columns = builder.finish();
    let order = evaluate(
        &kvalreg_core::expr::parse("m1 <= m2").expect("parses"),
        &columns,
        &Parameters::default(),
    );
    assert_eq!(
        (0..3).map(|i| order.value(i)).collect::<Vec<_>>(),
        [None, Some(Value::Bool(true)), Some(Value::Bool(true))]
    );
    let minutes = evaluate(
        &kvalreg_core::expr::parse("minutes_between(m1, m2)").expect("parses"),
        &columns,
        &Parameters::default(),
    );
    assert_eq!(
        (0..3).map(|i| minutes.value(i)).collect::<Vec<_>>(),
        [None, None, Some(Value::Int(20))]
    );
}

#[test]
fn a_value_of_the_wrong_type_is_refused_with_its_variable() {
    let mut builder = ColumnsBuilder::new(schema());
    let record: Record = [("i1".to_string(), Value::Bool(true))].into_iter().collect();
    let error = builder.push(&record).expect_err("a bool in an int column");
    assert_eq!(
        error.to_string(),
        "registration 0: `i1` holds a bool value, but the variable is int"
    );
    assert_eq!(builder.len(), 0);
}
