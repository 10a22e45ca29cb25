//! Scanner-app PDFs to page images, one page at a time. Each page's largest
//! image XObject is taken: JPEG streams (DCTDecode) as their bytes, so they
//! go through the same checks as an uploaded JPEG, and 8-bit Flate images
//! as raw pixels. Parsing is lopdf's with a decompression cap; a parser
//! panic on a hostile file is caught and reported as a corrupt file.

use crate::rules::Limits;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};
use std::io::Read;

/// Cap on what lopdf may inflate while loading (object and xref streams).
const MAX_DECOMPRESSED: usize = 64 << 20;

/// Why a PDF cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfProblem {
    /// It needs a password to open.
    Encrypted,
    /// More pages than the limit.
    TooManyPages(usize),
    /// It cannot be parsed.
    Malformed(String),
}

/// One page's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageImage<'a> {
    /// The bytes of an embedded JPEG, as stored in the PDF.
    Jpeg(&'a [u8]),
    /// Decoded 8-bit pixels: 1 (gray) or 3 (RGB) components per pixel.
    Raw {
        width: u32,
        height: u32,
        components: u8,
        pixels: Vec<u8>,
    },
    /// An image in a form the checks do not read (CCITT, JBIG2, JPEG 2000 …).
    Unsupported { filter: String },
}

/// A page: its number from 1, its /Rotate, and its largest image if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub number: u32,
    pub rotate: u32,
    pub image: Option<PageImage<'a>>,
}

/// lopdf is a parser of untrusted input; a panic in it must not take the
/// worker down.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, PdfProblem> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| PdfProblem::Malformed("the PDF parser gave up".into()))
}

/// Opens a PDF held in memory and calls `each` with every page in order, so
/// that one page's image at a time is in memory. Returns the page count.
pub fn read_pdf(bytes: &[u8], limits: &Limits, mut each: impl FnMut(Page<'_>)) -> Result<usize, PdfProblem> {
    let doc = guard(|| load(bytes))??;
    let pages = guard(|| doc.get_pages())?;
    if pages.len() > limits.max_pdf_pages as usize {
        return Err(PdfProblem::TooManyPages(pages.len()));
    }
    if pages.is_empty() {
        return Err(PdfProblem::Malformed("the PDF has no pages".into()));
    }
    for (&number, &id) in &pages {
        let (rotate, image) = guard(|| (page_rotation(&doc, id), largest_image(&doc, id, limits.max_pixels)))?;
        each(Page { number, rotate, image });
    }
    Ok(pages.len())
}

fn load(bytes: &[u8]) -> Result<Document, PdfProblem> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_DECOMPRESSED),
        ..LoadOptions::default()
    };
    let doc = match Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => return Err(PdfProblem::Encrypted),
        Err(_) if has_encrypt_entry(bytes) => return Err(PdfProblem::Encrypted),
        Err(e) => return Err(PdfProblem::Malformed(e.to_string())),
    };
    if doc.is_encrypted() {
        return Err(PdfProblem::Encrypted);
    }
    Ok(doc)
}

/// Whether the trailer names an /Encrypt dictionary; used when loading fails
/// so that a password-protected file is called that, not corrupt.
fn has_encrypt_entry(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(8).any(|w| w == b"/Encrypt")
}

/// /Rotate, inherited through the page tree, normalised to 0/90/180/270.
fn page_rotation(doc: &Document, page: ObjectId) -> u32 {
    let mut node = doc.get_dictionary(page).ok();
    for _ in 0..32 {
        let Some(dict) = node else { break };
        if let Ok(r) = dict.get(b"Rotate").and_then(Object::as_i64) {
            return (r.rem_euclid(360) / 90 * 90) as u32;
        }
        node = dict
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok();
    }
    0
}

/// The page's image XObject with the most pixels, read into a checkable form.
fn largest_image(doc: &Document, page: ObjectId, max_pixels: u64) -> Option<PageImage<'_>> {
    let images = doc.get_page_images(page).ok()?;
    let best = images
        .iter()
        .filter(|i| i.width > 0 && i.height > 0)
        .max_by_key(|i| i.width.saturating_mul(i.height))?;
    let filters = best.filters.clone().unwrap_or_default();
    let (Ok(width), Ok(height)) = (u32::try_from(best.width), u32::try_from(best.height)) else {
        return Some(PageImage::Unsupported {
            filter: "invalid size".into(),
        });
    };
    match filters.as_slice() {
        [f] if f == "DCTDecode" => Some(PageImage::Jpeg(best.content)),
        [] => raw_image(best.origin_dict, best.content, width, height, max_pixels, false),
        [f] if f == "FlateDecode" => raw_image(best.origin_dict, best.content, width, height, max_pixels, true),
        other => Some(PageImage::Unsupported {
            filter: other.join("+"),
        }),
    }
}

/// An 8-bit gray or RGB image, Flate-compressed or not, inflated no further
/// than its declared size (a Flate bomb stops at width × height × components).
fn raw_image(
    dict: &Dictionary,
    content: &[u8],
    width: u32,
    height: u32,
    max_pixels: u64,
    flate: bool,
) -> Option<PageImage<'static>> {
    let unsupported = |why: &str| {
        Some(PageImage::Unsupported {
            filter: why.to_string(),
        })
    };
    if u64::from(width) * u64::from(height) > max_pixels {
        return unsupported("image larger than the pixel limit");
    }
    if dict.get(b"BitsPerComponent").and_then(Object::as_i64).ok() != Some(8) {
        return unsupported("not 8 bits per component");
    }
    if dict.has(b"DecodeParms") {
        return unsupported("FlateDecode with predictor");
    }
    let components: u8 = match dict.get(b"ColorSpace").and_then(Object::as_name) {
        Ok(b"DeviceRGB") => 3,
        Ok(b"DeviceGray") => 1,
        _ => return unsupported("colour space other than DeviceRGB or DeviceGray"),
    };
    let need = width as usize * height as usize * components as usize;
    let pixels = if flate {
        let mut out = Vec::with_capacity(need.min(64 << 20));
        let reader = flate2::read::ZlibDecoder::new(content);
        if reader.take(need as u64).read_to_end(&mut out).is_err() {
            return unsupported("FlateDecode data that does not inflate");
        }
        out
    } else {
        content.get(..need)?.to_vec()
    };
    if pixels.len() < need {
        return unsupported("image data shorter than its size");
    }
    Some(PageImage::Raw {
        width,
        height,
        components,
        pixels,
    })
}
