//! Static checks of an expression against a register's variables: which variables and codes
//! it mentions, and whether its types fit, so a definition error is found at start-up
//! rather than while a registrar saves.

use std::fmt;

use crate::value::VarType;

use super::{BinaryOp, Expr, ExprError, ExprType, Function, Literal};

/// The sub-expressions of `expr`, in the order they are written.
fn children(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Variable(_) | Expr::Literal(_) => Vec::new(),
        Expr::Not(inner) | Expr::Negate(inner) => vec![inner],
        Expr::IsNull { expr, .. } => vec![expr],
        Expr::Binary { left, right, .. } => vec![left, right],
        Expr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
        Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => operand
            .as_deref()
            .into_iter()
            .chain(branches.iter().flat_map(|(when, then)| [when, then]))
            .chain(otherwise.as_deref())
            .collect(),
        Expr::Call { args, .. } => args.iter().collect(),
    }
}

pub(super) fn variables(expr: &Expr) -> Vec<&str> {
    fn collect<'a>(expr: &'a Expr, out: &mut Vec<&'a str>) {
        if let Expr::Variable(name) = expr
            && !out.contains(&name.as_str())
        {
            out.push(name);
        }
        for child in children(expr) {
            collect(child, out);
        }
    }
    let mut out = Vec::new();
    collect(expr, &mut out);
    out
}

pub(super) fn code_comparisons(expr: &Expr) -> Vec<(&str, &str)> {
    fn string(expr: &Expr) -> Option<&str> {
        match expr {
            Expr::Literal(Literal::String(s)) => Some(s),
            _ => None,
        }
    }
    fn collect<'a>(expr: &'a Expr, out: &mut Vec<(&'a str, &'a str)>) {
        let mut found: Vec<(&'a str, &'a str)> = Vec::new();
        match expr {
            Expr::Binary {
                op: BinaryOp::Eq | BinaryOp::NotEq,
                left,
                right,
            } => match (&**left, &**right) {
                (Expr::Variable(name), other) | (other, Expr::Variable(name)) => {
                    found.extend(string(other).map(|code| (name.as_str(), code)));
                }
                _ => {}
            },
            Expr::InList { expr, list, .. } => {
                if let Expr::Variable(name) = &**expr {
                    found.extend(list.iter().filter_map(string).map(|code| (name.as_str(), code)));
                }
            }
            Expr::Case {
                operand: Some(operand),
                branches,
                ..
            } => {
                if let Expr::Variable(name) = &**operand {
                    found.extend(
                        branches
                            .iter()
                            .filter_map(|(when, _)| string(when))
                            .map(|code| (name.as_str(), code)),
                    );
                }
            }
            _ => {}
        }
        for pair in found {
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
        for child in children(expr) {
            collect(child, out);
        }
    }
    let mut out = Vec::new();
    collect(expr, &mut out);
    out
}

fn error(expr: &Expr, problem: impl fmt::Display) -> ExprError {
    ExprError {
        message: format!("`{expr}`: {problem}"),
    }
}

fn type_name(t: ExprType) -> &'static str {
    match t {
        ExprType::Of(v) => v.name(),
        ExprType::Null => "NULL",
    }
}

fn is_string(t: VarType) -> bool {
    matches!(t, VarType::Code | VarType::Text)
}

/// May `a = b` be asked? NULL fits anything; codes and texts compare as strings; a date
/// compares with a datetime at day granularity.
fn comparable(a: ExprType, b: ExprType) -> bool {
    match (a, b) {
        (ExprType::Null, _) | (_, ExprType::Null) => true,
        (ExprType::Of(a), ExprType::Of(b)) => {
            a == b
                || (is_string(a) && is_string(b))
                || matches!(
                    (a, b),
                    (VarType::Date, VarType::Datetime) | (VarType::Datetime, VarType::Date)
                )
        }
    }
}

/// May `a < b` be asked of this type? Numbers and times only: codes have no order.
fn orderable(t: ExprType) -> bool {
    matches!(
        t,
        ExprType::Null | ExprType::Of(VarType::Int | VarType::Date | VarType::Datetime)
    )
}

/// The common type of two results (CASE branches, coalesce arguments).
fn unify(a: ExprType, b: ExprType) -> Option<ExprType> {
    match (a, b) {
        (ExprType::Null, t) | (t, ExprType::Null) => Some(t),
        (ExprType::Of(a), ExprType::Of(b)) if a == b => Some(ExprType::Of(a)),
        (ExprType::Of(a), ExprType::Of(b)) if is_string(a) && is_string(b) => Some(ExprType::Of(VarType::Text)),
        _ => None,
    }
}

const BOOL: ExprType = ExprType::Of(VarType::Bool);
const INT: ExprType = ExprType::Of(VarType::Int);

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::And => "AND",
        BinaryOp::Or => "OR",
        BinaryOp::Eq => "=",
        BinaryOp::NotEq => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        BinaryOp::Plus => "+",
        BinaryOp::Minus => "-",
        BinaryOp::Multiply => "*",
        BinaryOp::Divide => "/",
    }
}

