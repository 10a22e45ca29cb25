//! Test containers built byte by byte: zip archives with raw (GBK) names,
//! encrypted flags, deflate bombs and overlapping entries, which no zip
//! writer will produce on purpose; and PDFs like scanner apps make (one JPEG
//! per page) or like word processors make (text only), written with lopdf.

#![allow(dead_code)]

use flate2::write::DeflateEncoder;
use flate2::Compression;
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};
use std::io::Write;

/// One zip entry to write.
pub struct ZipEntry {
    /// The name's bytes exactly as stored (GBK, UTF-8 or anything).
    pub raw_name: Vec<u8>,
    pub data: Vec<u8>,
    /// Deflate the data (method 8) instead of storing it (method 0).
    pub deflate: bool,
    /// Set the general-purpose "encrypted" bit.
    pub encrypted: bool,
}

impl ZipEntry {
    pub fn stored(name: &str, data: Vec<u8>) -> ZipEntry {
        ZipEntry {
            raw_name: name.as_bytes().to_vec(),
            data,
            deflate: false,
            encrypted: false,
        }
    }

    pub fn gbk(name: &str, data: Vec<u8>) -> ZipEntry {
        let (bytes, _, _) = encoding_rs::GBK.encode(name);
        ZipEntry {
            raw_name: bytes.into_owned(),
            ..ZipEntry::stored("", data)
        }
    }

    pub fn deflated(name: &str, data: Vec<u8>) -> ZipEntry {
        ZipEntry {
            deflate: true,
            ..ZipEntry::stored(name, data)
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes a zip. Names never get the UTF-8 flag, as on Chinese Windows.
pub fn zip(entries: &[ZipEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let payload = if e.deflate { deflate(&e.data) } else { e.data.clone() };
        let crc = crc32fast::hash(&e.data);
        let flags: u16 = if e.encrypted { 1 } else { 0 };
        let method: u16 = if e.deflate { 8 } else { 0 };
        local_header(
            &mut out,
            &e.raw_name,
            flags,
            method,
            crc,
            payload.len() as u32,
            e.data.len() as u32,
        );
        out.extend_from_slice(&payload);
        central_header(
            &mut central,
            &e.raw_name,
            flags,
            method,
            crc,
            payload.len() as u32,
            e.data.len() as u32,
            offset,
        );
    }
    finish(out, &central, entries.len() as u16)
}

/// A zip of one entry whose deflated payload is given (too big to deflate
/// in one buffer); `crc` may be wrong, the reader stops long before it
/// checks it.
pub fn zip_raw_deflated(name: &str, payload: &[u8], crc: u32, uncompressed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let name = name.as_bytes();
    local_header(&mut out, name, 0, 8, crc, payload.len() as u32, uncompressed);
    out.extend_from_slice(payload);
    let mut central = Vec::new();
    central_header(&mut central, name, 0, 8, crc, payload.len() as u32, uncompressed, 0);
    finish(out, &central, 1)
}

/// A non-recursive "overlapping" zip bomb in the manner of Fifield's: one
/// deflated kernel, and `n` central-directory entries that all point at the
/// same local header, so the kernel is counted `n` times.
pub fn overlapping_zip(kernel: &[u8], n: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let payload = deflate(kernel);
    let crc = crc32fast::hash(kernel);
    local_header(&mut out, b"a.jpg", 0, 8, crc, payload.len() as u32, kernel.len() as u32);
    out.extend_from_slice(&payload);
    let mut central = Vec::new();
    for i in 0..n {
        let name = format!("{i}.jpg");
        central_header(
            &mut central,
            name.as_bytes(),
            0,
            8,
            crc,
            payload.len() as u32,
            kernel.len() as u32,
            0,
        );
    }
    finish(out, &central, n)
}

fn local_header(out: &mut Vec<u8>, name: &[u8], flags: u16, method: u16, crc: u32, csize: u32, usize_: u32) {
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&method.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&csize.to_le_bytes());
    out.extend_from_slice(&usize_.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
}

#[allow(clippy::too_many_arguments)]
fn central_header(
    out: &mut Vec<u8>,
    name: &[u8],
    flags: u16,
    method: u16,
    crc: u32,
    csize: u32,
    usize_: u32,
    offset: u32,
) {
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // made by
    out.extend_from_slice(&20u16.to_le_bytes()); // needed
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&method.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0x21, 0]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&csize.to_le_bytes());
    out.extend_from_slice(&usize_.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 4]); // extra, comment lengths
    out.extend_from_slice(&[0; 4]); // disk, internal attributes
    out.extend_from_slice(&[0; 4]); // external attributes
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(name);
}

fn finish(mut out: Vec<u8>, central: &[u8], n: u16) -> Vec<u8> {
    let cd_offset = out.len() as u32;
    out.extend_from_slice(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A PDF page: a JPEG (width, height, bytes) or some text, and its /Rotate.
pub enum PdfPage {
    Jpeg { width: u32, height: u32, bytes: Vec<u8> },
    Text(String),
}

/// Writes a PDF with one page per item; `rotate` applies to every page.
pub fn pdf(pages: &[PdfPage], rotate: i64) -> Vec<u8> {
    save(pdf_doc(pages, rotate))
}

/// Saves a document built by [`pdf_doc`], perhaps edited.
pub fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// The document [`pdf`] writes, to edit before saving.
pub fn pdf_doc(pages: &[PdfPage], rotate: i64) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut kids = Vec::new();
    for p in pages {
        let (resources, ops, w, h) = match p {
            PdfPage::Jpeg { width, height, bytes } => {
                let img = Stream::new(
                    dictionary! {
                        "Type" => "XObject", "Subtype" => "Image",
                        "Width" => i64::from(*width), "Height" => i64::from(*height),
                        "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
                        "Filter" => "DCTDecode",
                    },
                    bytes.clone(),
                );
                let img_id = doc.add_object(img);
                let ops = vec![
                    Operation::new("q", vec![]),
                    Operation::new(
                        "cm",
                        vec![
                            (*width as i64).into(),
                            0.into(),
                            0.into(),
                            (*height as i64).into(),
                            0.into(),
                            0.into(),
                        ],
                    ),
                    Operation::new("Do", vec!["Im1".into()]),
                    Operation::new("Q", vec![]),
                ];
                (
                    dictionary! { "XObject" => dictionary! { "Im1" => img_id } },
                    ops,
                    i64::from(*width),
                    i64::from(*height),
                )
            }
            PdfPage::Text(text) => {
                let ops = vec![
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 12.into()]),
                    Operation::new("Td", vec![72.into(), 720.into()]),
                    Operation::new("Tj", vec![Object::string_literal(text.as_str())]),
                    Operation::new("ET", vec![]),
                ];
                (dictionary! { "Font" => dictionary! { "F1" => font_id } }, ops, 595, 842)
            }
        };
        let content = Content { operations: ops };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
            "Rotate" => rotate,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc
}
