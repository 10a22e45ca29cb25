//! sRGB to CIELAB (D65), with lookup tables so that a band of a photo
//! converts in well under a millisecond, and the names of colours.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A CIELAB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lab {
    pub l: f32,
    pub a: f32,
    pub b: f32,
}

impl Lab {
    /// Chroma C*ab. (libm's `hypot` guards against overflow that a* and b*
    /// never reach, at several times the cost.)
    pub fn chroma(self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }

    /// Hue angle h_ab in degrees, 0-360.
    pub fn hue(self) -> f32 {
        self.b.atan2(self.a).to_degrees().rem_euclid(360.0)
    }
}

const F_STEPS: usize = 4096;

struct Tables {
    linear: [f32; 256],
    f: Vec<f32>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut linear = [0f32; 256];
        for (i, v) in linear.iter_mut().enumerate() {
            let c = i as f64 / 255.0;
            let l = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
            *v = l as f32;
        }
        let f = (0..=F_STEPS)
            .map(|i| {
                let t = i as f64 / F_STEPS as f64;
                let v = if t > 216.0 / 24389.0 {
                    t.cbrt()
                } else {
                    (24389.0 / 27.0 * t + 16.0) / 116.0
                };
                v as f32
            })
            .collect();
        Tables { linear, f }
    })
}

/// CIELAB of an sRGB pixel.
pub fn lab([r, g, b]: [u8; 3]) -> Lab {
    let t = tables();
    let (r, g, b) = (t.linear[r as usize], t.linear[g as usize], t.linear[b as usize]);
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |v: f32| t.f[((v.clamp(0.0, 1.0) * F_STEPS as f32) + 0.5) as usize];
    let (fx, fy, fz) = (f(x), f(y), f(z));
    Lab {
        l: 116.0 * fy - 16.0,
        a: 500.0 * (fx - fy),
        b: 200.0 * (fy - fz),
    }
}

/// The colour names a report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColourName {
    White,
    Blue,
    Red,
    Grey,
    Other,
}

impl ColourName {
    pub fn as_str(self) -> &'static str {
        match self {
            ColourName::White => "white",
            ColourName::Blue => "blue",
            ColourName::Red => "red",
            ColourName::Grey => "grey",
            ColourName::Other => "other",
        }
    }
}

/// Names a non-white colour by chroma and hue. Pale blues reach chroma 6-9,
/// so the grey limit is low; red covers pinks and dark reds (hue 330-60°),
/// blue covers cyan to blue-violet (180-300°).
pub fn name_colour(c: Lab) -> ColourName {
    if c.chroma() < 5.0 {
        return ColourName::Grey;
    }
    let h = c.hue();
    if !(60.0..330.0).contains(&h) {
        ColourName::Red
    } else if (180.0..300.0).contains(&h) {
        ColourName::Blue
    } else {
        ColourName::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_matches_reference_values() {
        // Reference values from the CIE formulas in double precision.
        let w = lab([255, 255, 255]);
        assert!((w.l - 100.0).abs() < 0.2 && w.a.abs() < 0.3 && w.b.abs() < 0.3, "{w:?}");
        let blue = lab([67, 142, 219]);
        assert!((blue.l - 57.7).abs() < 0.5 && (blue.b + 46.1).abs() < 0.8, "{blue:?}");
        let grey = lab([211, 211, 211]);
        assert!((grey.l - 84.6).abs() < 0.3, "{grey:?}");
    }

    #[test]
    fn colours_are_named_by_hue() {
        assert_eq!(name_colour(lab([67, 142, 219])), ColourName::Blue);
        assert_eq!(name_colour(lab([0, 191, 243])), ColourName::Blue);
        assert_eq!(name_colour(lab([220, 235, 250])), ColourName::Blue);
        assert_eq!(name_colour(lab([219, 2, 2])), ColourName::Red);
        assert_eq!(name_colour(lab([200, 200, 200])), ColourName::Grey);
        assert_eq!(name_colour(lab([40, 160, 60])), ColourName::Other);
    }
}
