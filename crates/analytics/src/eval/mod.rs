//! The column evaluator of the expression language (architecture.md §4): the same
//! expressions as the row evaluator in `kvalreg_core::expr`, computed for every
//! registration at once over Arrow arrays, with the same answers, NULLs, unknowns and
//! date-only times included (held to it by the property test in tests/evaluator.rs).

use std::collections::HashMap;

use arrow_array::{BooleanArray, Date32Array, Int64Array};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use kvalreg_core::expr::{BinaryOp, Expr, Literal};
use kvalreg_core::value::{Moment, Value};

use crate::civil;
use crate::columns::{Columns, split_instant};
use crate::vector::{Moments, Strings, Vector, true_mask};

mod arith;
mod functions;
mod logic;
mod order;
mod select;

/// Named values that are not columns but may stand in an expression, the same for every
/// registration: `report_date` in indicator expressions.
#[derive(Debug, Clone, Default)]
pub struct Parameters {
    values: HashMap<String, Value>,
}

impl Parameters {
    /// Adds (or replaces) a parameter.
    pub fn with(mut self, name: &str, value: Value) -> Parameters {
        self.values.insert(name.to_string(), value);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}

/// Evaluates a type-checked expression for every registration in `columns`. A variable
/// with no column is NULL everywhere, as a missing value is for the row evaluator.
/// Never panics; an expression that does not type-check gives NULL where types clash.
pub fn evaluate(expr: &Expr, columns: &Columns, parameters: &Parameters) -> Vector {
    Context {
        columns,
        parameters,
        len: columns.len(),
    }
    .eval(expr)
}

struct Context<'a> {
    columns: &'a Columns,
    parameters: &'a Parameters,
    len: usize,
}

impl Context<'_> {
    fn eval(&self, expr: &Expr) -> Vector {
        match expr {
            Expr::Variable(name) => match (self.columns.get(name), self.parameters.get(name)) {
                (Some(column), _) => column.clone(),
                (None, Some(value)) => constant(value, self.len),
                (None, None) => Vector::Null(self.len),
            },
            Expr::Literal(literal) => self.literal(literal),
            Expr::Not(inner) => Vector::Bool(logic::not(&self.boolean(inner))),
            Expr::Negate(inner) => match self.eval(inner) {
                Vector::Int(a) => Vector::Int(arith::negate(&a)),
                _ => Vector::Null(self.len),
            },
            Expr::IsNull { expr, negated } => {
                let present = self.eval(expr).validity();
                let values = if *negated { present } else { !&present };
                Vector::Bool(BooleanArray::new(values, None))
            }
            Expr::Binary { op, left, right } => self.binary(*op, left, right),
            Expr::InList { expr, list, negated } => {
                let subject = self.eval(expr);
                let literals: Option<Vec<Value>> = list.iter().map(scalar).collect();
                if let Some(result) = literals.and_then(|l| order::in_scalars(&subject, &l, *negated)) {
                    return Vector::Bool(result);
                }
                let items: Vec<Vector> = list.iter().map(|item| self.eval(item)).collect();
                Vector::Bool(order::in_list(&subject, &items, *negated))
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let subject = self.eval(expr);
                let above = order::compare(&subject, &self.eval(low), |o| o >= 0);
                let below = order::compare(&subject, &self.eval(high), |o| o <= 0);
                let inside = logic::and(&above, &below);
                Vector::Bool(if *negated { logic::not(&inside) } else { inside })
            }
            Expr::Case {
                operand,
                branches,
                otherwise,
            } => {
                let subject = operand.as_deref().map(|o| self.eval(o));
                let chosen = select::choose(
                    self.len,
                    branches.iter().map(|(when, _)| {
                        let when = self.eval(when);
                        match &subject {
                            Some(subject) => true_mask(&order::compare(subject, &when, |o| o == 0)),
                            None => when.true_mask(),
                        }
                    }),
                );
                let mut results: Vec<Vector> = branches.iter().map(|(_, then)| self.eval(then)).collect();
                let chosen = match otherwise {
                    Some(otherwise) => {
                        results.push(self.eval(otherwise));
                        select::otherwise(chosen, results.len() - 1)
                    }
                    None => chosen,
                };
                select::gather(self.len, &results, &chosen)
            }
            Expr::Call { function, args } => {
                let args: Vec<Vector> = args.iter().map(|a| self.eval(a)).collect();
                functions::call(*function, &args, self.len)
            }
        }
    }

    /// A condition's column; a non-boolean is unknown (NULL) everywhere.
    fn boolean(&self, expr: &Expr) -> BooleanArray {
        match self.eval(expr) {
            Vector::Bool(a) => a,
            other => all_null_bool(other.len()),
        }
    }

    fn literal(&self, literal: &Literal) -> Vector {
        match literal {
            Literal::Null => Vector::Null(self.len),
            Literal::Bool(b) => constant(&Value::Bool(*b), self.len),
            Literal::Int(i) => constant(&Value::Int(*i), self.len),
            Literal::String(s) => constant(&Value::Code(s.clone()), self.len),
            Literal::Date(d) => constant(&Value::Date(*d), self.len),
        }
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Vector {
        match op {
            BinaryOp::And => Vector::Bool(logic::and(&self.boolean(left), &self.boolean(right))),
            BinaryOp::Or => Vector::Bool(logic::or(&self.boolean(left), &self.boolean(right))),
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                let holds: fn(i8) -> bool = match op {
                    BinaryOp::Eq => |o| o == 0,
                    BinaryOp::NotEq => |o| o != 0,
                    BinaryOp::Lt => |o| o < 0,
                    BinaryOp::LtEq => |o| o <= 0,
                    BinaryOp::Gt => |o| o > 0,
                    _ => |o| o >= 0,
                };
                // A column against a literal: compared without spreading the literal.
                if let Some(value) = scalar(right) {
                    let column = self.eval(left);
                    if let Some(result) = order::compare_scalar(&column, &value, holds) {
                        return Vector::Bool(result);
                    }
                    return Vector::Bool(order::compare(&column, &constant(&value, self.len), holds));
                }
                if let Some(value) = scalar(left) {
                    let column = self.eval(right);
                    let flipped = move |o: i8| holds(-o);
                    if let Some(result) = order::compare_scalar(&column, &value, flipped) {
                        return Vector::Bool(result);
                    }
                    return Vector::Bool(order::compare(&constant(&value, self.len), &column, holds));
                }
                let (l, r) = (self.eval(left), self.eval(right));
                Vector::Bool(order::compare(&l, &r, holds))
            }
            BinaryOp::Plus | BinaryOp::Minus | BinaryOp::Multiply | BinaryOp::Divide => {
                match (self.eval(left), self.eval(right)) {
                    (Vector::Int(a), Vector::Int(b)) => Vector::Int(arith::binary(op, &a, &b)),
                    _ => Vector::Null(self.len),
                }
            }
        }
    }
}

