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
    /// A plan that the rulebook does not have.
    #[error("unknown plan {plan:?}; plans are: {known}")]
    UnknownPlan { plan: String, known: String },
    /// A clause that the plan does not have.
    #[error("plan {plan} has no clause {n} (it has {known})")]
    UnknownClause { plan: String, n: u32, known: String },
    /// The reviewers' decisions file could not be opened, read or written.
    #[error("decisions {path}: {message}")]
    Store { path: String, message: String },
    /// Any other misuse.
    #[error("{0}")]
    Usage(String),
}
