//! Zip archives and PDFs: names, limits, bombs and hostile bytes; scanner
//! PDFs page by page; text-only and encrypted PDFs.

use crate::common::{codes, rules};
use crate::containers::{overlapping_zip, pdf, pdf_doc, save, zip, PdfPage, ZipEntry};
use crate::samples::{sample, SAMPLE_FILES as SAMPLE};
use crate::synth::{doc_scene, jpeg, paper_photo, DocScene, FormPage, Layout, BLUE_PEN};
use lopdf::dictionary;
use prescreen::rules::DEFAULT_RULEBOOK;
use prescreen::{check_application, Code, FileReport, Lang, Report, Rules, Target, Upload, Verdict};

fn check_with(rules: &Rules, uploads: Vec<Upload>, clause: Option<u32>) -> Report {
    let target = clause.map(|n| Target::resolve(rules, "ecommerce-l2", n).unwrap());
    check_application(&uploads, target, rules, Lang::Zh)
}

fn check_zip(bytes: Vec<u8>, clause: Option<u32>) -> Report {
    check_with(rules(), vec![Upload::new("application.zip", None, bytes)], clause)
}

fn file<'a>(r: &'a Report, name: &str) -> &'a FileReport {
    r.files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.files.iter().map(|f| &f.name).collect::<Vec<_>>()))
}

fn rules_with(from: &str, to: &str) -> Rules {
    assert!(DEFAULT_RULEBOOK.contains(from), "{from}");
    Rules::from_toml(&DEFAULT_RULEBOOK.replacen(from, to, 1)).unwrap()
}

#[test]
fn complete_application_zip_with_gbk_names_passes_its_clause() {
    // Chinese Windows: GBK names, no UTF-8 flag, backslash separators.
    let entries: Vec<ZipEntry> = SAMPLE
        .iter()
        .map(|n| ZipEntry::gbk(&format!("报名材料\\{n}"), sample(n)))
        .collect();
    let r = check_zip(zip(&entries), Some(1));
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "{}",
        serde_json::to_string_pretty(&r).unwrap()
    );
    assert_eq!(file(&r, "application.zip").measurements["entries"], 6);
    let photo = file(&r, "application.zip!/报名材料/一寸照.jpg");
    assert_eq!(photo.slot.as_deref(), Some("photo"));
    assert!(r.missing.is_empty());
}

#[test]
fn incomplete_application_zip_misses_the_pledge() {
    let entries: Vec<ZipEntry> = SAMPLE[..5].iter().map(|n| ZipEntry::deflated(n, sample(n))).collect();
    let r = check_zip(zip(&entries), Some(1));
    assert_eq!(r.verdict, Verdict::Reject);
    assert_eq!(r.missing, ["integrity_pledge"]);
    assert_eq!(r.reasons[0].code, Code::SetMissing);
}

#[test]
fn path_traversal_entry_is_refused_and_the_rest_checked() {
    let r = check_zip(
        zip(&[
            ZipEntry::stored("../../etc/一寸照.jpg", sample("一寸照.jpg")),
            ZipEntry::stored("C:/Windows/申报表.jpg", sample("职业技能认定申报表.jpg")),
            ZipEntry::stored("身份证反面.jpg", sample("身份证反面.jpg")),
        ]),
        None,
    );
    let archive = file(&r, "application.zip");
    assert_eq!(codes(archive), [Code::ArchiveUnsafePath, Code::ArchiveUnsafePath]);
    assert_eq!(archive.reasons[0].detail["path"], "../../etc/一寸照.jpg");
    assert_eq!(file(&r, "application.zip!/身份证反面.jpg").verdict, Verdict::Pass);
    assert_eq!(r.files.len(), 2);
}

