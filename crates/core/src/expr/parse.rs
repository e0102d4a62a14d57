//! SQL expression text to the expression AST: sqlparser does the grammar, this module keeps
//! only the documented subset and refuses everything else by name.

use sqlparser::ast::{self, Spanned};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::{BinaryOp, Expr, ExprError, Function, Literal};

/// Most tokens accepted. Far above any real rule (a CASE with twenty branches is about a
/// hundred), and low enough that sqlparser's recursion over a long `a + b + …` chain stays
/// well inside a 2 MiB thread stack.
const MAX_TOKENS: usize = 1_000;

/// Deepest nesting accepted, so the recursive check and evaluation stay shallow too.
const MAX_DEPTH: usize = 200;

pub(super) fn parse(text: &str) -> Result<Expr, ExprError> {
    if text.trim().is_empty() {
        return Err(error("the expression is empty"));
    }
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|e| syntax_error(e.into()))?;
    let count = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    if count > MAX_TOKENS {
        return Err(error(format!(
            "the expression has {count} words and symbols; at most {MAX_TOKENS} are allowed"
        )));
    }
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let parsed = parser.parse_expr().map_err(syntax_error)?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(error(format!(
            "unexpected `{}` after the end of the expression{}",
            next.token,
            position(next.span.start)
        )));
    }
    convert(&parsed, 0)
}

fn error(message: impl Into<String>) -> ExprError {
    ExprError {
        message: message.into(),
    }
}

/// sqlparser's own message already carries "at Line: l, Column: c" where it knows it.
fn syntax_error(e: ParserError) -> ExprError {
    let message = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "the expression nests too deeply".to_string(),
    };
    error(format!("syntax error: {message}"))
}

fn position(at: Location) -> String {
    if at.line == 0 {
        String::new()
    } else {
        format!(" (line {}, column {})", at.line, at.column)
    }
}

/// Refuses `node` with `what`, naming the position when sqlparser recorded one.
fn refuse(what: impl std::fmt::Display, node: &ast::Expr) -> ExprError {
    error(format!("{what}{}", position(node.span().start)))
}

fn boxed(node: &ast::Expr, depth: usize) -> Result<Box<Expr>, ExprError> {
    convert(node, depth).map(Box::new)
}

fn convert(node: &ast::Expr, depth: usize) -> Result<Expr, ExprError> {
    if depth > MAX_DEPTH {
        return Err(error(format!("the expression nests more than {MAX_DEPTH} levels deep")));
    }
    let depth = depth + 1;
    use ast::Expr as S;
    Ok(match node {
        S::Identifier(ident) => Expr::Variable(variable_name(ident, node)?),
        S::CompoundIdentifier(_) => {
            return Err(refuse(
                format!(
                    "`{node}`: qualified names are not part of the expression language; use the variable name alone"
                ),
                node,
            ));
        }
        S::Value(value) => Expr::Literal(literal(&value.value, node)?),
        S::TypedString(typed) => Expr::Literal(typed_literal(typed, node)?),
        S::Nested(inner) => convert(inner, depth)?,
        S::UnaryOp { op, expr } => match op {
            ast::UnaryOperator::Not => Expr::Not(boxed(expr, depth)?),
            ast::UnaryOperator::Minus => Expr::Negate(boxed(expr, depth)?),
            ast::UnaryOperator::Plus => convert(expr, depth)?,
            other => {
                return Err(refuse(
                    format!("the operator `{other}` is not part of the expression language"),
                    node,
                ));
            }
        },
        S::BinaryOp { left, op, right } => Expr::Binary {
            op: binary_op(op, node)?,
            left: boxed(left, depth)?,
            right: boxed(right, depth)?,
        },
        S::IsNull(inner) => Expr::IsNull {
            expr: boxed(inner, depth)?,
            negated: false,
        },
        S::IsNotNull(inner) => Expr::IsNull {
            expr: boxed(inner, depth)?,
            negated: true,
        },
        S::InList { expr, list, negated } => Expr::InList {
            expr: boxed(expr, depth)?,
            list: list.iter().map(|item| convert(item, depth)).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        S::Between {
            expr,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: boxed(expr, depth)?,
            low: boxed(low, depth)?,
            high: boxed(high, depth)?,
            negated: *negated,
        },
        S::Case {
            operand,
            conditions,
            else_result,
            ..
        } => Expr::Case {
            operand: operand.as_deref().map(|o| boxed(o, depth)).transpose()?,
            branches: conditions
                .iter()
                .map(|when| Ok((convert(&when.condition, depth)?, convert(&when.result, depth)?)))
                .collect::<Result<_, ExprError>>()?,
            otherwise: else_result.as_deref().map(|o| boxed(o, depth)).transpose()?,
        },
        S::Function(call) => function_call(call, node, depth)?,
        S::InSubquery { .. } | S::Exists { .. } | S::Subquery(_) => {
            return Err(refuse("subqueries are not part of the expression language", node));
        }
        S::Like { .. } | S::ILike { .. } | S::SimilarTo { .. } | S::RLike { .. } => {
            return Err(refuse(
                format!(
                    "`{node}`: pattern matching (LIKE) is not part of the expression language; compare with = or IN"
                ),
                node,
            ));
        }
        S::Cast { .. } | S::Convert { .. } => {
            return Err(refuse(
                format!("`{node}`: casts are not part of the expression language; variables already have their types"),
                node,
            ));
        }
        S::IsTrue(_) | S::IsNotTrue(_) | S::IsFalse(_) | S::IsNotFalse(_) => {
            return Err(refuse(
                format!(
                    "`{node}`: IS TRUE / IS FALSE are not part of the expression language; use `= TRUE` or `IS NULL`"
                ),
                node,
            ));
        }
        other => {
            return Err(refuse(
                format!("`{other}` is not part of the expression language"),
                node,
            ));
        }
    })
}

/// Variables are named in lower_snake_case, unquoted.
fn variable_name(ident: &ast::Ident, node: &ast::Expr) -> Result<String, ExprError> {
    if ident.quote_style.is_some() {
        return Err(refuse(
            format!(
                "`{ident}`: quoted names are not part of the expression language; write the variable name without quotes (strings use single quotes)"
            ),
            node,
        ));
    }
    let name = &ident.value;
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(refuse(
            format!("`{name}` is not a variable name: variable names are lower_snake_case (a-z, 0-9, _)"),
            node,
        ));
    }
    Ok(name.clone())
}

