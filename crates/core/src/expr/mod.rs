//! The one expression language of kvalreg (architecture.md §4): a small, documented subset of
//! SQL expression syntax used by show-if, validation rules, derived variables and indicator
//! filters. Parsed with `sqlparser` into the AST below, type-checked against a register's
//! variables, and evaluated one row at a time with SQL's three-valued logic (NULL = unknown).

use crate::value::{Record, Value, VarType};

/// A parsed expression. Only the constructs listed here exist; anything else in the SQL
/// text is refused at parse time with a message naming the construct.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Variable(String),
    Literal(Literal),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Call {
        function: Function,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    /// A quoted string: compared with code and text variables.
    String(String),
    /// `DATE '2024-03-31'`
    Date(jiff::civil::Date),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Multiply,
    Divide,
}

/// The functions the language knows. Each is documented in docs/definitions.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `minutes_between(a, b)`: whole minutes from datetime `a` to datetime `b`; NULL when
    /// either clock time is unknown.
    MinutesBetween,
    /// `days_between(a, b)`: calendar days (Europe/Oslo) from `a` to `b` (date or datetime).
    DaysBetween,
    /// `years_between(a, b)`: completed years from `a` to `b` (ages).
    YearsBetween,
    /// `date_of(x)`: the Europe/Oslo calendar date of a datetime.
    DateOf,
    /// `coalesce(a, b, ...)`: the first non-NULL argument.
    Coalesce,
    /// `birth_date_from_id(national_id)`: the birth date a national id encodes, else NULL.
    BirthDateFromId,
    /// `sex_from_id(national_id)`: `'male'`/`'female'` from a Norwegian id's ninth digit, else NULL.
    SexFromId,
}

/// The static type of an expression; `Null` is the type of the NULL literal alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprType {
    Of(VarType),
    Null,
}

/// Why an expression was refused, with a message fit for a register administrator.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub message: String,
}

/// Parses SQL expression text into an [`Expr`], refusing anything outside the subset.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    parse::parse(text)
}

impl Expr {
    /// Every variable name the expression mentions, in order of first appearance.
    pub fn variables(&self) -> Vec<&str> {
        check::variables(self)
    }

    /// Every comparison of a variable with a string literal (`=`, `<>`, `IN`), so the
    /// definition checker can refuse a code that is not in the variable's code list.
    pub fn code_comparisons(&self) -> Vec<(&str, &str)> {
        check::code_comparisons(self)
    }

    /// Type-checks against the register's variables (`types` answers a name's type, or
    /// None for an unknown name). Refuses unknown variables and type mismatches.
    pub fn check(&self, types: &dyn Fn(&str) -> Option<VarType>) -> Result<ExprType, ExprError> {
        check::check(self, types)
    }

    /// Evaluates on one record. `None` is SQL NULL; a missing variable and
    /// `Value::Unknown` are both NULL. Never panics on a type-checked expression.
    pub fn eval(&self, row: &Record) -> Option<Value> {
        eval::eval(self, row)
    }
}

mod check;
mod eval;
mod parse;
