//! prescreen checks the documents an applicant uploads to register for the
//! 电子商务师 (e-commerce specialist, level 2) skill assessment: per file,
//! **pass** or **reject with a reason**; per application, whether the
//! materials the chosen eligibility clause requires are all there.
//!
//! # Crate map
//!
//! From the ground floor up; a module uses only those above it in this list
//! (and `report`, `codes`, `error`, which everything may use).
//!
//! * [`format`](mod@format): the file type from the first bytes (`sniff`), run once per
//!   upload where its bytes come in.
//! * [`codes`]: the closed, add-only registry of reason codes (SPEC §3).
//! * [`error`]: what stops a command (bad rulebook, unreadable input),
//!   as opposed to reasons, which are answers.
//! * [`rules`]: the rulebook as data (plans, clauses, slots, every limit),
//!   validated once into plain typed structs, and the zh/en messages.
//! * [`report`]: the JSON contract (SPEC §4) and its text rendering.
//! * [`input`]: bytes to pixels and parts, limits first: the JPEG
//!   structure walk, bounded decoding with EXIF orientation, PDF pages,
//!   zip entries.
//! * [`unpack`]: an [`Upload`] (bytes, name, slot, format) and what it
//!   contains: zip entries and PDF pages one at a time, the container's
//!   problems mapped to reasons in one place.
//! * [`measure`]: image measurements over plain parameters (background,
//!   blur, exposure, colour, faces, the quadrilateral of a card or a page,
//!   ink on a form). They measure and never decide.
//! * [`checks`]: the decisions: each reads the rulebook, calls measures and
//!   adds reasons; `file` for every upload, one module per kind.
//! * [`pipeline`]: one upload through the file checks and its kind's
//!   checks, one way down ([`pipeline::check_upload`]).
//! * [`set`]: an application: slots named or inferred, each upload through
//!   the pipeline, completeness against a clause ([`check_application`]).
//! * [`collect`]: command-line inputs (files, folders) to uploads.
//! * [`fix`]: a photo whose only faults are size, crop or format made
//!   into an upload that passes (`prescreen fix`, `POST /v1/fix/{slot}`),
//!   returned only when the full check of the result passes.
//! * [`eligibility`]: the clauses a declared history meets, and its
//!   consistency findings (`prescreen eligibility`, `POST /v1/eligibility`,
//!   `check --declared`); uses only `rules` and `report`.
//! * [`server`]: the HTTP API (`prescreen serve`): multipart in, checks on
//!   blocking workers behind an admission queue, metrics, OpenAPI.
//! * [`batch`]: re-checks of archives (`prescreen batch`) with resume and
//!   shards, and the summaries of `prescreen report`.
//! * [`review`]: the reviewers' workspace over a batch's results
//!   (`prescreen review`): queue, evidence drawn over each image,
//!   decisions in SQLite.
//!
//! The CLI (`src/main.rs`, `src/cli.rs`) is a thin layer over these; the
//! library never prints (batch progress goes to a [`batch::Progress`]).

pub mod batch;
pub mod checks;
pub mod codes;
pub mod collect;
pub mod eligibility;
pub mod error;
pub mod fix;
pub mod format;
pub mod input;
pub mod measure;
pub mod pipeline;
pub mod report;
pub mod review;
pub mod rules;
pub mod server;
pub mod set;
pub mod unpack;

pub use codes::{Code, Severity};
pub use error::Error;
pub use pipeline::check_file;
pub use report::{FileReport, Reason, Report, Verdict};
pub use rules::{Lang, Rules};
pub use set::{check_application, check_application_with, check_application_within, CheckOptions, Target};
pub use unpack::Upload;
