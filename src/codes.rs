//! The reason codes: a closed, add-only registry of the dotted strings that
//! SPEC §3 makes the stable API, with each code's default severity.
//!
//! Codes are never renamed once released; a new situation gets a new code.
//! A retired code stays here, documented as deprecated. The messages live in
//! `rules/messages.toml`, keyed by the code string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a reason weighs on the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, but the file still passes.
    Warn,
    /// The file (or the application) does not pass.
    Reject,
}

impl Severity {
    /// The lower-case word of the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Reject => "reject",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident => $text:literal, $severity:ident; )*) => {
        /// A reason code. Serialised as its dotted string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in the order of SPEC §3.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The dotted string of the API.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// The severity unless a check or the rulebook says otherwise.
            pub const fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }
        }
    };
}

codes! {
    FileEmpty => "file.empty", Reject;
    FileTooLarge => "file.too_large", Reject;
    FileNotJpeg => "file.not_jpeg", Reject;
    FileCorrupt => "file.corrupt", Reject;
    FileUnsupportedType => "file.unsupported_type", Reject;
    FileDimensionsTooLarge => "file.dimensions_too_large", Reject;
    FileTrailingData => "file.trailing_data", Warn;
    SizeOutOfRange => "size.out_of_range", Reject;
    PhotoAspectRatio => "photo.aspect_ratio", Reject;
    PhotoResolutionTooLow => "photo.resolution_too_low", Reject;
    PhotoBackgroundNotWhite => "photo.background_not_white", Reject;
    PhotoNoFace => "photo.no_face", Reject;
    PhotoMultipleFaces => "photo.multiple_faces", Reject;
    PhotoFacePosition => "photo.face_position", Reject;
    PhotoGrayscale => "photo.grayscale", Reject;
    PhotoBlurry => "photo.blurry", Reject;
    PhotoExposure => "photo.exposure", Reject;
    PhotoEdited => "photo.edited", Warn;
    PhotoRecaptured => "photo.recaptured", Warn;
    IdcardNotFound => "idcard.not_found", Reject;
    IdcardCropped => "idcard.cropped", Reject;
    IdcardTooSmall => "idcard.too_small", Reject;
    IdcardBlurry => "idcard.blurry", Reject;
    IdcardGlare => "idcard.glare", Reject;
    IdcardWrongSide => "idcard.wrong_side", Reject;
    IdcardBackgroundNotWhite => "idcard.background_not_white", Reject;
    DocumentNotFound => "document.not_found", Reject;
    DocumentCropped => "document.cropped", Reject;
    DocumentBlurry => "document.blurry", Reject;
    DocumentExposure => "document.exposure", Reject;
    DocumentResolutionTooLow => "document.resolution_too_low", Reject;
    FormBlank => "form.blank", Reject;
    FormNotPhotographed => "form.not_photographed", Reject;
    FormAltered => "form.altered", Reject;
    PdfNoImages => "pdf.no_images", Reject;
    PdfEncrypted => "pdf.encrypted", Reject;
    ArchiveUnsafePath => "archive.unsafe_path", Reject;
    ArchiveTooLarge => "archive.too_large", Reject;
    ArchiveTooManyEntries => "archive.too_many_entries", Reject;
    ArchiveEncrypted => "archive.encrypted", Reject;
    SetMissing => "set.missing", Reject;
    SetUnexpected => "set.unexpected", Warn;
    SetDuplicate => "set.duplicate", Reject;
    SetUnknownSlot => "set.unknown_slot", Warn;
    // Added after SPEC §3 (codes are only ever appended).
    PdfTooManyPages => "pdf.too_many_pages", Reject;
    ArchiveDuplicateEntry => "archive.duplicate_entry", Reject;
    FileTooComplex => "file.too_complex", Reject;
    IdcardExposure => "idcard.exposure", Reject;
    SetEmpty => "set.empty", Reject;
    SetNoClause => "set.no_clause", Reject;
    EligibilityNotMet => "eligibility.not_met", Reject;
    EligibilityPeriodOrder => "eligibility.period_order", Reject;
    EligibilityPeriodOverlap => "eligibility.period_overlap", Warn;
    EligibilityDateFuture => "eligibility.date_future", Reject;
    EligibilityAfterSigning => "eligibility.after_signing", Reject;
    EligibilityGap => "eligibility.gap", Warn;
    EligibilityUnderage => "eligibility.underage", Reject;
    EligibilityEmployerDates => "eligibility.employer_dates", Reject;
    EligibilityPositionUnlisted => "eligibility.position_unlisted", Warn;
    EligibilityOccupationNotCounted => "eligibility.occupation_not_counted", Warn;
    EligibilityEmployerName => "eligibility.employer_name", Warn;
    EligibilityIdNumberInvalid => "eligibility.id_number_invalid", Reject;
    EligibilityChsiCodeInvalid => "eligibility.chsi_code_invalid", Reject;
    IdcardExpired => "idcard.expired", Reject;
    IdcardValidityInvalid => "idcard.validity_invalid", Reject;
    IdcardNumberInvalid => "idcard.number_invalid", Reject;
    IdcardOccluded => "idcard.occluded", Reject;
    FormNotHandwritten => "form.not_handwritten", Warn;
}

impl Code {
    /// The code for a dotted string, if it is one.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Code::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown reason code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_string() {
        for &c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
        }
    }
}
