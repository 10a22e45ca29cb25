//! One file through every check its slot needs: the file checks, then the
//! checks of its kind. Synchronous and CPU-bound, with no I/O and no logging
//! of content; the CLI, the server and batch all call [`check_file`].

use crate::checks::document::check_document_image;
use crate::checks::file::{check_file_basics, Prepared};
use crate::checks::photo::check_photo;
use crate::report::FileReport;
use crate::rules::{Kind, Rules, SlotDef};

/// Checks one file's bytes for `slot` (or only the file checks when the
/// slot is unknown). Messages are filled later, by `Report::localise`.
pub fn check_file(bytes: &[u8], name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    check_file_sized(bytes, bytes.len() as u64, name, slot, rules)
}

/// Like [`check_file`] for a file of `size` bytes of which only `bytes` were
/// read, because reading stopped at the size limit.
pub fn check_file_sized(bytes: &[u8], size: u64, name: &str, slot: Option<&SlotDef>, rules: &Rules) -> FileReport {
    let mut report = FileReport::new(name, slot.map(|s| s.id.get_ref().clone()));
    let kind = slot.map(|s| rules.kind(s.kind));
    match check_file_basics(bytes, size, kind, rules, &mut report) {
        Prepared::Image(decoded) => match slot.map(|s| s.kind) {
            Some(Kind::Portrait) => check_photo(&decoded, &rules.book.photo, &mut report),
            Some(k @ (Kind::HandwrittenForm | Kind::Certificate)) => {
                check_document_image(&decoded, rules.kind(k), &mut report)
            }
            Some(Kind::IdCard) | None => {}
        },
        Prepared::Pdf | Prepared::Done => {}
    }
    report
}
