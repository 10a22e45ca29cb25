//! Zip archives of whole applications, read in memory and never unpacked to
//! disk. Names are decoded from their raw bytes (UTF-8, else GBK/GB18030 as
//! Chinese Windows writes them, else CP437); sizes are enforced while
//! inflating, never trusted from the headers; entries whose data overlap
//! (the trick of non-recursive zip bombs) refuse the archive.

use crate::rules::Limits;
use std::io::{Cursor, Read};

/// Below this much output an entry is not judged by its compression ratio:
/// a small, very compressible file is harmless.
const RATIO_FLOOR: u64 = 1 << 20;

/// One file of the archive, inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The decoded path inside the archive, with `/` separators.
    pub name: String,
    /// The content, or its first `max_file_bytes + 1` bytes when larger
    /// (the file checks then report it as too large).
    pub bytes: Vec<u8>,
}

/// What is wrong with an archive. `TooManyEntries` and `TooLarge` (which
/// covers overlapping entries) stop the reading; `Malformed` stops it when
/// the directory or an entry's header cannot be read and skips the entry
/// otherwise; `UnsafePath` and `Encrypted` skip one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveProblem {
    Malformed(String),
    TooManyEntries(usize),
    /// `problem` is a message word: total_size, entry_ratio, overlapping_entries.
    TooLarge {
        problem: &'static str,
        entry: Option<String>,
        uncompressed: u64,
        limit: u64,
    },
    UnsafePath(String),
    Encrypted(String),
    /// Two or more entries of the central directory share this name; a zip
    /// reader keeps one of them, so the others would go unchecked.
    DuplicateEntry(String),
}

/// Reads the archive in `bytes`, calling `each` for every regular file in
/// turn (so only one entry is in memory at a time). Returns the problems
/// found; a fatal one ends the reading.
pub fn read_archive(bytes: &[u8], limits: &Limits, mut each: impl FnMut(Entry)) -> Vec<ArchiveProblem> {
    let mut problems = Vec::new();
    let (mut zip, meta) = match directory(bytes, limits) {
        Ok(read) => read,
        Err(problem) => return vec![problem],
    };
    problems.extend(duplicate_names(bytes).into_iter().map(ArchiveProblem::DuplicateEntry));
    let mut total: u64 = 0;
    for (i, (name, is_dir, encrypted)) in meta.into_iter().enumerate() {
        if !is_safe_path(&name) {
            problems.push(ArchiveProblem::UnsafePath(name));
            continue;
        }
        if is_dir || is_clutter(&name) {
            continue;
        }
        if encrypted {
            problems.push(ArchiveProblem::Encrypted(name));
            continue;
        }
        let raw = match zip.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                problems.push(ArchiveProblem::Malformed(format!("{name}: {e}")));
                return problems;
            }
        };
        let (method, crc) = (raw.compression(), raw.crc32());
        let left = limits.max_archive_uncompressed_bytes.saturating_sub(total);
        let read = match method {
            zip::CompressionMethod::Stored => inflate(raw, left, limits),
            zip::CompressionMethod::Deflated => {
                inflate(flate2::read::DeflateDecoder::new(Counting::new(raw)), left, limits)
            }
            other => {
                problems.push(ArchiveProblem::Malformed(format!(
                    "{name}: compression method {other} is not supported"
                )));
                continue;
            }
        };
        let data = match read {
            Ok(data) => data,
            Err(Inflate::Io(e)) => {
                problems.push(ArchiveProblem::Malformed(format!("{name}: {e}")));
                continue;
            }
            Err(Inflate::Ratio { produced, consumed }) => {
                problems.push(ArchiveProblem::TooLarge {
                    problem: "entry_ratio",
                    entry: Some(name),
                    uncompressed: produced,
                    limit: consumed.saturating_mul(u64::from(limits.max_archive_entry_ratio)),
                });
                return problems;
            }
            Err(Inflate::Total(produced)) => {
                problems.push(ArchiveProblem::TooLarge {
                    problem: "total_size",
                    entry: Some(name),
                    uncompressed: total.saturating_add(produced),
                    limit: limits.max_archive_uncompressed_bytes,
                });
                return problems;
            }
        };
        total = total.saturating_add(data.len() as u64);
        // An entry cut at the file limit has no checksum to compare.
        if data.len() as u64 <= limits.max_file_bytes && crc32fast::hash(&data) != crc {
            problems.push(ArchiveProblem::Malformed(format!("{name}: checksum mismatch")));
            continue;
        }
        each(Entry { name, bytes: data });
    }
    problems
}