fn function_name(function: Function) -> &'static str {
    match function {
        Function::MinutesBetween => "minutes_between",
        Function::DaysBetween => "days_between",
        Function::YearsBetween => "years_between",
        Function::DateOf => "date_of",
        Function::Coalesce => "coalesce",
        Function::BirthDateFromId => "birth_date_from_id",
        Function::SexFromId => "sex_from_id",
    }
}

/// The precedence level of an operator; each level associates to the left, so `a op b op c`
/// reads `(a op b) op c`.
fn chain_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 0,
        BinaryOp::And => 1,
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => 2,
        BinaryOp::Plus | BinaryOp::Minus => 3,
        BinaryOp::Multiply | BinaryOp::Divide => 4,
    }
}

type Types<'a> = &'a dyn Fn(&str) -> Option<VarType>;

/// `expr` must be true/false (or NULL) where `context` needs a condition.
fn expect_bool(expr: &Expr, types: Types, context: &str) -> Result<(), ExprError> {
    match check(expr, types)? {
        ExprType::Null | BOOL => Ok(()),
        other => Err(error(
            expr,
            format!("{context} needs true/false, but this is {}", type_name(other)),
        )),
    }
}

fn expect_int(expr: &Expr, types: Types, context: &str) -> Result<(), ExprError> {
    match check(expr, types)? {
        ExprType::Null | INT => Ok(()),
        other => Err(error(
            expr,
            format!("{context} works on int, but this is {}", type_name(other)),
        )),
    }
}

/// Checks that `a` and `b` may be compared with `op` (for messages: `whole`).
fn expect_comparable(whole: &Expr, op: &str, a: ExprType, b: ExprType, ordered: bool) -> Result<(), ExprError> {
    if !comparable(a, b) {
        return Err(error(
            whole,
            format!("`{op}` cannot compare {} with {}", type_name(a), type_name(b)),
        ));
    }
    if ordered && !(orderable(a) && orderable(b)) {
        let culprit = if orderable(a) { b } else { a };
        return Err(error(
            whole,
            format!(
                "`{op}` orders ints, dates and datetimes; {} values have no order (compare them with = or IN)",
                type_name(culprit)
            ),
        ));
    }
    Ok(())
}

pub(super) fn check(expr: &Expr, types: Types) -> Result<ExprType, ExprError> {
    match expr {
        Expr::Variable(name) => types(name).map(ExprType::Of).ok_or_else(|| ExprError {
            message: format!("unknown variable `{name}`"),
        }),
        Expr::Literal(literal) => Ok(match literal {
            Literal::Null => ExprType::Null,
            Literal::Bool(_) => BOOL,
            Literal::Int(_) => INT,
            Literal::String(_) => ExprType::Of(VarType::Code),
            Literal::Date(_) => ExprType::Of(VarType::Date),
        }),
        Expr::Not(inner) => expect_bool(inner, types, "NOT").map(|()| BOOL),
        Expr::Negate(inner) => expect_int(inner, types, "unary minus").map(|()| INT),
        Expr::IsNull { expr, .. } => check(expr, types).map(|_| BOOL),
        Expr::Binary { op, left, right } => {
            let symbol = op_symbol(*op);
            match op {
                BinaryOp::And | BinaryOp::Or => {
                    expect_bool(left, types, symbol)?;
                    expect_bool(right, types, symbol)?;
                    Ok(BOOL)
                }
                BinaryOp::Plus | BinaryOp::Minus | BinaryOp::Multiply | BinaryOp::Divide => {
                    let context = format!("`{symbol}`");
                    expect_int(left, types, &context)?;
                    expect_int(right, types, &context)?;
                    Ok(INT)
                }
                BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                    let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::NotEq);
                    let (a, b) = (check(left, types)?, check(right, types)?);
                    expect_comparable(expr, symbol, a, b, ordered)?;
                    Ok(BOOL)
                }
            }
        }
        Expr::InList {
            expr: subject, list, ..
        } => {
            let t = check(subject, types)?;
            for item in list {
                expect_comparable(expr, "IN", t, check(item, types)?, false)?;
            }
            Ok(BOOL)
        }
        Expr::Between {
            expr: subject,
            low,
            high,
            ..
        } => {
            let t = check(subject, types)?;
            expect_comparable(expr, "BETWEEN", t, check(low, types)?, true)?;
            expect_comparable(expr, "BETWEEN", t, check(high, types)?, true)?;
            Ok(BOOL)
        }
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => {
            let subject = operand.as_deref().map(|o| check(o, types)).transpose()?;
            let mut result = ExprType::Null;
            for (when, then) in branches {
                match subject {
                    Some(t) => expect_comparable(expr, "CASE … WHEN", t, check(when, types)?, false)?,
                    None => expect_bool(when, types, "WHEN")?,
                }
                result = unify_results(expr, result, check(then, types)?)?;
            }
            if let Some(otherwise) = otherwise {
                result = unify_results(expr, result, check(otherwise, types)?)?;
            }
            Ok(result)
        }
        Expr::Call { function, args } => check_call(expr, *function, args, types),
    }
}

