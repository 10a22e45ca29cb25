//! The library's own failures: I/O and a bad rulebook. Bad or hostile input
//! is never an `Error`: it is a reason in the report (`file.corrupt` …).

use thiserror::Error;

/// What can go wrong outside the checks themselves.
#[derive(Debug, Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The rulebook is malformed or inconsistent.
    #[error("rulebook{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Rules { line: Option<usize>, message: String },
    /// A plan or clause that the rulebook does not have.
    #[error("{0}")]
    Usage(String),
}