/// One entry of the central directory: its decoded name, whether it is a
/// folder, whether it is encrypted.
type DirEntry = (String, bool, bool);

/// An archive opened in memory.
type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Opens the archive and reads its central directory, refusing it whole
/// when it has too many entries or entries whose data overlap (the same
/// compressed bytes counted twice: a non-recursive zip bomb).
fn directory<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(Zip<'a>, Vec<DirEntry>), ArchiveProblem> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveProblem::Malformed(e.to_string()))?;
    if zip.len() > limits.max_archive_entries as usize {
        return Err(ArchiveProblem::TooManyEntries(zip.len()));
    }
    // The data ranges of all entries, from their local headers.
    let mut ranges = Vec::with_capacity(zip.len());
    let mut meta = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| ArchiveProblem::Malformed(e.to_string()))?;
        let name = decode_name(f.name_raw());
        ranges.push((f.header_start(), f.data_start().saturating_add(f.compressed_size())));
        meta.push((name, f.is_dir(), f.encrypted()));
    }
    ranges.sort_unstable();
    if ranges.windows(2).any(|w| w[0].1 > w[1].0) {
        return Err(ArchiveProblem::TooLarge {
            problem: "overlapping_entries",
            entry: None,
            uncompressed: 0,
            limit: limits.max_archive_uncompressed_bytes,
        });
    }
    Ok((zip, meta))
}

/// The names that more than one central-directory record carries. The zip
/// crate indexes entries by name and keeps the last of equal names, so the
/// directory is walked here, from the end-of-central-directory record (a
/// zip64 archive's, or one whose record cannot be read, is left to the zip
/// crate: nothing is reported).
fn duplicate_names(bytes: &[u8]) -> Vec<String> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const HEADER: &[u8] = b"PK\x01\x02";
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // The record is 22 bytes plus a comment of up to 65 535.
    let from = bytes.len().saturating_sub(22 + 0xFFFF);
    let Some(eocd) = bytes[from..].windows(4).rposition(|w| w == EOCD).map(|i| from + i) else {
        return Vec::new();
    };
    let (Some(entries), Some(size)) = (u16_at(eocd + 10), u32_at(eocd + 12)) else {
        return Vec::new();
    };
    if entries == 0xFFFF || size == 0xFFFF_FFFF || size > eocd {
        return Vec::new();
    }
    // From the record backwards, so that data prepended to the archive
    // (a self-extractor's stub) does not shift the directory.
    let mut at = eocd - size;
    let mut seen = std::collections::HashSet::new();
    let mut dups: Vec<String> = Vec::new();
    for _ in 0..entries {
        if bytes.get(at..at + 4) != Some(HEADER) {
            break;
        }
        let (Some(n), Some(extra), Some(comment)) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32)) else {
            break;
        };
        let Some(raw) = bytes.get(at + 46..at + 46 + n) else {
            break;
        };
        if !seen.insert(raw) {
            let name = decode_name(raw);
            if !dups.contains(&name) {
                dups.push(name);
            }
        }
        at += 46 + n + extra + comment;
    }
    dups
}

/// Why inflating an entry stopped.
enum Inflate {
    Io(std::io::Error),
    /// Output grew past the ratio cap against the compressed input read.
    Ratio {
        produced: u64,
        consumed: u64,
    },
    /// Output grew past what is left of the archive's total.
    Total(u64),
}

