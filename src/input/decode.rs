//! Bounded decoding: pixels are decoded only after the header has passed
//! the pixel limit, with an allocation cap as a second guard, and EXIF
//! orientation is applied so that every geometric check sees the image
//! upright.

use super::jpeg::JpegInfo;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// What EXIF says, as far as the checks care. Nothing personal is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExifInfo {
    /// EXIF Orientation, 1-8.
    pub orientation: Option<u16>,
    pub software: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
}

/// An upright RGB image and where it came from.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub rgb: RgbImage,
    /// Colour components in the file (1 means stored as grayscale).
    pub components: u8,
    pub exif: ExifInfo,
}

/// Decodes a JPEG whose structure `info` has been walked. The bytes after
/// the end marker are not given to the decoder.
pub fn decode_jpeg(bytes: &[u8], info: &JpegInfo, max_pixels: u64) -> Result<Decoded, String> {
    let data = &bytes[..info.end.min(bytes.len())];
    let mut reader = ImageReader::with_format(Cursor::new(data), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    // Room for the decoded image in RGB plus the decoder's own planes.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
    reader.limits(limits);
    let mut img: DynamicImage = reader.decode().map_err(|e| e.to_string())?;
    let exif = read_exif(data);
    if let Some(o) = exif.orientation.and_then(|o| u8::try_from(o).ok()) {
        if let Some(orientation) = image::metadata::Orientation::from_exif(o) {
            img.apply_orientation(orientation);
        }
    }
    Ok(Decoded {
        rgb: img.into_rgb8(),
        components: info.components,
        exif,
    })
}

/// Reads the EXIF fields the checks use; a missing or broken EXIF block is
/// simply no information.
pub fn read_exif(data: &[u8]) -> ExifInfo {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(data)) else {
        return ExifInfo::default();
    };
    let text = |tag: exif::Tag| -> Option<String> {
        let f = exif.get_field(tag, exif::In::PRIMARY)?;
        match &f.value {
            exif::Value::Ascii(parts) => {
                let s: String = parts
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ");
                let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
                (!s.is_empty()).then_some(s)
            }
            // Some apps write UTF-8 into an UNDEFINED-typed field.
            exif::Value::Undefined(bytes, _) => {
                let s = String::from_utf8_lossy(bytes).trim_matches('\0').trim().to_string();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| (1..=8).contains(v));
    ExifInfo {
        orientation,
        software: text(exif::Tag::Software),
        make: text(exif::Tag::Make),
        model: text(exif::Tag::Model),
    }
}
