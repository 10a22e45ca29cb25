//! Integration tests: every reason code made to fire, the good cases that
//! pass, byte boundaries, the rulebook against the seeds, the CLI and a
//! golden JSON report. Test images come from `tests/support/synth.rs` and, for
//! phone-like scenes, `tests/support/scenes.rs`.

// Tests fail loudly: unwrap and expect are how they say so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/synth.rs"]
mod synth;

#[path = "../support/scenes.rs"]
mod scenes;

#[path = "../support/glyphs.rs"]
mod glyphs;

#[path = "../support/cards.rs"]
mod cards;

#[path = "../support/containers.rs"]
mod containers;

#[path = "../support/samples.rs"]
mod samples;

mod batch;
mod cli;
mod common;
mod containers_checks;
mod deploy;
mod document_reasons;
mod eligibility;
mod face_reasons;
mod file_reasons;
mod fix;
mod idcard_reading;
mod idcard_reasons;
mod localisation;
mod one_road;
mod photo_reasons;
mod review;
mod review_browser;
mod rulebook;
mod server;
mod set_reasons;