/// Reads an entry in chunks, checking after each one the ratio of output to
/// the compressed bytes actually consumed (never the sizes the headers
/// claim) and the archive's remaining budget. Stops one byte past
/// `max_file_bytes`, which the file checks then report as too large.
fn inflate<R: Read + Consumed>(mut r: R, left: u64, limits: &Limits) -> Result<Vec<u8>, Inflate> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let ratio = u64::from(limits.max_archive_entry_ratio);
    loop {
        let want = (limits.max_file_bytes + 1)
            .saturating_sub(out.len() as u64)
            .min(chunk.len() as u64) as usize;
        if want == 0 {
            return Ok(out);
        }
        let got = match r.read(&mut chunk[..want]) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Inflate::Io(e)),
        };
        out.extend_from_slice(&chunk[..got]);
        let produced = out.len() as u64;
        if let Some(consumed) = r.consumed() {
            if produced > RATIO_FLOOR && produced > consumed.max(1).saturating_mul(ratio) {
                return Err(Inflate::Ratio { produced, consumed });
            }
        }
        if produced > left {
            return Err(Inflate::Total(produced));
        }
    }
}

/// How many compressed bytes a reader has taken from the archive; `None`
/// for stored entries, whose ratio is 1.
trait Consumed {
    fn consumed(&self) -> Option<u64>;
}

impl<R: Read> Consumed for zip::read::ZipFile<'_, R> {
    fn consumed(&self) -> Option<u64> {
        None
    }
}

impl<R: Read> Consumed for flate2::read::DeflateDecoder<Counting<R>> {
    fn consumed(&self) -> Option<u64> {
        Some(self.get_ref().count)
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Self {
        Counting { inner, count: 0 }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Decodes a raw entry name. A GBK trail byte can be 0x5C (`\`), so
/// separators are normalised only after decoding.
pub fn decode_name(raw: &[u8]) -> String {
    let name = if let Ok(s) = std::str::from_utf8(raw) {
        s.to_string()
    } else if let Some(s) = encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(raw)
        .filter(|s| !s.chars().any(char::is_control))
    {
        s.into_owned()
    } else {
        raw.iter().map(|&b| cp437(b)).collect()
    };
    name.replace('\\', "/")
}

/// No absolute paths, drive letters, `..` components or NULs.
fn is_safe_path(name: &str) -> bool {
    let bytes = name.as_bytes();
    let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    !(name.starts_with('/') || drive || name.contains('\0') || name.split('/').any(|c| c == ".."))
}

/// The files archivers add that are not materials.
fn is_clutter(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    name.starts_with("__MACOSX/")
        || base.starts_with('.')
        || base.eq_ignore_ascii_case("thumbs.db")
        || base.eq_ignore_ascii_case("desktop.ini")
}

/// Code page 437, the zip format's original encoding.
fn cp437(b: u8) -> char {
    const HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
    if b < 0x80 {
        char::from(b)
    } else {
        HIGH.chars().nth(usize::from(b - 0x80)).unwrap_or('?')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decode_from_utf8_gbk_and_cp437() {
        assert_eq!(decode_name("申报表.jpg".as_bytes()), "申报表.jpg");
        let (gbk, _, _) = encoding_rs::GBK.encode("一寸照\\申报表.jpg");
        assert_eq!(decode_name(&gbk), "一寸照/申报表.jpg");
        // 0x5C as a GBK trail byte: 乗 is 0x81 0x5C.
        assert_eq!(decode_name(&[0x81, 0x5C, b'.', b'j']), "乗.j");
        // 0xFF is not a GB18030 lead byte: CP437, where it is a no-break space.
        assert_eq!(decode_name(&[b'a', 0xFF]), "a\u{a0}");
    }

    #[test]
    fn unsafe_paths_are_recognised() {
        for bad in ["/etc/passwd", "../x.jpg", "a/../../x", "C:/x.jpg", "c:x"] {
            assert!(!is_safe_path(bad), "{bad}");
        }
        for ok in ["a/b.jpg", "申报表.jpg", "a..b.jpg"] {
            assert!(is_safe_path(ok), "{ok}");
        }
    }
}