fn literal(value: &ast::Value, node: &ast::Expr) -> Result<Literal, ExprError> {
    match value {
        ast::Value::Null => Ok(Literal::Null),
        ast::Value::Boolean(b) => Ok(Literal::Bool(*b)),
        ast::Value::SingleQuotedString(s) => Ok(Literal::String(s.clone())),
        ast::Value::Number(text, _) => {
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse(
                    format!("`{text}`: the expression language has whole numbers only"),
                    node,
                ));
            }
            text.parse()
                .map(Literal::Int)
                .map_err(|_| refuse(format!("the number {text} is too large"), node))
        }
        other => Err(refuse(
            format!(
                "the literal `{other}` is not part of the expression language; strings are written in single quotes"
            ),
            node,
        )),
    }
}

fn typed_literal(typed: &ast::TypedString, node: &ast::Expr) -> Result<Literal, ExprError> {
    match (&typed.data_type, &typed.value.value, typed.uses_odbc_syntax) {
        (ast::DataType::Date, ast::Value::SingleQuotedString(text), false) => {
            crate::time::parse_iso_date(text).map(Literal::Date).ok_or_else(|| {
                refuse(
                    format!("DATE '{text}' is not a date; write DATE 'YYYY-MM-DD', e.g. DATE '2024-03-31'"),
                    node,
                )
            })
        }
        _ => Err(refuse(
            format!("`{node}`: the only typed literal is DATE 'YYYY-MM-DD'"),
            node,
        )),
    }
}

fn binary_op(op: &ast::BinaryOperator, node: &ast::Expr) -> Result<BinaryOp, ExprError> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::Plus => BinaryOp::Plus,
        B::Minus => BinaryOp::Minus,
        B::Multiply => BinaryOp::Multiply,
        B::Divide => BinaryOp::Divide,
        other => {
            return Err(refuse(
                format!("the operator `{other}` is not part of the expression language"),
                node,
            ));
        }
    })
}

/// Function names (case-insensitive) and how many arguments each takes: (min, max).
fn function_named(name: &str) -> Option<(Function, usize, Option<usize>)> {
    Some(match name.to_ascii_lowercase().as_str() {
        "minutes_between" => (Function::MinutesBetween, 2, Some(2)),
        "days_between" => (Function::DaysBetween, 2, Some(2)),
        "years_between" => (Function::YearsBetween, 2, Some(2)),
        "date_of" => (Function::DateOf, 1, Some(1)),
        "coalesce" => (Function::Coalesce, 2, None),
        "birth_date_from_id" => (Function::BirthDateFromId, 1, Some(1)),
        "sex_from_id" => (Function::SexFromId, 1, Some(1)),
        _ => return None,
    })
}

const FUNCTION_NAMES: &str = "minutes_between, days_between, years_between, date_of, coalesce, \
                              birth_date_from_id, sex_from_id";

fn function_call(call: &ast::Function, node: &ast::Expr, depth: usize) -> Result<Expr, ExprError> {
    let name = match call.name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(ident)] if ident.quote_style.is_none() => &ident.value,
        _ => {
            return Err(refuse(
                format!(
                    "`{}` is not a function of the expression language; the functions are {FUNCTION_NAMES}",
                    call.name
                ),
                node,
            ));
        }
    };
    let Some((function, min, max)) = function_named(name) else {
        return Err(refuse(
            format!("unknown function `{name}`; the functions are {FUNCTION_NAMES}"),
            node,
        ));
    };
    let plain = !call.uses_odbc_syntax
        && matches!(call.parameters, ast::FunctionArguments::None)
        && call.within_group.is_empty()
        && call.filter.is_none()
        && call.null_treatment.is_none()
        && call.over.is_none();
    let list = match &call.args {
        ast::FunctionArguments::List(list)
            if plain && list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
        {
            list
        }
        ast::FunctionArguments::Subquery(_) => {
            return Err(refuse("subqueries are not part of the expression language", node));
        }
        _ => {
            return Err(refuse(
                format!("`{node}`: call `{name}` as `{name}(argument, ...)`, without other clauses"),
                node,
            ));
        }
    };
    let args = list
        .args
        .iter()
        .map(|arg| match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => convert(e, depth),
            _ => Err(refuse(
                format!("`{arg}`: arguments of `{name}` are plain expressions, not named or `*`"),
                node,
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count = args.len();
    if count < min || max.is_some_and(|max| count > max) {
        let expected = match max {
            Some(max) if max == min => format!("{min}"),
            Some(max) => format!("{min} to {max}"),
            None => format!("at least {min}"),
        };
        let plural = if expected == "1" { "argument" } else { "arguments" };
        return Err(refuse(format!("`{name}` takes {expected} {plural}, not {count}"), node));
    }
    Ok(Expr::Call { function, args })
}
