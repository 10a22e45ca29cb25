//! Command-line inputs to uploads: `SLOT=PATH` or a bare path (a file, a
//! `.zip` or `.pdf`, or a folder walked in name order). Files are read with
//! a cap, so a huge file costs no more memory than the limit.

use crate::error::Error;
use crate::format::{sniff, SNIFF_HEAD};
use crate::rules::{Limits, Rules};
use crate::unpack::Upload;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How deep a folder is walked.
const MAX_DEPTH: usize = 4;

/// One command-line input, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub slot: Option<String>,
    pub path: PathBuf,
}

/// Parses `SLOT=PATH` or `PATH`. A prefix that is not a slot id is part of
/// the path when that path exists; otherwise it is an unknown slot.
pub fn parse_input(arg: &str, rules: &Rules) -> Result<InputSpec, Error> {
    if let Some((slot, path)) = arg.split_once('=') {
        if rules.slot(slot).is_some() {
            return Ok(InputSpec {
                slot: Some(slot.to_string()),
                path: PathBuf::from(path),
            });
        }
        if !Path::new(arg).exists() {
            return Err(Error::Usage(format!(
                "unknown slot {slot:?} in {arg:?}; slots are: {}",
                rules.slot_ids()
            )));
        }
    }
    Ok(InputSpec {
        slot: None,
        path: PathBuf::from(arg),
    })
}

/// Reads every input into uploads, in order; folders give their files
/// sorted by relative path, named by it.
pub fn collect(inputs: &[InputSpec], rules: &Rules) -> Result<Vec<Upload>, Error> {
    let limits = rules.limits();
    let mut out = Vec::new();
    for input in inputs {
        let io = |e| Error::Io {
            path: input.path.display().to_string(),
            source: e,
        };
        let meta = std::fs::metadata(&input.path).map_err(io)?;
        if meta.is_dir() {
            if input.slot.is_some() {
                return Err(Error::Usage(format!(
                    "{}: a slot takes one file, not a folder",
                    input.path.display()
                )));
            }
            let mut files = Vec::new();
            walk(&input.path, &input.path, 0, &mut files)?;
            files.sort();
            for rel in files {
                let full = input.path.join(&rel);
                let name = rel.to_string_lossy().replace('\\', "/");
                out.push(read_upload(&full, name, None, limits)?);
            }
        } else {
            let name = input.path.display().to_string();
            out.push(read_upload(&input.path, name, input.slot.clone(), limits)?);
        }
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden files and the thumbnails caches of Windows and macOS.
        if name.starts_with('.') || name.eq_ignore_ascii_case("thumbs.db") || name.eq_ignore_ascii_case("desktop.ini") {
            continue;
        }
        // Symlinks are not followed: a link cannot lead the walk elsewhere.
        let kind = entry.file_type().map_err(io)?;
        let path = entry.path();
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(root, &path, depth + 1, out)?;
        } else if kind.is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    Ok(())
}

/// Reads a file into an upload: its first bytes decide the format, the
/// format the size cap, and reading stops one byte past the cap, so a huge
/// file costs no more memory than the limit.
fn read_upload(path: &Path, name: String, slot: Option<String>, limits: &Limits) -> Result<Upload, Error> {
    let io = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut reader = file.take(SNIFF_HEAD as u64);
    let mut bytes = Vec::with_capacity(size.min(SNIFF_HEAD as u64) as usize);
    reader.read_to_end(&mut bytes).map_err(io)?;
    let format = sniff(&bytes);
    let cap = limits.cap_for(format);
    let mut rest = reader.into_inner().take((cap + 1).saturating_sub(bytes.len() as u64));
    bytes.reserve(size.min(cap + 1).saturating_sub(bytes.len() as u64) as usize);
    rest.read_to_end(&mut bytes).map_err(io)?;
    Ok(Upload::sniffed(name, slot, bytes, size, format))
}
