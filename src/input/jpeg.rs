//! A JPEG marker walker: reads the frame header (dimensions, components,
//! coding) and follows every segment and scan to the end marker, without
//! decoding a pixel.
//!
//! Decoders are lenient: a file cut short is decoded with the missing part
//! filled in grey. The walker is strict on purpose, so such a file is
//! `file.corrupt`, and it measures what lies after the end marker (padding
//! that ID-photo makers add to reach a size).

/// What the walk found in a structurally complete JPEG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegInfo {
    pub width: u32,
    pub height: u32,
    /// 1 = grayscale, 3 = YCbCr, 4 = CMYK/YCCK.
    pub components: u8,
    pub progressive: bool,
    /// Number of start-of-scan segments.
    pub scans: u32,
    /// Offset just past the end-of-image marker.
    pub end: usize,
    /// Bytes after the end-of-image marker.
    pub trailing_bytes: usize,
    /// Whether those trailing bytes are all zero (size padding).
    pub trailing_zeros: bool,
}

/// Why a JPEG is not structurally complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JpegError {
    /// The data ends before the end-of-image marker.
    Truncated(&'static str),
    /// A segment or header that cannot be right.
    Malformed(&'static str),
}

impl JpegError {
    /// A short English description for the report's detail.
    pub fn describe(&self) -> &'static str {
        match self {
            JpegError::Truncated(s) | JpegError::Malformed(s) => s,
        }
    }
}

/// Walks the JPEG in `data` (which starts with SOI).
pub fn walk(data: &[u8]) -> Result<JpegInfo, JpegError> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err(JpegError::Malformed("no start-of-image marker"));
    }
    let mut pos = 2;
    let mut frame: Option<(u32, u32, u8, bool)> = None;
    let mut scans = 0u32;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if pos >= data.len() {
            return Err(JpegError::Truncated("data ends before the end-of-image marker"));
        }
        if data[pos] != 0xFF {
            return Err(JpegError::Malformed("expected a marker"));
        }
        while pos < data.len() && data[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = data.get(pos) else {
            return Err(JpegError::Truncated("data ends inside a marker"));
        };
        pos += 1;
        match marker {
            0xD9 => {
                let Some((width, height, components, progressive)) = frame else {
                    return Err(JpegError::Malformed("end of image before any frame header"));
                };
                if scans == 0 {
                    return Err(JpegError::Malformed("no image scan"));
                }
                let trailing = &data[pos..];
                return Ok(JpegInfo {
                    width,
                    height,
                    components,
                    progressive,
                    scans,
                    end: pos,
                    trailing_bytes: trailing.len(),
                    trailing_zeros: trailing.iter().all(|&b| b == 0),
                });
            }
            0xD8 => return Err(JpegError::Malformed("a second start-of-image marker")),
            0x01 | 0xD0..=0xD7 => continue,
            0x00 => return Err(JpegError::Malformed("stuffed zero outside a scan")),
            _ => {}
        }
        let Some(len_bytes) = data.get(pos..pos + 2) else {
            return Err(JpegError::Truncated("data ends inside a segment header"));
        };
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(JpegError::Malformed("segment length below 2"));
        }
        let Some(segment) = data.get(pos + 2..pos + len) else {
            return Err(JpegError::Truncated("data ends inside a segment"));
        };
        pos += len;
        match marker {
            // SOF0-3, 5-7, 9-11, 13-15 (0xC4 DHT, 0xC8 JPG, 0xCC DAC are not frames).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(JpegError::Malformed("more than one frame header"));
                }
                if segment.len() < 6 {
                    return Err(JpegError::Malformed("frame header too short"));
                }
                let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                let components = segment[5];
                if width == 0 || height == 0 {
                    return Err(JpegError::Malformed("zero width or height in the frame header"));
                }
                if !matches!(components, 1 | 3 | 4) || segment.len() < 6 + 3 * usize::from(components) {
                    return Err(JpegError::Malformed("bad component count in the frame header"));
                }
                let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                frame = Some((width, height, components, progressive));
            }
            0xDA => {
                if frame.is_none() {
                    return Err(JpegError::Malformed("image scan before the frame header"));
                }
                scans += 1;
                pos = skip_entropy_coded(data, pos)?;
            }
            _ => {}
        }
    }
}

/// Returns the offset of the first real marker after entropy-coded data:
/// 0xFF followed by a byte that is neither a stuffed zero nor a restart marker.
fn skip_entropy_coded(data: &[u8], mut pos: usize) -> Result<usize, JpegError> {
    loop {
        let Some(off) = data[pos..].iter().position(|&b| b == 0xFF) else {
            return Err(JpegError::Truncated("data ends inside an image scan"));
        };
        pos += off;
        // Skip fill bytes.
        let mut next = pos + 1;
        while next < data.len() && data[next] == 0xFF {
            next += 1;
        }
        match data.get(next) {
            None => return Err(JpegError::Truncated("data ends inside an image scan")),
            Some(0x00) | Some(0xD0..=0xD7) => pos = next + 1,
            Some(_) => return Ok(next - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(16, 8, image::Rgb([200, 10, 10]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn a_complete_jpeg_is_walked_to_its_end() {
        let j = tiny_jpeg();
        let info = walk(&j).unwrap();
        assert_eq!((info.width, info.height, info.components), (16, 8, 3));
        assert_eq!(info.end, j.len());
        assert_eq!(info.trailing_bytes, 0);
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        let j = tiny_jpeg();
        for cut in 0..j.len() {
            assert!(walk(&j[..cut]).is_err(), "cut at {cut} was accepted");
        }
    }

    #[test]
    fn zero_padding_after_the_end_marker_is_measured() {
        let mut j = tiny_jpeg();
        j.extend(std::iter::repeat_n(0u8, 500));
        let info = walk(&j).unwrap();
        assert_eq!(info.trailing_bytes, 500);
        assert!(info.trailing_zeros);
    }
}
