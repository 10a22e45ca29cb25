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
    /// Decoded 8-bit pixels: 1 (gray) or 3 (RGB) components per pixel,
    /// `width` × `height` of them; `original` is the image's size in the
    /// PDF (larger when it was averaged down while inflating).
    Raw {
        width: u32,
        height: u32,
        components: u8,
        pixels: Vec<u8>,
        original: (u32, u32),
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
///
/// With `analysis_long_side`, a raw image whose long side is over twice that
/// is averaged down in k × k blocks as it is inflated (the largest k that
/// keeps the long side at or above it), so a 100 MP page never exists in
/// memory whole; like DCT scaling for a JPEG.
pub fn read_pdf(
    bytes: &[u8],
    limits: &Limits,
    analysis_long_side: Option<u32>,
    mut each: impl FnMut(Page<'_>),
) -> Result<usize, PdfProblem> {
    let doc = guard(|| load(bytes))??;
    let pages = guard(|| doc.get_pages())?;
    if pages.len() > limits.max_pdf_pages as usize {
        return Err(PdfProblem::TooManyPages(pages.len()));
    }
    if pages.is_empty() {
        return Err(PdfProblem::Malformed("the PDF has no pages".into()));
    }
    for (&number, &id) in &pages {
        let (rotate, image) = guard(|| {
            (
                page_rotation(&doc, id),
                largest_image(&doc, id, limits.max_pixels, analysis_long_side),
            )
        })?;
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
fn largest_image(
    doc: &Document,
    page: ObjectId,
    max_pixels: u64,
    analysis_long_side: Option<u32>,
) -> Option<PageImage<'_>> {
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
    let long = width.max(height);
    let k = match analysis_long_side {
        Some(t) if t > 0 && long > t.saturating_mul(2) => long / t,
        _ => 1,
    };
    let raw = |flate| raw_image(best.origin_dict, best.content, (width, height), max_pixels, k, flate);
    match filters.as_slice() {
        [f] if f == "DCTDecode" => Some(PageImage::Jpeg(best.content)),
        [] => raw(false),
        [f] if f == "FlateDecode" => raw(true),
        other => Some(PageImage::Unsupported {
            filter: other.join("+"),
        }),
    }
}

/// An 8-bit gray or RGB image, Flate-compressed or not, inflated no further
/// than its declared size (a Flate bomb stops at width × height × components)
/// and averaged down by `k` in both directions as it streams.
fn raw_image(
    dict: &Dictionary,
    content: &[u8],
    (width, height): (u32, u32),
    max_pixels: u64,
    k: u32,
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
    let read = if flate {
        reduce(flate2::read::ZlibDecoder::new(content), width, height, components, k)
    } else {
        reduce(content, width, height, components, k)
    };
    match read {
        Ok((w, h, pixels)) => Some(PageImage::Raw {
            width: w,
            height: h,
            components,
            pixels,
            original: (width, height),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => unsupported("image data shorter than its size"),
        Err(_) => unsupported("FlateDecode data that does not inflate"),
    }
}

/// Reads `width` × `height` pixels of `components` bytes row by row and
/// averages each `k` × `k` block into one pixel (the last partial row and
/// column of blocks are dropped). Holds one row and one row of sums.
fn reduce(mut src: impl Read, width: u32, height: u32, components: u8, k: u32) -> std::io::Result<(u32, u32, Vec<u8>)> {
    let c = usize::from(components);
    let (w, h) = (width as usize, height as usize);
    let mut row = vec![0u8; w * c];
    if k <= 1 {
        let mut pixels = vec![0u8; w * h * c];
        src.read_exact(&mut pixels)?;
        return Ok((width, height, pixels));
    }
    let k = k as usize;
    let (ow, oh) = ((w / k).max(1), (h / k).max(1));
    let mut sums = vec![0u32; ow * c];
    let mut pixels = Vec::with_capacity(ow * oh * c);
    let area = (k.min(w) * k.min(h)) as u32;
    for y in 0..h {
        src.read_exact(&mut row)?;
        if y / k >= oh {
            continue;
        }
        for (x, px) in row.chunks_exact(c).enumerate().take(ow * k) {
            let cell = &mut sums[(x / k) * c..(x / k + 1) * c];
            for (s, &v) in cell.iter_mut().zip(px) {
                *s += u32::from(v);
            }
        }
        if y % k == k - 1 || y == h - 1 {
            pixels.extend(sums.iter().map(|&s| (s / area) as u8));
            sums.fill(0);
        }
    }
    pixels.truncate(ow * oh * c);
    Ok((ow as u32, oh as u32, pixels))
}

#[cfg(test)]
mod tests {
    use super::reduce;

    #[test]
    fn reduce_averages_blocks_and_drops_the_partial_ones() {
        // 5 × 4 gray, k = 2: two whole blocks across, two down.
        let px: Vec<u8> = (0..20).map(|i| i * 10).collect();
        let (w, h, out) = reduce(px.as_slice(), 5, 4, 1, 2).unwrap();
        assert_eq!((w, h), (2, 2));
        // Block (0,0): 0, 10, 50, 60 → 30.
        assert_eq!(out, vec![30, 50, 130, 150]);
        // k = 1 reads everything as it is.
        let (w, h, out) = reduce(px.as_slice(), 5, 4, 1, 1).unwrap();
        assert_eq!((w, h, out), (5, 4, px.clone()));
        // Short data is an end-of-file error, not a panic.
        assert!(reduce(&px[..7], 5, 4, 1, 2).is_err());
    }

    #[test]
    fn reduce_keeps_colour_channels_apart() {
        let px = [255u8, 0, 0, 0, 255, 0, 255, 0, 0, 0, 255, 0];
        let (w, h, out) = reduce(&px[..], 2, 2, 3, 2).unwrap();
        assert_eq!((w, h), (1, 1));
        assert_eq!(out, vec![127, 127, 0]);
    }
}
