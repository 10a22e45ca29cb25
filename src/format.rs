//! File type from content: magic numbers, never the extension or the
//! declared MIME type. The ground floor: every other module may use it, it
//! uses none of them.
//!
//! An upload is sniffed once, where its bytes come in (the CLI's reader,
//! the server's multipart reader, an archive's entries), and carries its
//! [`Format`] from there; [`SNIFF_HEAD`] bytes are enough to decide, so a
//! reader can pick the size cap before it has the whole file.

use serde::{Deserialize, Serialize};
use std::cell::Cell;

/// How many leading bytes decide the format (a PDF header may sit anywhere
/// in the first 1 024 bytes).
pub const SNIFF_HEAD: usize = 1024;

thread_local! {
    static SNIFFS: Cell<u64> = const { Cell::new(0) };
}

/// How many times [`sniff`] ran on this thread: lets a test prove that an
/// upload is sniffed exactly once on every path.
pub fn sniff_count() -> u64 {
    SNIFFS.with(Cell::get)
}

/// A file format recognised by its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Tiff,
    Heic,
    Pdf,
    Zip,
    Unknown,
}

impl Format {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Webp => "webp",
            Format::Tiff => "tiff",
            Format::Heic => "heic",
            Format::Pdf => "pdf",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }

    /// Whether the format is a raster image.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Format::Jpeg | Format::Png | Format::Gif | Format::Bmp | Format::Webp | Format::Tiff | Format::Heic
        )
    }
}

/// The format of `bytes`, from its first [`SNIFF_HEAD`] bytes.
pub fn sniff(bytes: &[u8]) -> Format {
    SNIFFS.with(|n| n.set(n.get() + 1));
    let b = &bytes[..bytes.len().min(SNIFF_HEAD)];
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Format::Gif
    } else if b.starts_with(b"BM") && b.len() >= 26 {
        Format::Bmp
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Format::Webp
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Format::Tiff
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" && is_heif_brand(&b[8..12]) {
        Format::Heic
    } else if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        // Before the PDF test: a zip whose first entry is a stored PDF has
        // `%PDF-` in its first kilobyte, but it is a zip (issue 15).
        Format::Zip
    } else if find_pdf_header(b) {
        Format::Pdf
    } else {
        Format::Unknown
    }
}

fn is_heif_brand(brand: &[u8]) -> bool {
    matches!(
        brand,
        b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif"
    )
}

/// PDF readers accept the header anywhere in the first 1 024 bytes.
fn find_pdf_header(head: &[u8]) -> bool {
    head.windows(5).any(|w| w == b"%PDF-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_the_type() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Format::Png);
        assert_eq!(sniff(b"%PDF-1.7\n"), Format::Pdf);
        assert_eq!(sniff(b"PK\x03\x04rest"), Format::Zip);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic...."), Format::Heic);
        assert_eq!(sniff(b"hello"), Format::Unknown);
        // A zip whose first entry is a stored PDF is a zip.
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\0\0a.pdf%PDF-1.4\n"), Format::Zip);
        assert_eq!(sniff(b""), Format::Unknown);
    }
}
