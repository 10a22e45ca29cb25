//! Periodic print structure in a photo. A photo of a printed photo carries the
//! print's halftone screen (or the moiré between that screen and the camera's
//! pixels): in the spectrum of a patch it stands as isolated peaks far above
//! everything else at the same frequency, where a camera photo's spectrum
//! falls off smoothly with frequency.

use image::GrayImage;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::sync::Arc;

/// Side of the analysed patch, in pixels.
pub const PATCH: usize = 128;

/// The strongest periodic component of a patch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periodicity {
    /// Its power over the median power at the same frequency.
    pub peak_ratio: f64,
    /// The same for the strongest component at least 30° away in direction.
    pub second_ratio: f64,
    /// Its period, in pixels.
    pub period: f64,
}

fn fft() -> Arc<dyn rustfft::Fft<f32>> {
    thread_local! {
        static FFT: Arc<dyn rustfft::Fft<f32>> = FftPlanner::new().plan_fft_forward(PATCH);
    }
    FFT.with(Arc::clone)
}

/// Measures the `PATCH` × `PATCH` patch of `luma` centred near (`cx`, `cy`)
/// (its corner on the 8-pixel JPEG grid); `None` when the image is smaller.
pub fn measure(luma: &GrayImage, cx: u32, cy: u32) -> Option<Periodicity> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    if w < PATCH || h < PATCH {
        return None;
    }
    let corner = |c: u32, n: usize| ((c as usize).saturating_sub(PATCH / 2).min(n - PATCH)) / 8 * 8;
    let (x0, y0) = (corner(cx, w), corner(cy, h));
    let raw = luma.as_raw();
    let mean = (0..PATCH)
        .map(|y| {
            raw[(y0 + y) * w + x0..][..PATCH]
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (PATCH * PATCH) as f64;
    // Hann window: the patch's edges would otherwise add lines of their own.
    let hann: Vec<f32> = (0..PATCH)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (PATCH - 1) as f64).cos()) as f32)
        .collect();
    let mut data: Vec<Complex<f32>> = Vec::with_capacity(PATCH * PATCH);
    for y in 0..PATCH {
        let row = &raw[(y0 + y) * w + x0..][..PATCH];
        data.extend(
            row.iter()
                .zip(&hann)
                .map(|(&v, &wx)| Complex::new((f64::from(v) - mean) as f32 * wx * hann[y], 0.0)),
        );
    }
    let fft = fft();
    for row in data.chunks_exact_mut(PATCH) {
        fft.process(row);
    }
    let mut column = vec![Complex::new(0.0f32, 0.0); PATCH];
    for x in 0..PATCH {
        for (y, c) in column.iter_mut().enumerate() {
            *c = data[y * PATCH + x];
        }
        fft.process(&mut column);
        for (y, c) in column.iter().enumerate() {
            data[y * PATCH + x] = *c;
        }
    }
    // Power by integer radius, over one half-plane (the other mirrors it).
    // Frequencies on the JPEG block grid (multiples of PATCH / 8 in either
    // direction) are left out: compression puts energy there.
    let half = PATCH as i32 / 2;
    let block = PATCH as i32 / 8;
    let on_grid = |f: i32| {
        let m = f.rem_euclid(block);
        m <= 1 || m >= block - 1
    };
    let mut rings: Vec<Vec<(f32, i32, i32)>> = vec![Vec::new(); half as usize];
    for v in 0..half {
        for u in -half + 1..half {
            if v == 0 && u <= 0 || on_grid(u) || on_grid(v) {
                continue;
            }
            let r = f64::from(u * u + v * v).sqrt().round() as usize;
            if r < PATCH / 16 || r >= half as usize {
                continue;
            }
            let c = data[(v.rem_euclid(PATCH as i32) as usize) * PATCH + u.rem_euclid(PATCH as i32) as usize];
            rings[r].push((c.norm_sqr(), u, v));
        }
    }
    // Each bin against the median of its ring; a screen is a grid, so it
    // shows in two directions at least, where a striped texture (wood grain,
    // a fabric) shows in one.
    // Bins under 4 × their ring's median cannot be the reported peaks of a
    // screen, and are skipped before the angle is worked out.
    let mut peaks: Vec<(f64, f64, f64)> = Vec::new();
    for ring in rings.iter_mut().filter(|r| r.len() >= 8) {
        let mid = ring.len() / 2;
        let median = f64::from(ring.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0)).1 .0).max(1e-6);
        for &(p, u, v) in ring.iter().filter(|b| f64::from(b.0) >= 4.0 * median) {
            let angle = f64::from(v).atan2(f64::from(u)).to_degrees().rem_euclid(180.0);
            peaks.push((
                f64::from(p) / median,
                angle,
                PATCH as f64 / f64::from(u * u + v * v).sqrt(),
            ));
        }
    }
    let strongest = |list: &mut dyn Iterator<Item = (f64, f64, f64)>| list.max_by(|a, b| a.0.total_cmp(&b.0));
    let Some(first) = strongest(&mut peaks.iter().copied()) else {
        return Some(Periodicity {
            peak_ratio: 0.0,
            second_ratio: 0.0,
            period: 0.0,
        });
    };
    let apart = |a: f64| {
        let d = (a - first.1).rem_euclid(180.0);
        d.min(180.0 - d) >= 30.0
    };
    let second = strongest(&mut peaks.iter().copied().filter(|p| apart(p.1))).map_or(0.0, |p| p.0);
    let best = Periodicity {
        peak_ratio: first.0,
        second_ratio: second,
        period: first.2,
    };
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dot_grid_has_a_two_way_screen_and_smooth_noise_has_none() {
        // Dots every 4 px on a 45° grid, and smoothed random noise.
        let dots = GrayImage::from_fn(160, 160, |x, y| {
            let (u, v) = ((x + y) as f32 / 5.66, (x as f32 - y as f32) / 5.66);
            let d = (u - u.round()).hypot(v - v.round());
            image::Luma([if d < 0.3 { 30 } else { 220 }])
        });
        let mut state = 7u32;
        let noise = GrayImage::from_fn(160, 160, |_, _| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            image::Luma([64 + (state >> 25) as u8])
        });
        let smooth = image::imageops::blur(&noise, 1.0);
        let screen = measure(&dots, 80, 80).map(|m| m.second_ratio);
        let texture = measure(&smooth, 80, 80).map(|m| m.second_ratio);
        assert!(screen.is_some_and(|r| r > 100.0), "{screen:?}");
        assert!(texture.is_some_and(|r| r < 25.0), "{texture:?}");
        assert!(measure(&GrayImage::new(100, 300), 50, 150).is_none());
    }
}
