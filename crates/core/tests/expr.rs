//! The expression language: what it parses and refuses, its type rules, and SQL
//! three-valued evaluation including date-only times.

use jiff::civil::date;
use kvalreg_core::expr::{BinaryOp, Expr, ExprType, Function, Literal, parse};
use kvalreg_core::time::parse_moment;
use kvalreg_core::value::{Record, Value, VarType};

fn types(name: &str) -> Option<VarType> {
    Some(match name {
        "ivt" | "evt" | "sich" => VarType::Bool,
        "nihss" | "passes" | "age" => VarType::Int,
        "diagnosis" | "sex" | "tici_final" | "evt_pathway" => VarType::Code,
        "note" | "national_id" => VarType::Text,
        "onset_time" | "arrival_time" | "ivt_time" | "imaging_time" => VarType::Datetime,
        "discharge_date" | "birth_date" | "death_date" => VarType::Date,
        _ => return None,
    })
}

fn expr(text: &str) -> Expr {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn check(text: &str) -> Result<ExprType, String> {
    expr(text).check(&types).map_err(|e| e.message)
}

fn refusal(text: &str) -> String {
    match parse(text) {
        Ok(parsed) => panic!("{text} should be refused, parsed as {parsed:?}"),
        Err(e) => e.message,
    }
}

fn time(text: &str) -> Value {
    Value::Datetime(parse_moment(text).unwrap_or_else(|e| panic!("{text}: {e}")))
}

fn row(values: &[(&str, Value)]) -> Record {
    values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn eval(text: &str, values: &[(&str, Value)]) -> Option<Value> {
    let parsed = expr(text);
    assert!(
        parsed.check(&types).is_ok(),
        "{text} should type-check: {:?}",
        parsed.check(&types)
    );
    parsed.eval(&row(values))
}

fn truth(text: &str, values: &[(&str, Value)]) -> Option<bool> {
    match eval(text, values) {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => panic!("{text} gave {other:?}"),
    }
}

fn var(name: &str) -> Box<Expr> {
    Box::new(Expr::Variable(name.to_string()))
}

fn string(s: &str) -> Expr {
    Expr::Literal(Literal::String(s.to_string()))
}

#[test]
fn parses_the_subset_into_the_ast() {
    assert_eq!(
        expr("ivt AND NOT (nihss >= 4)"),
        Expr::Binary {
            op: BinaryOp::And,
            left: var("ivt"),
            right: Box::new(Expr::Not(Box::new(Expr::Binary {
                op: BinaryOp::GtEq,
                left: var("nihss"),
                right: Box::new(Expr::Literal(Literal::Int(4))),
            }))),
        }
    );
    assert_eq!(
        expr("diagnosis NOT IN ('I61', 'I63')"),
        Expr::InList {
            expr: var("diagnosis"),
            list: vec![string("I61"), string("I63")],
            negated: true
        }
    );
    assert_eq!(
        expr("discharge_date >= DATE '2024-03-31'"),
        Expr::Binary {
            op: BinaryOp::GtEq,
            left: var("discharge_date"),
            right: Box::new(Expr::Literal(Literal::Date(date(2024, 3, 31)))),
        }
    );
    assert_eq!(
        expr("MINUTES_BETWEEN(arrival_time, ivt_time)"),
        Expr::Call {
            function: Function::MinutesBetween,
            args: vec![*var("arrival_time"), *var("ivt_time")]
        }
    );
    assert_eq!(
        expr("nihss IS NOT NULL"),
        Expr::IsNull {
            expr: var("nihss"),
            negated: true
        }
    );
    assert_eq!(expr("-nihss"), Expr::Negate(var("nihss")));
    assert_eq!(expr("((ivt))"), *var("ivt"));
    assert_eq!(expr("nihss != 3"), expr("nihss <> 3"));
    assert!(matches!(
        expr("nihss NOT BETWEEN 0 AND 42"),
        Expr::Between { negated: true, .. }
    ));
    assert!(matches!(
        expr("CASE diagnosis WHEN 'I61' THEN 1 ELSE 2 END"),
        Expr::Case { operand: Some(_), ref branches, otherwise: Some(_) } if branches.len() == 1
    ));
    assert!(matches!(
        expr("CASE WHEN ivt THEN 'yes' WHEN evt THEN 'no' END"),
        Expr::Case { operand: None, ref branches, otherwise: None } if branches.len() == 2
    ));
    assert_eq!(expr("TRUE"), Expr::Literal(Literal::Bool(true)));
    assert_eq!(expr("NULL"), Expr::Literal(Literal::Null));
    for name in [
        "days_between",
        "Years_Between",
        "date_of",
        "coalesce",
        "birth_date_from_id",
        "sex_from_id",
    ] {
        let args = match name {
            "date_of" | "birth_date_from_id" | "sex_from_id" => "(x)",
            _ => "(x, y)",
        };
        assert!(parse(&format!("{name}{args}")).is_ok(), "{name}");
    }
}

#[test]
fn refuses_everything_else_by_name() {
    assert!(refusal("nihss IN (SELECT 1)").contains("subqueries are not part of the expression language"));
    assert!(refusal("EXISTS (SELECT 1)").contains("subqueries"));
    assert!(refusal("note LIKE 'a%'").contains("LIKE"));
    assert!(refusal("CAST(nihss AS TEXT) = '1'").contains("casts"));
    assert!(refusal("r.nihss = 1").contains("qualified names"));
    assert!(refusal("\"nihss\" = 1").contains("quoted names"));
    assert!(refusal("Nihss = 1").contains("lower_snake_case"));
    assert!(refusal("nihss = 1.5").contains("whole numbers"));
    assert!(refusal("nihss % 2 = 0").contains("operator `%`"));
    assert!(refusal("note || 'x' = 'y'").contains("operator `||`"));
    assert!(refusal("ivt IS TRUE").contains("IS TRUE"));
    assert!(refusal("upper(note) = 'A'").contains("unknown function `upper`"));
    assert!(refusal("count(*) > 1").contains("unknown function"));
    assert!(refusal("minutes_between(arrival_time)").contains("takes 2 arguments, not 1"));
    assert!(refusal("date_of(onset_time, arrival_time)").contains("takes 1 argument, not 2"));
    assert!(refusal("coalesce(nihss)").contains("at least 2"));
    assert!(refusal("coalesce(DISTINCT nihss, 1)").contains("without other clauses"));
    assert!(refusal("discharge_date > DATE '2024-02-30'").contains("not a date"));
    assert!(refusal("onset_time > TIMESTAMP '2024-02-01 10:00'").contains("only typed literal"));
    assert!(refusal("nihss = 99999999999999999999").contains("too large"));
    assert!(refusal("").contains("empty"));
    assert!(refusal("nihss > 1;").contains("unexpected `;`"));
    let trailing = refusal("nihss > 1 ivt");
    assert!(
        trailing.contains("unexpected") && trailing.contains("column 11"),
        "{trailing}"
    );
    let syntax = refusal("nihss > ");
    assert!(syntax.starts_with("syntax error"), "{syntax}");
    let positioned = refusal("ivt AND\n  note LIKE 'a'");
    assert!(positioned.contains("line 2"), "{positioned}");
}

#[test]
fn refuses_oversized_expressions_without_crashing() {
    let long = vec!["ivt"; 501].join(" OR ");
    assert!(refusal(&long).contains("at most 1000"));
    let chain = vec!["a"; 500].join("+");
    assert!(refusal(&chain).contains("nests more than"));
    let negations = format!("{}nihss", "- ".repeat(999));
    assert!(refusal(&negations).contains("nests too deeply"));
    let long_string = format!("note = '{}'", "x".repeat(100_000));
    assert_eq!(check(&long_string), Ok(ExprType::Of(VarType::Bool)));
    let nested = format!("{}ivt{}", "(".repeat(300), ")".repeat(300));
    assert!(refusal(&nested).contains("nests too deeply"));
    let fine = vec!["ivt"; 150].join(" OR ");
    assert_eq!(check(&fine), Ok(ExprType::Of(VarType::Bool)));
}

#[test]
fn type_checks() {
    let bool_ = Ok(ExprType::Of(VarType::Bool));
    let int = Ok(ExprType::Of(VarType::Int));
    assert_eq!(
        check("unknown_thing = 1"),
        Err("unknown variable `unknown_thing`".to_string())
    );
    assert_eq!(check("ivt AND nihss > 4"), bool_);
    assert_eq!(check("diagnosis = 'I61'"), bool_);
    assert_eq!(check("diagnosis = note"), bool_);
    assert_eq!(check("onset_time <= arrival_time"), bool_);
    assert_eq!(check("discharge_date >= arrival_time"), bool_);
    assert_eq!(
        check("discharge_date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"),
        bool_
    );
    assert_eq!(check("nihss IS NULL OR nihss = NULL"), bool_);
    assert_eq!(check("nihss * 2 + passes / 3 - -1"), int);
    assert_eq!(check("minutes_between(arrival_time, ivt_time)"), int);
    assert_eq!(check("days_between(birth_date, arrival_time)"), int);
    assert_eq!(check("years_between(birth_date, onset_time)"), int);
    assert_eq!(check("date_of(onset_time)"), Ok(ExprType::Of(VarType::Date)));
    assert_eq!(check("coalesce(nihss, passes, 0)"), int);
    assert_eq!(check("coalesce(NULL, NULL)"), Ok(ExprType::Null));
    assert_eq!(
        check("birth_date_from_id(national_id)"),
        Ok(ExprType::Of(VarType::Date))
    );
    assert_eq!(check("sex_from_id(national_id) = sex"), bool_);
    assert_eq!(
        check("CASE WHEN nihss > 20 THEN 'severe' ELSE 'mild' END"),
        Ok(ExprType::Of(VarType::Code))
    );
    assert_eq!(
        check("CASE WHEN ivt THEN note ELSE 'none' END"),
        Ok(ExprType::Of(VarType::Text))
    );
    assert_eq!(check("CASE diagnosis WHEN 'I61' THEN NULL ELSE 1 END"), int);
    assert_eq!(check("NULL"), Ok(ExprType::Null));

    for (text, needle) in [
        ("nihss = 'I61'", "cannot compare int with code"),
        ("onset_time > 5", "cannot compare datetime with int"),
        ("diagnosis > 'I61'", "code values have no order"),
        ("ivt < evt", "bool values have no order"),
        ("nihss AND ivt", "AND needs true/false"),
        ("NOT nihss", "NOT needs true/false"),
        ("diagnosis + 1 = 2", "works on int"),
        ("-diagnosis = 'x'", "works on int"),
        ("CASE WHEN ivt THEN 1 ELSE 'x' END", "one type"),
        ("CASE WHEN nihss THEN 1 END", "WHEN needs true/false"),
        ("CASE diagnosis WHEN 1 THEN 1 END", "cannot compare code with int"),
        ("nihss IN (1, 'two')", "cannot compare int with code"),
        (
            "minutes_between(discharge_date, ivt_time)",
            "argument 1 of `minutes_between` must be datetime, not date",
        ),
        ("days_between(nihss, ivt_time)", "date or datetime"),
        ("date_of(discharge_date)", "must be datetime"),
        ("coalesce(nihss, diagnosis)", "one type"),
        ("birth_date_from_id(nihss)", "must be text"),
        ("nihss BETWEEN 1 AND 'x'", "cannot compare"),
    ] {
        let message = check(text).expect_err(text);
        assert!(message.contains(needle), "{text}: {message}");
    }
}

#[test]
fn three_valued_logic() {
    const T: (&str, Value) = ("ivt", Value::Bool(true));
    const F: (&str, Value) = ("ivt", Value::Bool(false));
    // AND / OR with a missing `evt`.
    assert_eq!(truth("ivt AND evt", &[T]), None);
    assert_eq!(truth("ivt AND evt", &[F]), Some(false));
    assert_eq!(truth("evt AND ivt", &[F]), Some(false));
    assert_eq!(truth("ivt OR evt", &[T]), Some(true));
    assert_eq!(truth("evt OR ivt", &[T]), Some(true));
    assert_eq!(truth("ivt OR evt", &[F]), None);
    assert_eq!(truth("NOT evt", &[]), None);
    assert_eq!(truth("NOT ivt", &[T]), Some(false));
    // Unknown is NULL just as missing is.
    assert_eq!(truth("nihss > 4", &[("nihss", Value::Unknown)]), None);
    assert_eq!(truth("nihss IS NULL", &[("nihss", Value::Unknown)]), Some(true));
    assert_eq!(truth("nihss IS NOT NULL", &[("nihss", Value::Int(3))]), Some(true));
    assert_eq!(truth("nihss = NULL", &[("nihss", Value::Int(3))]), None);
    // IN with NULLs.
    assert_eq!(truth("nihss IN (1, 2, NULL)", &[("nihss", Value::Int(2))]), Some(true));
    assert_eq!(truth("nihss IN (1, NULL)", &[("nihss", Value::Int(2))]), None);
    assert_eq!(truth("nihss NOT IN (1, 3)", &[("nihss", Value::Int(2))]), Some(true));
    assert_eq!(truth("nihss NOT IN (1, NULL)", &[("nihss", Value::Int(2))]), None);
    assert_eq!(truth("nihss IN (1, 2)", &[]), None);
    // BETWEEN.
    assert_eq!(
        truth("nihss BETWEEN 0 AND 42", &[("nihss", Value::Int(42))]),
        Some(true)
    );
    assert_eq!(
        truth("nihss BETWEEN 0 AND 42", &[("nihss", Value::Int(43))]),
        Some(false)
    );
    assert_eq!(
        truth("nihss NOT BETWEEN 0 AND 42", &[("nihss", Value::Int(43))]),
        Some(true)
    );
    assert_eq!(
        truth("nihss BETWEEN NULL AND 42", &[("nihss", Value::Int(43))]),
        Some(false)
    );
    assert_eq!(truth("nihss BETWEEN NULL AND 42", &[("nihss", Value::Int(3))]), None);
    // Codes and texts compare as strings.
    assert_eq!(
        truth("diagnosis = 'I61'", &[("diagnosis", Value::Code("I61".into()))]),
        Some(true)
    );
    assert_eq!(
        truth("diagnosis <> 'I61'", &[("diagnosis", Value::Code("I63".into()))]),
        Some(true)
    );
    assert_eq!(
        truth(
            "diagnosis = note",
            &[
                ("diagnosis", Value::Code("a".into())),
                ("note", Value::Text("a".into()))
            ]
        ),
        Some(true)
    );
}

#[test]
fn arithmetic_never_panics() {
    let n = |v: i64| ("nihss", Value::Int(v));
    assert_eq!(eval("nihss / 0", &[n(5)]), None);
    assert_eq!(eval("nihss / 2", &[n(-7)]), Some(Value::Int(-3)));
    assert_eq!(eval("nihss + 1", &[n(i64::MAX)]), None);
    assert_eq!(eval("nihss * 2", &[n(i64::MIN)]), None);
    assert_eq!(eval("nihss - 1", &[n(i64::MIN)]), None);
    assert_eq!(eval("-nihss", &[n(i64::MIN)]), None);
    assert_eq!(eval("nihss / -1", &[n(i64::MIN)]), None);
    assert_eq!(eval("nihss * 2 + 1", &[n(20)]), Some(Value::Int(41)));
    assert_eq!(eval("nihss + passes", &[n(1)]), None);
}

#[test]
fn date_only_times_decide_only_across_days() {
    let onset_day = ("onset_time", time("2024-03-31"));
    let arrival_same_day = ("arrival_time", time("2024-03-31T10:00"));
    let arrival_day_before = ("arrival_time", time("2024-03-30T23:59"));
    let arrival_day_after = ("arrival_time", time("2024-04-01"));
    let rule = "onset_time <= arrival_time";
    assert_eq!(truth(rule, &[onset_day.clone(), arrival_same_day.clone()]), None);
    assert_eq!(truth(rule, &[onset_day.clone(), arrival_day_before]), Some(false));
    assert_eq!(truth(rule, &[onset_day.clone(), arrival_day_after]), Some(true));
    assert_eq!(
        truth(rule, &[onset_day.clone(), ("arrival_time", time("2024-03-31"))]),
        None
    );
    assert_eq!(truth("onset_time = arrival_time", &[onset_day, arrival_same_day]), None);
    // Exact instants, across the spring change.
    let exact = [
        ("onset_time", time("31.03.2024 01:50")),
        ("arrival_time", time("2024-03-31T03:10+02:00")),
    ];
    assert_eq!(truth(rule, &exact), Some(true));
    assert_eq!(
        eval("minutes_between(onset_time, arrival_time)", &exact),
        Some(Value::Int(20))
    );
    // Oslo days, not UTC days: 00:30 on 1 April in Oslo is 31 March in UTC.
    let late = [
        ("arrival_time", time("2024-04-01T00:30")),
        ("discharge_date", Value::Date(date(2024, 3, 31))),
    ];
    assert_eq!(truth("discharge_date < arrival_time", &late), Some(true));
    assert_eq!(truth("discharge_date = date_of(arrival_time)", &late), Some(false));
    let same = [
        ("arrival_time", time("2024-04-01T00:30")),
        ("discharge_date", Value::Date(date(2024, 4, 1))),
    ];
    assert_eq!(truth("discharge_date = arrival_time", &same), Some(true));
    assert_eq!(truth("discharge_date >= arrival_time", &same), Some(true));
    // Date-only times give no minutes, but do give days.
    let day_only = [
        ("onset_time", time("2024-03-30")),
        ("arrival_time", time("2024-04-01T10:00")),
    ];
    assert_eq!(eval("minutes_between(onset_time, arrival_time)", &day_only), None);
    assert_eq!(
        eval("days_between(onset_time, arrival_time)", &day_only),
        Some(Value::Int(2))
    );
}

#[test]
fn functions() {
    let person = [
        ("birth_date", Value::Date(date(1950, 6, 15))),
        ("onset_time", time("2024-06-14T23:30")),
        ("arrival_time", time("2024-06-15T00:10")),
    ];
    assert_eq!(
        eval("years_between(birth_date, onset_time)", &person),
        Some(Value::Int(73))
    );
    assert_eq!(
        eval("years_between(birth_date, arrival_time)", &person),
        Some(Value::Int(74))
    );
    assert_eq!(
        eval("date_of(arrival_time)", &person),
        Some(Value::Date(date(2024, 6, 15)))
    );
    assert_eq!(
        eval("days_between(onset_time, arrival_time)", &person),
        Some(Value::Int(1))
    );
    assert_eq!(
        eval("coalesce(nihss, passes, 7)", &[("passes", Value::Int(2))]),
        Some(Value::Int(2))
    );
    assert_eq!(
        eval("coalesce(nihss, 7)", &[("nihss", Value::Unknown)]),
        Some(Value::Int(7))
    );
    assert_eq!(eval("coalesce(nihss, passes)", &[]), None);
    assert_eq!(
        eval(
            "CASE WHEN nihss > 20 THEN 'severe' WHEN nihss > 5 THEN 'moderate' ELSE 'mild' END",
            &[("nihss", Value::Int(7))]
        ),
        Some(Value::Code("moderate".into()))
    );
    assert_eq!(
        eval("CASE WHEN nihss > 20 THEN 'severe' END", &[("nihss", Value::Int(7))]),
        None
    );
    assert_eq!(eval("CASE WHEN nihss > 20 THEN 1 ELSE 0 END", &[]), Some(Value::Int(0)));
    let simple = "CASE diagnosis WHEN 'I61' THEN 1 WHEN 'I63' THEN 2 ELSE 0 END";
    assert_eq!(
        eval(simple, &[("diagnosis", Value::Code("I63".into()))]),
        Some(Value::Int(2))
    );
    assert_eq!(eval(simple, &[]), Some(Value::Int(0)));
}

/// A Norwegian birth number with valid check digits for the given first nine digits, if
/// the mod-11 rule gives both.
fn norwegian_id(nine: &str) -> Option<String> {
    let digits: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
    let check = |weights: &[u32], digits: &[u32]| {
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    let mut all = digits.clone();
    all.push(check(&[3, 7, 6, 1, 8, 9, 4, 5, 2], &all)?);
    all.push(check(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2], &all)?);
    Some(all.iter().map(|d| d.to_string()).collect())
}

#[test]
fn national_id_functions() {
    // Born 15 June 1950, individual number 12x; the ninth digit gives the sex.
    let id = (120..130)
        .find_map(|n| norwegian_id(&format!("150650{n:03}")))
        .expect("a test number with valid check digits in the range");
    let sex = if id.as_bytes()[8] % 2 == 1 { "male" } else { "female" };
    let values = [("national_id", Value::Text(id.clone()))];
    assert_eq!(
        eval("birth_date_from_id(national_id)", &values),
        Some(Value::Date(date(1950, 6, 15)))
    );
    assert_eq!(eval("sex_from_id(national_id)", &values), Some(Value::Code(sex.into())));
    assert_eq!(
        truth(
            "sex_from_id(national_id) = sex",
            &[values[0].clone(), ("sex", Value::Code(sex.into()))]
        ),
        Some(true)
    );
    let invalid = [("national_id", Value::Text("12345678901".into()))];
    assert_eq!(eval("birth_date_from_id(national_id)", &invalid), None);
    assert_eq!(eval("sex_from_id(national_id)", &invalid), None);
    // A Swedish personnummer: a birth date, but no Norwegian sex digit.
    let swedish = swedish_id("19500615123");
    let values = [("national_id", Value::Text(swedish))];
    assert_eq!(
        eval("birth_date_from_id(national_id)", &values),
        Some(Value::Date(date(1950, 6, 15)))
    );
    assert_eq!(eval("sex_from_id(national_id)", &values), None);
}

fn swedish_id(first_eleven: &str) -> String {
    let digits: Vec<u32> = first_eleven.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits[2..]
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { *d })
        .sum();
    format!("{first_eleven}{}", (10 - sum % 10) % 10)
}

#[test]
fn variables_and_code_comparisons() {
    let e = expr(
        "(diagnosis = 'I61' OR 'I63' <> diagnosis) AND tici_final IN ('2b', '2c', 3) \
         AND CASE evt_pathway WHEN 'direct' THEN nihss ELSE passes END > 0 AND diagnosis = note \
         AND sex = 'male' AND diagnosis = 'I61'",
    );
    assert_eq!(
        e.variables(),
        vec![
            "diagnosis",
            "tici_final",
            "evt_pathway",
            "nihss",
            "passes",
            "note",
            "sex"
        ]
    );
    assert_eq!(
        e.code_comparisons(),
        vec![
            ("diagnosis", "I61"),
            ("diagnosis", "I63"),
            ("tici_final", "2b"),
            ("tici_final", "2c"),
            ("evt_pathway", "direct"),
            ("sex", "male"),
        ]
    );
    assert!(expr("nihss > 1").code_comparisons().is_empty());
}

#[test]
fn display_reads_back_as_the_same_expression() {
    for text in [
        "ivt AND NOT (nihss >= 4) OR evt",
        "diagnosis NOT IN ('I61', 'it''s')",
        "CASE WHEN nihss BETWEEN 1 AND 4 THEN 'mild' ELSE NULL END",
        "CASE diagnosis WHEN 'I61' THEN -1 END",
        "minutes_between(arrival_time, ivt_time) <= 30 AND discharge_date > DATE '2024-01-01'",
        "nihss IS NOT NULL",
        "nihss - (passes - 1)",
    ] {
        let parsed = expr(text);
        assert_eq!(expr(&parsed.to_string()), parsed, "{text} -> {parsed}");
    }
}

/// Found by the fuzz target `expression`: long chains of one operator (`a * b * …`,
/// `a <= b <= …`) parsed, but printed with a parenthesis per link they nested past the
/// parser's limit, so the text shown in messages could not be read again.
#[test]
fn chains_print_as_chains_and_read_back() {
    for link in [" * ", " <= ", " AND "] {
        let long = vec!["nihss"; 80].join(link);
        let parsed = expr(&long);
        assert_eq!(parsed.to_string(), long);
        assert_eq!(expr(&parsed.to_string()), parsed);
    }
    let nots = format!("{}ivt", "NOT ".repeat(30));
    assert_eq!(expr(&nots).to_string(), nots);
    let nulls = format!("ivt{}", " IS NULL".repeat(40));
    assert_eq!(expr(&nulls).to_string(), nulls);
    for text in [
        "- -nihss",
        "nihss = passes = age",
        "(nihss < passes) AND ivt",
        "nihss - passes + age",
        "nihss * passes / age",
        "ivt AND evt AND sich",
        "ivt OR evt OR sich",
        "nihss - (passes - age)",
        "(nihss + passes) * age",
        "(ivt OR evt) AND sich",
    ] {
        let parsed = expr(text);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(expr(&parsed.to_string()), parsed, "{text}");
    }
}
