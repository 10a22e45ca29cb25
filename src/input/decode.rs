//! Bounded decoding: pixels are decoded only after the header has passed
//! the pixel limit, with an allocation cap as a second guard, and EXIF
//! orientation is applied so that every geometric check sees the image
//! upright. Big photos of paper are decoded at a reduced scale (JPEG DCT
//! scaling, 1/2 to 1/8) since their checks need far fewer pixels.

use super::jpeg::JpegInfo;
use super::xmp::{read_xmp, XmpInfo};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// What the metadata says, as far as the checks care: EXIF's IFD0 and the
/// XMP packet's software. Nothing personal is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExifInfo {
    /// EXIF Orientation, 1-8.
    pub orientation: Option<u16>,
    pub software: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub xmp: XmpInfo,
}

impl ExifInfo {
    /// Every piece of software the metadata names, with where (the
    /// measurement's name): EXIF Software first, then XMP.
    pub fn software_named(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(s) = &self.software {
            out.push(("exif_software", s.as_str()));
        }
        out.extend(self.xmp.named());
        out
    }
}

/// An upright RGB image and where it came from.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub rgb: RgbImage,
    /// Colour components in the file (1 means stored as grayscale).
    pub components: u8,
    pub exif: ExifInfo,
    /// Upright size of the image in the file, before any reduced-scale decode.
    pub original: (u32, u32),
}

impl Decoded {
    /// An image that did not come from a JPEG file (a PDF page's raw pixels).
    pub fn from_rgb(rgb: RgbImage, components: u8) -> Decoded {
        let original = rgb.dimensions();
        Decoded {
            rgb,
            components,
            exif: ExifInfo::default(),
            original,
        }
    }

    /// Turns the image clockwise by `degrees` (0, 90, 180, 270), as a PDF
    /// page's /Rotate asks.
    pub fn rotate(&mut self, degrees: u32) {
        self.rgb = turn(std::mem::take(&mut self.rgb), degrees);
        if degrees % 180 == 90 {
            self.original = (self.original.1, self.original.0);
        }
    }
}

/// `rgb` turned clockwise by `degrees` (0, 90, 180, 270).
pub fn turn(rgb: RgbImage, degrees: u32) -> RgbImage {
    match degrees % 360 {
        90 => image::imageops::rotate90(&rgb),
        180 => image::imageops::rotate180(&rgb),
        270 => image::imageops::rotate270(&rgb),
        _ => rgb,
    }
}

/// Decodes a JPEG whose structure `info` has been walked. The bytes after
/// the end marker are not given to the decoder. With `analysis_long_side`,
/// an image whose long side is over twice that is decoded at the smallest
/// DCT scale that keeps the long side at or above it.
pub fn decode_jpeg(
    bytes: &[u8],
    info: &JpegInfo,
    max_pixels: u64,
    analysis_long_side: Option<u32>,
) -> Result<Decoded, String> {
    let data = &bytes[..info.end.min(bytes.len())];
    let long = info.width.max(info.height);
    let mut img = match analysis_long_side {
        Some(target) if target > 0 && long > target.saturating_mul(2) => decode_scaled(data, info, target)?,
        _ => decode_full(data, max_pixels)?,
    };
    let mut exif = read_exif(data);
    exif.xmp = read_xmp(data);
    let mut original = (info.width, info.height);
    if let Some(o) = exif.orientation.and_then(|o| u8::try_from(o).ok()) {
        if let Some(orientation) = image::metadata::Orientation::from_exif(o) {
            img.apply_orientation(orientation);
            if o >= 5 {
                original = (original.1, original.0);
            }
        }
    }
    Ok(Decoded {
        rgb: img.into_rgb8(),
        components: info.components,
        exif,
        original,
    })
}

fn decode_full(data: &[u8], max_pixels: u64) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::with_format(Cursor::new(data), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    // Room for the decoded image in RGB plus the decoder's own planes.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
}

/// A reduced-scale decode with jpeg-decoder, whose IDCT can produce 1/2,
/// 1/4 or 1/8 of the size directly: a 12 MP photo costs a fraction of a
/// full decode.
fn decode_scaled(data: &[u8], info: &JpegInfo, target: u32) -> Result<DynamicImage, String> {
    let mut dec = jpeg_decoder::Decoder::new(Cursor::new(data));
    dec.read_info().map_err(|e| e.to_string())?;
    let long = f64::from(info.width.max(info.height));
    let f = f64::from(target) / long;
    let want = |side: u32| (f64::from(side) * f).ceil().clamp(1.0, f64::from(u16::MAX)) as u16;
    let (w, h) = dec
        .scale(want(info.width), want(info.height))
        .map_err(|e| e.to_string())?;
    let pixels = dec.decode().map_err(|e| e.to_string())?;
    let meta = dec.info().ok_or("no image information")?;
    let (w, h) = (u32::from(w), u32::from(h));
    let bad = || "decoded data does not match the image size".to_string();
    match meta.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(w, h, pixels)
            .map(DynamicImage::ImageRgb8)
            .ok_or_else(bad),
        jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(w, h, pixels)
            .map(DynamicImage::ImageLuma8)
            .ok_or_else(bad),
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u32::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| ((255 - u32::from(c)) * k / 255) as u8)
                })
                .collect();
            RgbImage::from_raw(w, h, rgb)
                .map(DynamicImage::ImageRgb8)
                .ok_or_else(bad)
        }
        jpeg_decoder::PixelFormat::L16 => Err("16-bit JPEG is not supported".to_string()),
    }
}

/// Reads the EXIF fields the checks use, leniently: when a later part of
/// the block is broken (a sub-IFD cut short, a bad offset), every field
/// that parsed is kept, so IFD0's Software still counts. A missing or
/// unreadable block is simply no information.
pub fn read_exif(data: &[u8]) -> ExifInfo {
    let read = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(data))
        .or_else(|e| e.distill_partial_result(|_| {}));
    let Ok(exif) = read else {
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
        xmp: XmpInfo::default(),
    }
}
