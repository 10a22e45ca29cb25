//! Bytes to checkable things, limits first: the JPEG structure is walked
//! before any pixel is decoded (`jpeg`), and decoding is bounded and applies EXIF orientation (`decode`);
//! PDFs give their page images (`pdf`), zip archives their entries
//! (`archive`); the XMP packet names the software that saved a JPEG
//! (`xmp`).

pub mod archive;
pub mod decode;
#[cfg(feature = "heic")]
pub mod heic;
pub mod jpeg;
pub mod pdf;
pub mod xmp;
