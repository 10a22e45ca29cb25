//! Uploads and what they contain. An [`Upload`] is sniffed once, where its
//! bytes come in, and carries its [`Format`]; a zip archive gives its
//! entries as uploads of their own ([`zip_entries`]), a PDF its pages
//! ([`pdf_pages`]). The container's problems become reasons here, once,
//! on the container's own report; the items go back to the caller one at a
//! time, so only one entry or one page image is in memory.

use crate::codes::Code;
use crate::format::{sniff, Format};
use crate::input::archive::{read_archive, ArchiveProblem};
use crate::input::decode::Decoded;
use crate::input::pdf::{read_pdf, PageImage, PdfProblem};
use crate::report::{FileReport, Reason};
use crate::rules::Limits;
use image::{GrayImage, RgbImage};
use serde_json::json;

/// One file of an application, with its format known.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name shown in the report (a file name or relative path).
    pub name: String,
    /// The slot the caller named, if any; otherwise it is inferred.
    pub slot: Option<String>,
    /// The file's content, or its first part when it is over the size limit.
    pub bytes: Vec<u8>,
    /// The file's full size in bytes.
    pub size: u64,
    /// Sniffed once, from the first bytes; private so that nobody sets it
    /// without sniffing.
    format: Format,
}

impl Upload {
    /// An upload whose bytes are all there; sniffs them.
    pub fn new(name: impl Into<String>, slot: Option<String>, bytes: Vec<u8>) -> Upload {
        let format = sniff(&bytes);
        Upload::sniffed(name, slot, bytes, 0, format)
    }

    /// An upload whose reader sniffed the first bytes already (to pick the
    /// size cap) and stopped reading at that cap: `size` is the full size.
    pub fn sniffed(name: impl Into<String>, slot: Option<String>, bytes: Vec<u8>, size: u64, format: Format) -> Upload {
        let size = size.max(bytes.len() as u64);
        Upload {
            name: name.into(),
            slot,
            bytes,
            size,
            format,
        }
    }

    /// The format its first bytes say it has.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether all its bytes were read (reading stops at the size cap).
    pub fn is_whole(&self) -> bool {
        self.size == self.bytes.len() as u64
    }
}

/// A zip archive of a whole application: its own report (size, entry
/// count, the archive's problems), and `each` called with every entry as
/// an upload named `archive.zip!/inner/name.jpg`.
pub fn zip_entries(upload: &Upload, limits: &Limits, mut each: impl FnMut(Upload)) -> FileReport {
    let mut archive = FileReport::new(&upload.name, None);
    archive.measure("bytes", upload.size);
    archive.measure("format", Format::Zip.as_str());
    let cap = limits.cap_for(Format::Zip);
    if !upload.is_whole() || upload.size > cap {
        archive.push(Reason::new(
            Code::FileTooLarge,
            json!({ "bytes": upload.size, "max": cap }),
        ));
        return archive;
    }
    let mut entries = 0usize;
    let problems = read_archive(&upload.bytes, limits, |e| {
        entries += 1;
        each(Upload::new(format!("{}!/{}", upload.name, e.name), None, e.bytes));
    });
    archive.measure("entries", entries);
    for p in problems {
        archive.push(archive_reason(p, limits));
    }
    archive
}

/// The one mapping of an archive problem to its reason.
fn archive_reason(problem: ArchiveProblem, limits: &Limits) -> Reason {
    match problem {
        ArchiveProblem::Malformed(cause) => {
            Reason::new(Code::FileCorrupt, json!({ "problem": "malformed", "cause": cause }))
        }
        ArchiveProblem::TooManyEntries(n) => Reason::new(
            Code::ArchiveTooManyEntries,
            json!({ "entries": n, "max": limits.max_archive_entries }),
        ),
        ArchiveProblem::TooLarge {
            problem,
            entry,
            uncompressed,
            limit,
        } => Reason::new(
            Code::ArchiveTooLarge,
            json!({ "problem": problem, "entry": entry, "uncompressed_bytes": uncompressed, "limit_bytes": limit }),
        ),
        ArchiveProblem::UnsafePath(path) => Reason::new(Code::ArchiveUnsafePath, json!({ "path": path })),
        ArchiveProblem::Encrypted(path) => Reason::new(Code::ArchiveEncrypted, json!({ "path": path })),
        ArchiveProblem::DuplicateEntry(path) => Reason::new(Code::ArchiveDuplicateEntry, json!({ "path": path })),
    }
}

