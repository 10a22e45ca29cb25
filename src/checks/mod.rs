//! The checks, one module per concern: `file` for what every upload gets
//! (type, size, structure, decoding), then one module per kind of material.
//! Each takes measured facts and the rulebook and adds reasons to a
//! [`FileReport`](crate::report::FileReport); none does I/O or logging.

pub mod document;
pub mod file;
pub mod idcard;
pub mod photo;
