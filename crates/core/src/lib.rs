//! The domain core of kvalreg: register definitions, values, the expression language,
//! validation, derived variables, time handling and national ids. No I/O lives here, so
//! every rule of a register can be tested without a database or a network.

pub mod codebook;
pub mod definition;
pub mod derived;
pub mod document;
pub mod expr;
pub mod identity;
pub mod messages;
pub mod national_id;
pub mod time;
pub mod totp;
pub mod validation;
pub mod value;
