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
    /// The luminance quantisation table (table 0) in zigzag order, as the
    /// encoder wrote it.
    pub luma_quant: Option<[u16; 64]>,
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
    let mut luma_quant = None;
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
                    luma_quant,
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
            0xDB => {
                // One or more tables: Pq (precision) and Tq (id), then 64
                // values of 8 or 16 bits. A short table is left unread; the
                // decoder judges it.
                let mut rest = segment;
                while let Some((&pq_tq, tail)) = rest.split_first() {
                    let wide = pq_tq >> 4 == 1;
                    let size = if wide { 128 } else { 64 };
                    let Some(values) = tail.get(..size) else { break };
                    if pq_tq & 0x0F == 0 {
                        let mut t = [0u16; 64];
                        for (k, v) in t.iter_mut().enumerate() {
                            *v = if wide {
                                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                            } else {
                                u16::from(values[k])
                            };
                        }
                        luma_quant = Some(t);
                    }
                    rest = &tail[size..];
                }
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

    #[test]
    fn the_ijg_quality_of_a_libjpeg_style_encoder_is_read_back() {
        for q in [30u8, 50, 75, 90, 95] {
            let img = image::RgbImage::from_pixel(16, 16, image::Rgb([120, 130, 140]));
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
                .encode_image(&img)
                .unwrap();
            let info = walk(&out).unwrap();
            let est = ijg_quality(&info.luma_quant.unwrap());
            assert_eq!((est.quality, est.exact), (q, true), "{q}: {est:?}");
        }
        // A table that is no step of the ladder is only near one.
        let mut odd = [0u16; 64];
        for (k, v) in odd.iter_mut().enumerate() {
            *v = 2 + (k as u16 % 7);
        }
        let est = ijg_quality(&odd);
        assert!(!est.exact && est.mean_diff > 0.0, "{est:?}");
    }

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

/// The JPEG standard's example luminance table (ITU T.81 Annex K.1), in
/// natural order: the IJG libjpeg scales it for every quality setting.
const ANNEX_K_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
    87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
];

/// Natural-order index of each zigzag position.
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

/// How a luminance table compares with the IJG quality ladder (libjpeg's
/// `jpeg_quality_scaling` of the Annex K table, baseline-clamped to 1-255):
/// the nearest quality and whether the table is exactly that one. Most
/// software that links libjpeg writes one of these; phone cameras and
/// Photoshop write their own tables, which are then only "near" a quality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityEstimate {
    pub quality: u8,
    pub exact: bool,
    /// Mean absolute difference from that quality's table.
    pub mean_diff: f64,
}

pub fn ijg_quality(table_zigzag: &[u16; 64]) -> QualityEstimate {
    let mut best = QualityEstimate {
        quality: 0,
        exact: false,
        mean_diff: f64::INFINITY,
    };
    for q in 1..=100u32 {
        let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
        let diff: u32 = (0..64)
            .map(|k| {
                let std = ((u32::from(ANNEX_K_LUMA[ZIGZAG[k]]) * scale + 50) / 100).clamp(1, 255);
                std.abs_diff(u32::from(table_zigzag[k]))
            })
            .sum();
        let mean = f64::from(diff) / 64.0;
        if mean < best.mean_diff {
            best = QualityEstimate {
                quality: q as u8,
                exact: diff == 0,
                mean_diff: mean,
            };
        }
    }
    best
}