fn unify_results(whole: &Expr, a: ExprType, b: ExprType) -> Result<ExprType, ExprError> {
    unify(a, b).ok_or_else(|| {
        error(
            whole,
            format!(
                "the results must have one type, but one is {} and another {}",
                type_name(a),
                type_name(b)
            ),
        )
    })
}

fn check_call(whole: &Expr, function: Function, args: &[Expr], types: Types) -> Result<ExprType, ExprError> {
    let name = function_name(function);
    let arg_types = args.iter().map(|a| check(a, types)).collect::<Result<Vec<_>, _>>()?;
    let expect = |allowed: &[VarType], wanted: &str| -> Result<(), ExprError> {
        for (position, t) in arg_types.iter().enumerate() {
            if let ExprType::Of(v) = t
                && !allowed.contains(v)
            {
                return Err(error(
                    whole,
                    format!(
                        "argument {} of `{name}` must be {wanted}, not {}",
                        position + 1,
                        v.name()
                    ),
                ));
            }
        }
        Ok(())
    };
    match function {
        Function::MinutesBetween => expect(&[VarType::Datetime], "datetime").map(|()| INT),
        Function::DaysBetween | Function::YearsBetween => {
            expect(&[VarType::Date, VarType::Datetime], "date or datetime").map(|()| INT)
        }
        Function::DateOf => expect(&[VarType::Datetime], "datetime").map(|()| ExprType::Of(VarType::Date)),
        Function::BirthDateFromId => expect(&[VarType::Text], "text").map(|()| ExprType::Of(VarType::Date)),
        Function::SexFromId => expect(&[VarType::Text], "text").map(|()| ExprType::Of(VarType::Code)),
        Function::Coalesce => arg_types.iter().try_fold(ExprType::Null, |acc, t| {
            unify(acc, *t).ok_or_else(|| {
                error(
                    whole,
                    format!(
                        "the arguments of `coalesce` must have one type, but one is {} and another {}",
                        type_name(acc),
                        type_name(*t)
                    ),
                )
            })
        }),
    }
}

/// SQL text of an expression, as the language writes it; used in messages.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Sub-expressions that are not atoms get parentheses, so the text reads unambiguously.
        struct Operand<'a>(&'a Expr);
        impl fmt::Display for Operand<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Expr::Variable(_) | Expr::Literal(_) | Expr::Call { .. } | Expr::Case { .. } => {
                        write!(f, "{}", self.0)
                    }
                    other => write!(f, "({other})"),
                }
            }
        }
        fn list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        }
        let not = |negated: bool| if negated { "NOT " } else { "" };
        match self {
            Expr::Variable(name) => f.write_str(name),
            Expr::Literal(Literal::Null) => f.write_str("NULL"),
            Expr::Literal(Literal::Bool(b)) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Expr::Literal(Literal::Int(i)) => write!(f, "{i}"),
            Expr::Literal(Literal::String(s)) => write!(f, "'{}'", s.replace('\'', "''")),
            Expr::Literal(Literal::Date(d)) => write!(f, "DATE '{}'", crate::time::format_date(*d)),
            // Chains of one operator (`NOT NOT a`, `- -a`, `a IS NULL IS NULL`, `a * b * c`) are
            // written as chains, not with a parenthesis per link: the text stays readable and
            // within the parser's nesting limit when it is read again.
            Expr::Not(inner) if matches!(**inner, Expr::Not(_)) => write!(f, "NOT {inner}"),
            Expr::Not(inner) => write!(f, "NOT {}", Operand(inner)),
            Expr::Negate(inner) if matches!(**inner, Expr::Negate(_)) => write!(f, "- {inner}"),
            Expr::Negate(inner) => write!(f, "-{}", Operand(inner)),
            Expr::Binary { op, left, right } => match &**left {
                Expr::Binary { op: inner, .. } if chain_level(*inner) == chain_level(*op) => {
                    write!(f, "{left} {} {}", op_symbol(*op), Operand(right))
                }
                _ => write!(f, "{} {} {}", Operand(left), op_symbol(*op), Operand(right)),
            },
            Expr::IsNull { expr, negated } if matches!(**expr, Expr::IsNull { .. }) => {
                write!(f, "{expr} IS {}NULL", not(*negated))
            }
            Expr::IsNull { expr, negated } => {
                write!(f, "{} IS {}NULL", Operand(expr), not(*negated))
            }
            Expr::InList {
                expr,
                list: items,
                negated,
            } => {
                write!(f, "{} {}IN (", Operand(expr), not(*negated))?;
                list(f, items)?;
                f.write_str(")")
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => write!(
                f,
                "{} {}BETWEEN {} AND {}",
                Operand(expr),
                not(*negated),
                Operand(low),
                Operand(high)
            ),
            Expr::Case {
                operand,
                branches,
                otherwise,
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {}", Operand(operand))?;
                }
                for (when, then) in branches {
                    write!(f, " WHEN {when} THEN {then}")?;
                }
                if let Some(otherwise) = otherwise {
                    write!(f, " ELSE {otherwise}")?;
                }
                f.write_str(" END")
            }
            Expr::Call { function, args } => {
                write!(f, "{}(", function_name(*function))?;
                list(f, args)?;
                f.write_str(")")
            }
        }
    }
}