#[test]
fn high_ratio_bomb_is_refused_before_inflating_it_all() {
    // 64 MB of zeros deflate to ~64 KB: a ratio of ~1000 against a cap of 200.
    let bomb = zip(&[ZipEntry::deflated("一寸照.jpg", vec![0; 64 << 20])]);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let r = check_zip(bomb, None);
    let archive = file(&r, "application.zip");
    assert_eq!(codes(archive), [Code::ArchiveTooLarge]);
    assert_eq!(archive.reasons[0].detail["problem"], "entry_ratio");
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn overlapping_entries_bomb_is_refused_without_inflating() {
    let r = check_zip(overlapping_zip(&vec![0; 1 << 20], 150), None);
    let archive = file(&r, "application.zip");
    assert_eq!(codes(archive), [Code::ArchiveTooLarge]);
    assert_eq!(archive.reasons[0].detail["problem"], "overlapping_entries");
    assert_eq!(r.files.len(), 1);
}

#[test]
fn total_uncompressed_size_is_capped() {
    let small = rules_with(
        "max_archive_uncompressed_bytes = 500_000_000",
        "max_archive_uncompressed_bytes = 150_000",
    );
    let entries: Vec<ZipEntry> = SAMPLE[..3].iter().map(|n| ZipEntry::stored(n, sample(n))).collect();
    let r = check_with(&small, vec![Upload::new("a.zip", None, zip(&entries))], None);
    let archive = file(&r, "a.zip");
    assert_eq!(codes(archive), [Code::ArchiveTooLarge]);
    assert_eq!(archive.reasons[0].detail["problem"], "total_size");
}

#[test]
fn too_many_entries_are_refused_from_the_directory() {
    let entries: Vec<ZipEntry> = (0..201)
        .map(|i| ZipEntry::stored(&format!("{i}.txt"), vec![b'x']))
        .collect();
    let r = check_zip(zip(&entries), None);
    let archive = file(&r, "application.zip");
    assert_eq!(codes(archive), [Code::ArchiveTooManyEntries]);
    assert_eq!(archive.reasons[0].detail["entries"], 201);
    assert_eq!(r.files.len(), 1);
}

#[test]
fn encrypted_entry_is_reported() {
    let mut e = ZipEntry::stored("一寸照.jpg", sample("一寸照.jpg"));
    e.encrypted = true;
    let r = check_zip(zip(&[e]), None);
    assert_eq!(codes(file(&r, "application.zip")), [Code::ArchiveEncrypted]);
}

#[test]
fn nested_archive_is_not_opened() {
    let inner = zip(&[ZipEntry::stored("一寸照.jpg", sample("一寸照.jpg"))]);
    let r = check_zip(zip(&[ZipEntry::stored("一寸照.zip", inner)]), None);
    let nested = file(&r, "application.zip!/一寸照.zip");
    assert_eq!(codes(nested), [Code::FileUnsupportedType]);
    assert_eq!(r.files.len(), 2);
}

#[test]
fn truncated_and_garbled_zips_are_corrupt_never_a_panic() {
    let good = zip(&SAMPLE[..2]
        .iter()
        .map(|n| ZipEntry::deflated(n, sample(n)))
        .collect::<Vec<_>>());
    let r = check_zip(good[..good.len() - 30].to_vec(), None);
    assert_eq!(codes(file(&r, "application.zip")), [Code::FileCorrupt]);
    // Flip bytes all over a valid archive: every outcome is a report.
    for i in (0..good.len()).step_by(997) {
        let mut bad = good.clone();
        bad[i] ^= 0x5A;
        let r = check_zip(bad, Some(1));
        assert!(!r.files.is_empty());
    }
}

fn form_jpeg(w: u32, h: u32, seed: u64) -> PdfPage {
    PdfPage::Jpeg {
        width: w,
        height: h,
        bytes: jpeg(&paper_photo(w, h, seed), 75),
    }
}

fn check_pdf(bytes: Vec<u8>, clause: Option<u32>) -> Report {
    check_with(rules(), vec![Upload::new("申报表.pdf", None, bytes)], clause)
}

#[test]
fn scanner_pdf_is_checked_page_by_page() {
    let r = check_pdf(pdf(&[form_jpeg(1200, 1600, 31), form_jpeg(1200, 1600, 32)], 0), None);
    let whole = file(&r, "申报表.pdf");
    assert_eq!(whole.slot.as_deref(), Some("application_form"));
    assert_eq!(whole.measurements["pages"], 2);
    let p2 = file(&r, "申报表.pdf#page=2");
    assert_eq!(p2.page, Some(2));
    assert_eq!(p2.measurements["width"], 1200);
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "{}",
        serde_json::to_string_pretty(&r).unwrap()
    );
}

