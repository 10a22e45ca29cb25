//! HEIC/HEIF decoding for `prescreen fix` (the `heic` feature): the primary
//! image through libheif, its rotation and mirroring applied, refused
//! before any pixel is decoded when it is over the pixel limit.

use image::RgbImage;
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

/// Why a HEIC file gives no pixels.
#[derive(Debug)]
pub enum HeicError {
    TooLarge { width: u32, height: u32 },
    Decode(String),
}

/// The upright RGB image of a HEIC file of at most `max_pixels`.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, HeicError> {
    let err = |e: libheif_rs::HeifError| HeicError::Decode(e.to_string());
    let ctx = HeifContext::read_from_bytes(bytes).map_err(err)?;
    let handle = ctx.primary_image_handle().map_err(err)?;
    let (width, height) = (handle.width(), handle.height());
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(HeicError::TooLarge { width, height });
    }
    let lib = LibHeif::new();
    let img = lib
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(err)?;
    let planes = img.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| HeicError::Decode("no interleaved RGB plane".into()))?;
    let (w, h, stride) = (plane.width, plane.height, plane.stride);
    let row = w as usize * 3;
    let mut out = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * stride;
        let line = plane
            .data
            .get(start..start + row)
            .ok_or_else(|| HeicError::Decode("short plane".into()))?;
        out.extend_from_slice(line);
    }
    RgbImage::from_raw(w, h, out).ok_or_else(|| HeicError::Decode("plane does not match its size".into()))
}