/// One page of a PDF as the checks get it.
pub struct Page<'a> {
    /// From 1.
    pub number: u32,
    /// The page's /Rotate, clockwise degrees.
    pub rotate: u32,
    pub content: PageContent<'a>,
}

/// What a page holds for the checks.
pub enum PageContent<'a> {
    /// An embedded image file (a JPEG stream), sniffed: it goes through the
    /// same file checks as an uploaded file.
    File { bytes: &'a [u8], format: Format },
    /// Raw pixels, already an image.
    Image(Decoded),
    /// Nothing the checks can read, and why.
    Problem(Reason),
}

/// A PDF's pages: `each` gets every page in order; the PDF's own problems
/// and its page counts go on `report`. Returns whether the pages are worth
/// reporting: false when the PDF could not be read or no page has an image
/// (the PDF's report then says so and the page reports are dropped).
///
/// `analysis_long_side` is the kind's: raw page images over twice that are
/// averaged down while they are inflated (see [`read_pdf`]).
pub fn pdf_pages(
    bytes: &[u8],
    limits: &Limits,
    analysis_long_side: Option<u32>,
    report: &mut FileReport,
    mut each: impl FnMut(Page<'_>),
) -> bool {
    let mut with_images = 0usize;
    let read = read_pdf(bytes, limits, analysis_long_side, |page| {
        with_images += usize::from(page.image.is_some());
        let content = match page.image {
            None => PageContent::Problem(Reason::new(Code::PdfNoImages, json!({ "page": page.number }))),
            Some(PageImage::Jpeg(jpeg)) => PageContent::File {
                bytes: jpeg,
                format: sniff(jpeg),
            },
            Some(PageImage::Raw {
                width,
                height,
                components,
                pixels,
                original,
            }) => match raw_to_rgb(width, height, components, pixels) {
                Some(rgb) => {
                    let mut d = Decoded::from_rgb(rgb, components);
                    d.original = original;
                    PageContent::Image(d)
                }
                None => PageContent::Problem(Reason::new(
                    Code::FileCorrupt,
                    json!({ "problem": "undecodable", "cause": "the page's pixels do not fill its image" }),
                )),
            },
            Some(PageImage::Unsupported { filter }) => PageContent::Problem(Reason::new(
                Code::FileUnsupportedType,
                json!({ "format": filter, "accepted": [Format::Jpeg.as_str()] }),
            )),
        };
        each(Page {
            number: page.number,
            rotate: page.rotate,
            content,
        });
    });
    let pages = match read {
        Ok(pages) => pages,
        Err(problem) => {
            report.push(pdf_reason(problem, limits));
            return false;
        }
    };
    report.measure("pages", pages);
    report.measure("pages_with_images", with_images);
    if with_images == 0 {
        report.push(Reason::new(Code::PdfNoImages, json!({ "pages": pages })));
        return false;
    }
    true
}

/// The one mapping of a PDF problem to its reason.
fn pdf_reason(problem: PdfProblem, limits: &Limits) -> Reason {
    match problem {
        PdfProblem::Encrypted => Reason::new(Code::PdfEncrypted, json!({})),
        PdfProblem::TooManyPages(n) => Reason::new(
            Code::PdfTooManyPages,
            json!({ "pages": n, "max_pages": limits.max_pdf_pages }),
        ),
        PdfProblem::Malformed(cause) => {
            Reason::new(Code::FileCorrupt, json!({ "problem": "malformed", "cause": cause }))
        }
    }
}

fn raw_to_rgb(width: u32, height: u32, components: u8, pixels: Vec<u8>) -> Option<RgbImage> {
    match components {
        3 => RgbImage::from_raw(width, height, pixels),
        1 => GrayImage::from_raw(width, height, pixels).map(|g| image::DynamicImage::ImageLuma8(g).into_rgb8()),
        _ => None,
    }
}
