//! prescreen checks the documents an applicant uploads to register for the
//! 电子商务师 (e-commerce specialist, level 2) skill assessment: per file,
//! **pass** or **reject with a reason**; per application, whether the
//! materials the chosen eligibility clause requires are all there.
//!
//! # Layout
//!
//! * [`rules`]: the rulebook as data (plans, clauses, slots, thresholds) and
//!   the zh/en message catalogue.
//! * [`codes`]: the closed registry of reason codes.
//! * [`input`]: bytes to checkable things, limits first (type sniffing, the
//!   JPEG structure walk, bounded decoding with EXIF orientation).
//! * [`measure`]: reusable measurements (background, blur, exposure, colour).
//! * [`checks`]: per-file checks, one module per concern.
//! * [`pipeline`]: one file through its checks ([`pipeline::check_file`]).
//! * [`set`]: an application: slots, completeness against a clause.
//! * [`report`]: the JSON contract and the text rendering.
//! * [`collect`]: command-line inputs (files, folders) to uploads.
//! * [`server`]: the HTTP API (`prescreen serve`).
//! * [`batch`]: re-checks of archives (`prescreen batch`, `prescreen report`).
//!
//! The CLI (`src/main.rs`, `src/cli.rs`) is a thin layer over these.

pub mod batch;
pub mod checks;
pub mod codes;
pub mod collect;
pub mod error;
pub mod format;
pub mod input;
pub mod measure;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod server;
pub mod set;
pub mod unpack;

pub use codes::{Code, Severity};
pub use error::Error;
pub use pipeline::check_file;
pub use report::{FileReport, Reason, Report, Verdict};
pub use rules::{Lang, Rules};
pub use set::{check_application, Target, Upload};
