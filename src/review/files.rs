//! The image of one reported file, fetched from the archive it was read
//! from: a file of an application folder, an entry of an application zip,
//! a page of a PDF. Only paths inside the archive roots the reviewer named
//! are opened (after symlinks are resolved); nothing is unpacked to disk.
//! The image is decoded upright (EXIF orientation, a page's /Rotate) and
//! served as a small JPEG preview, so the browser never sees the original
//! bytes and the measurements' pixel coordinates fit it by scale alone.

use crate::format::{sniff, Format};
use crate::input::archive::read_archive;
use crate::input::decode::turn;
use crate::report::FileReport;
use crate::rules::Rules;
use crate::unpack::{pdf_pages, PageContent};
use image::RgbImage;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why an image is not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The name leaves the application, or the application lies outside
    /// every archive root.
    Outside,
    /// Nothing of that name.
    NotFound,
    /// It is there but cannot be shown (corrupt, not an image, too large).
    Unreadable(String),
}

/// A reported file name taken apart: the file inside the application, the
/// zip entry inside it, the PDF page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name<'a> {
    file: &'a str,
    entry: Option<&'a str>,
    page: Option<u32>,
}

fn parse_name(name: &str) -> Name<'_> {
    let (rest, page) = match name.rsplit_once("#page=") {
        Some((rest, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => (rest, n.parse().ok()),
        _ => (name, None),
    };
    match rest.split_once("!/") {
        Some((file, entry)) => Name {
            file,
            entry: Some(entry),
            page,
        },
        None => Name {
            file: rest,
            entry: None,
            page,
        },
    }
}

/// A relative path of plain components only: no `..`, no root, no drive,
/// no backslash (a Windows separator smuggled into a name).
fn is_plain_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.contains('\\')
        && !p.contains('\0')
        && Path::new(p).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Whether `path` (canonical) lies inside one of `roots` (canonical).
pub fn inside_roots(path: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|r| path.starts_with(r))
}

/// The file on disk that holds `name` of the application at `app_path`,
/// checked to lie inside `roots` (canonical paths).
fn locate(roots: &[PathBuf], app_path: &Path, file: &str) -> Result<PathBuf, Refused> {
    let app = app_path.canonicalize().map_err(|_| Refused::NotFound)?;
    if !inside_roots(&app, roots) {
        return Err(Refused::Outside);
    }
    if app.is_dir() {
        if !is_plain_relative(file) {
            return Err(Refused::Outside);
        }
        let full = app.join(file).canonicalize().map_err(|_| Refused::NotFound)?;
        // A symlink inside the folder may point anywhere: judge where it lands.
        if !full.starts_with(&app) || !inside_roots(&full, roots) {
            return Err(Refused::Outside);
        }
        Ok(full)
    } else {
        // A zip application: its own name is the only file.
        let own = app.file_name().map(|n| n.to_string_lossy().into_owned());
        if own.as_deref() != Some(file) {
            return Err(Refused::NotFound);
        }
        Ok(app)
    }
}

/// Reads at most `cap` bytes; a longer file is refused.
fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, Refused> {
    let f = File::open(path).map_err(|_| Refused::NotFound)?;
    let mut bytes = Vec::new();
    f.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Refused::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > cap {
        return Err(Refused::Unreadable("larger than the upload limit".into()));
    }
    Ok(bytes)
}

/// The upright pixels of `name` in the application at `app_path`, decoded
/// near `long_side` where the format allows.
pub fn load(
    roots: &[PathBuf],
    app_path: &Path,
    name: &str,
    rules: &Rules,
    long_side: u32,
) -> Result<RgbImage, Refused> {
    let parts = parse_name(name);
    let path = locate(roots, app_path, parts.file)?;
    let limits = rules.limits();
    let largest = [Format::Zip, Format::Pdf, Format::Jpeg]
        .iter()
        .map(|f| limits.cap_for(*f))
        .max()
        .unwrap_or(limits.max_file_bytes);
    let outer = read_capped(&path, largest)?;
    let bytes = match parts.entry {
        None => outer,
        Some(entry) => {
            if sniff(&outer) != Format::Zip {
                return Err(Refused::NotFound);
            }
            let mut found = None;
            // The archive's own problems were reported by the batch; here
            // only the entry matters.
            let _ = read_archive(&outer, limits, |e| {
                if found.is_none() && e.name == entry {
                    found = Some(e.bytes);
                }
            });
            found.ok_or(Refused::NotFound)?
        }
    };
    let mut scratch = FileReport::new(name, None);
    let unreadable = |r: &FileReport| {
        Refused::Unreadable(
            r.reasons
                .first()
                .map_or_else(|| "not an image".to_string(), |r| r.code.as_str().to_string()),
        )
    };
    match parts.page {
        None => crate::fix::decode(&bytes, Some(long_side), rules, &mut scratch).ok_or_else(|| unreadable(&scratch)),
        Some(n) => {
            let mut image = None;
            pdf_pages(&bytes, limits, Some(long_side), &mut scratch, |page| {
                if page.number != n {
                    return;
                }
                let mut r = FileReport::new("", None);
                let rgb = match page.content {
                    PageContent::File { bytes, .. } => crate::fix::decode(bytes, Some(long_side), rules, &mut r),
                    PageContent::Image(d) => Some(d.rgb),
                    PageContent::Problem(_) => None,
                };
                image = rgb.map(|rgb| turn(rgb, page.rotate));
            });
            image.ok_or_else(|| unreadable(&scratch))
        }
    }
}

/// A JPEG preview no longer than `long_side` on its long side.
pub fn preview(img: &RgbImage, long_side: u32, quality: u8) -> Option<Vec<u8>> {
    let (w, h) = img.dimensions();
    let width = crate::fix::width_for_long_side(img, long_side);
    let small = crate::fix::scaled(img, width, f64::from(w) / f64::from(h.max(1)));
    crate::fix::encode(&small, quality)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_apart_into_file_entry_and_page() {
        assert_eq!(
            parse_name("A3.zip!/材料/scan.pdf#page=2"),
            Name {
                file: "A3.zip",
                entry: Some("材料/scan.pdf"),
                page: Some(2)
            }
        );
        assert_eq!(
            parse_name("sub/一寸照.jpg"),
            Name {
                file: "sub/一寸照.jpg",
                entry: None,
                page: None
            }
        );
        // Not a page suffix: part of the name.
        assert_eq!(parse_name("a#page=x.jpg").file, "a#page=x.jpg");
    }

    #[test]
    fn only_plain_relative_paths_are_followed() {
        for bad in [
            "../x.jpg",
            "a/../../x.jpg",
            "/etc/passwd",
            "a\\..\\x.jpg",
            "",
            "./x.jpg",
        ] {
            assert!(!is_plain_relative(bad), "{bad}");
        }
        for good in ["x.jpg", "a/b/一寸照.jpg", "..x.jpg"] {
            assert!(is_plain_relative(good), "{good}");
        }
    }
}
