//! Bytes to checkable things, limits first: the content decides the type
//! (`sniff`), the JPEG structure is walked before any pixel is decoded
//! (`jpeg`), and decoding is bounded and applies EXIF orientation (`decode`).

pub mod decode;
pub mod jpeg;
pub mod sniff;