#[test]
fn pdf_pages_count_once_for_the_set() {
    let mut uploads: Vec<Upload> = SAMPLE
        .iter()
        .filter(|n| !n.contains("申报表"))
        .map(|n| Upload::new(*n, None, sample(n)))
        .collect();
    let scan = pdf(&[form_jpeg(1200, 1600, 33), form_jpeg(1200, 1600, 34)], 0);
    uploads.push(Upload::new("职业技能认定申报表.pdf", None, scan));
    let r = check_with(rules(), uploads, Some(1));
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "{}",
        serde_json::to_string_pretty(&r).unwrap()
    );
}

#[test]
fn page_rotate_is_honoured() {
    // An upright form photo stored turned a quarter to the left, shown
    // upright by /Rotate 90: checked upright, its table found.
    let upright = paper_photo(1200, 1600, 34);
    let stored = image::imageops::rotate270(&upright);
    let page = PdfPage::Jpeg {
        width: 1600,
        height: 1200,
        bytes: jpeg(&stored, 75),
    };
    let r = check_pdf(pdf(&[page], 90), None);
    let p1 = file(&r, "申报表.pdf#page=1");
    assert_eq!(p1.measurements["rotate"], 90);
    assert_eq!(
        (&p1.measurements["width"], &p1.measurements["height"]),
        (&1200.into(), &1600.into())
    );
    assert_eq!(p1.verdict, Verdict::Pass, "{:?} {:?}", codes(p1), p1.measurements);
    assert!(
        p1.measurements["form_fields"].as_u64().unwrap() >= 30,
        "{:?}",
        p1.measurements
    );
}