/// The value of a literal other than NULL.
fn scalar(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Literal(Literal::Bool(b)) => Some(Value::Bool(*b)),
        Expr::Literal(Literal::Int(i)) => Some(Value::Int(*i)),
        Expr::Literal(Literal::String(s)) => Some(Value::Code(s.clone())),
        Expr::Literal(Literal::Date(d)) => Some(Value::Date(*d)),
        _ => None,
    }
}

/// A boolean column that is NULL everywhere.
pub(crate) fn all_null_bool(len: usize) -> BooleanArray {
    BooleanArray::new(BooleanBuffer::new_unset(len), Some(NullBuffer::new_null(len)))
}

/// The same value in every slot.
pub fn constant(value: &Value, len: usize) -> Vector {
    match value {
        Value::Unknown => Vector::Null(len),
        Value::Bool(b) => {
            let values = if *b {
                BooleanBuffer::new_set(len)
            } else {
                BooleanBuffer::new_unset(len)
            };
            Vector::Bool(BooleanArray::new(values, None))
        }
        Value::Int(i) => Vector::Int(Int64Array::new(ScalarBuffer::from(vec![*i; len]), None)),
        Value::Date(d) => Vector::Date(Date32Array::new(
            ScalarBuffer::from(vec![civil::day_number(*d); len]),
            None,
        )),
        Value::Code(s) | Value::Text(s) => Vector::Str(Strings::constant(s, len)),
        Value::Datetime(moment) => {
            let day = civil::day_number(kvalreg_core::time::oslo_date(moment));
            let date = Date32Array::new(ScalarBuffer::from(vec![day; len]), None);
            let (seconds, nanos) = match moment {
                Moment::At(ts) => {
                    let (s, n) = split_instant(*ts);
                    let nanos = (n != 0).then(|| arrow_array::Int32Array::new(ScalarBuffer::from(vec![n; len]), None));
                    (Int64Array::new(ScalarBuffer::from(vec![s; len]), None), nanos)
                }
                Moment::DateOnly(_) => (
                    Int64Array::new(ScalarBuffer::from(vec![0; len]), Some(NullBuffer::new_null(len))),
                    None,
                ),
            };
            Vector::Moment(Moments { seconds, nanos, date })
        }
    }
}