#[test]
fn scanner_crop_pages_are_judged_for_writing() {
    // Scanner apps crop to the page: the page fills the frame.
    let scan = |form| {
        let img = doc_scene(&DocScene {
            width: 1240,
            height: 1754,
            page_width: 1.0,
            angle: 0.0,
            form,
            ..Default::default()
        });
        PdfPage::Jpeg {
            width: 1240,
            height: 1754,
            bytes: jpeg(&img, 80),
        }
    };
    let filled = scan(FormPage::filled(Layout::Application, BLUE_PEN));
    let blank = scan(FormPage::blank(Layout::Application));
    let r = check_pdf(pdf(&[filled, blank], 0), None);
    assert_eq!(codes(file(&r, "申报表.pdf#page=1")), []);
    assert_eq!(
        codes(file(&r, "申报表.pdf#page=2")),
        [Code::FormBlank],
        "{:?}",
        file(&r, "申报表.pdf#page=2").measurements
    );
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn low_resolution_page_is_rejected_on_its_page() {
    let r = check_pdf(pdf(&[form_jpeg(1200, 1600, 36), form_jpeg(600, 800, 37)], 0), None);
    assert_eq!(file(&r, "申报表.pdf#page=1").verdict, Verdict::Pass);
    assert_eq!(codes(file(&r, "申报表.pdf#page=2")), [Code::DocumentResolutionTooLow]);
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn text_only_pdf_has_no_images() {
    let r = check_pdf(pdf(&[PdfPage::Text("Application form".into())], 0), None);
    assert_eq!(codes(file(&r, "申报表.pdf")), [Code::PdfNoImages]);
    assert_eq!(r.files.len(), 1);
}

#[test]
fn too_many_pages_are_refused() {
    let pages: Vec<PdfPage> = (0..65).map(|i| PdfPage::Text(format!("page {i}"))).collect();
    let r = check_pdf(pdf(&pages, 0), None);
    let whole = file(&r, "申报表.pdf");
    assert_eq!(codes(whole), [Code::PdfTooManyPages]);
    assert_eq!(whole.reasons[0].detail["pages"], 65);
}

#[test]
fn password_protected_pdf_is_encrypted() {
    let mut doc = pdf_doc(&[PdfPage::Text("secret".into())], 0);
    // Standard security with owner and user keys that the empty password
    // does not match.
    let encrypt = doc.add_object(dictionary! {
        "Filter" => "Standard", "V" => 1, "R" => 2, "P" => -4,
        "O" => lopdf::Object::String(vec![0x11; 32], lopdf::StringFormat::Hexadecimal),
        "U" => lopdf::Object::String(vec![0xEE; 32], lopdf::StringFormat::Hexadecimal),
    });
    doc.trailer.set("Encrypt", encrypt);
    let id = lopdf::Object::String(vec![7; 16], lopdf::StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![id.clone(), id]);
    let bytes = save(doc);
    let r = check_pdf(bytes, None);
    assert_eq!(codes(file(&r, "申报表.pdf")), [Code::PdfEncrypted]);
}

#[test]
fn malformed_pdfs_are_corrupt_never_a_panic() {
    let r = check_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R".to_vec(), None);
    assert_eq!(codes(file(&r, "申报表.pdf")), [Code::FileCorrupt]);
    let good = pdf(&[form_jpeg(1200, 1600, 38)], 0);
    for cut in (10..good.len()).step_by(good.len() / 40) {
        let r = check_pdf(good[..cut].to_vec(), None);
        assert!(!r.files.is_empty());
    }
    for i in (0..good.len()).step_by(good.len() / 60) {
        let mut bad = good.clone();
        bad[i] ^= 0xFF;
        let r = check_pdf(bad, None);
        assert!(!r.files.is_empty());
    }
}

#[test]
fn twelve_megapixel_form_photo_is_decoded_at_reduced_scale() {
    let big = jpeg(&paper_photo(3000, 4000, 39), 80);
    let r = check_with(rules(), vec![Upload::new("申报表.jpg", None, big)], None);
    let f = file(&r, "申报表.jpg");
    assert_eq!(f.verdict, Verdict::Pass, "{:?}", f.reasons);
    assert_eq!(
        (&f.measurements["width"], &f.measurements["height"]),
        (&3000.into(), &4000.into())
    );
    // 1/2 scale is the smallest that keeps the long side at 1600 or more.
    assert_eq!(f.measurements["analysed_height"], 2000);
}

#[test]
fn a_zip_whose_first_entry_is_a_stored_pdf_is_a_zip() {
    // `%PDF-` lies in the first kilobyte, but the file is an archive: its
    // later entries (a traversal name here) are looked at.
    let doc = pdf(&[PdfPage::Text("x".into())], 0);
    let bytes = zip(&[
        ZipEntry::stored("a.pdf", doc),
        ZipEntry::stored("../../evil.jpg", sample("一寸照.jpg")),
    ]);
    assert_eq!(prescreen::format::sniff(&bytes), prescreen::format::Format::Zip);
    let r = check_zip(bytes, None);
    let archive = file(&r, "application.zip");
    assert!(archive.has(Code::ArchiveUnsafePath), "{:?}", codes(archive));
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn duplicate_names_in_a_zip_are_refused() {
    let r = check_zip(
        zip(&[
            ZipEntry::stored("一寸照.jpg", b"<html><script>alert(1)</script></html>".to_vec()),
            ZipEntry::stored("一寸照.jpg", sample("一寸照.jpg")),
        ]),
        None,
    );
    let archive = file(&r, "application.zip");
    assert_eq!(codes(archive), [Code::ArchiveDuplicateEntry]);
    assert_eq!(archive.reasons[0].detail["path"], "一寸照.jpg");
    assert_eq!(r.verdict, Verdict::Reject);
    assert!(
        archive.reasons[0].message.contains("同名"),
        "{}",
        archive.reasons[0].message
    );
}
