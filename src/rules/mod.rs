//! The rulebook as data: plans, clauses, material slots, file-name aliases
//! and every threshold the checks use, loaded from TOML and validated once.
//!
//! The default rulebook (`rulebook.toml`) is compiled in; `--rules FILE`
//! replaces it. A wrong rulebook is refused as a whole with the line of the
//! first problem, so a centre never runs half a rulebook.

mod checklist;
mod eligibility;
mod messages;

pub use checklist::{plans_json, Checklist, Material};
pub use eligibility::{
    CertificateKind, CertificateNeed, Counting, EducationLevel, EducationNeed, EligibilityRules, PlanEligibility,
    Route, WorkFrom,
};

pub use messages::{Lang, Messages};

use crate::codes::Severity;
use crate::error::Error;
use crate::format::Format;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The compiled-in default rulebook.
pub const DEFAULT_RULEBOOK: &str = include_str!("rulebook.toml");

/// A validated rulebook together with the message catalogue.
#[derive(Debug, Clone)]
pub struct Rules {
    book: Rulebook,
    pub messages: Messages,
    slot_index: HashMap<String, usize>,
}

/// The rulebook file, as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    pub version: u32,
    pub limits: Limits,
    pub kinds: Kinds,
    pub photo: PhotoRules,
    pub id_card: IdCardRules,
    pub document: DocumentRules,
    pub slots: Vec<SlotDef>,
    pub plans: Vec<Plan>,
    pub eligibility: EligibilityRules,
    pub fix: FixRules,
}

/// Hard limits on what any input may cost (SPEC §5).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_request_bytes: u64,
    pub max_pixels: u64,
    pub max_archive_entries: u32,
    pub max_archive_uncompressed_bytes: u64,
    pub max_archive_entry_ratio: u32,
    pub max_pdf_pages: u32,
    pub time_budget_ms: u64,
    /// file.too_complex: a JPEG with more scans than this, or whose scans ×
    /// pixels (the work of a progressive decode) exceed `max_scan_pixels`,
    /// is refused before decoding.
    pub max_jpeg_scans: u32,
    pub max_scan_pixels: u64,
    /// file.too_complex: a progressive JPEG of more pixels than this (its
    /// decoder holds every coefficient of the image).
    pub max_progressive_pixels: u64,
    /// A file of no known slot is decoded at this long side (DCT scaling).
    pub unknown_slot_long_side: u32,
}

/// The kinds of material, each with its file rules.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Kinds {
    pub portrait: KindRules,
    pub id_card: KindRules,
    pub handwritten_form: KindRules,
    pub certificate: KindRules,
}

/// What a file of one kind must be.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KindRules {
    pub formats: Vec<Format>,
    /// The size window (size.out_of_range), both ends inclusive.
    #[serde(default)]
    pub min_bytes: Option<u64>,
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// A hard cap below `limits.max_file_bytes` (file.too_large).
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
    /// document.resolution_too_low: the long side in pixels.
    #[serde(default)]
    pub min_long_side: Option<u32>,
    /// Photos whose long side is over twice this are decoded at a reduced
    /// scale (JPEG DCT scaling) to about this size: the checks of paper need
    /// ~1000-1500 px, not 12 MP.
    #[serde(default)]
    pub analysis_long_side: Option<u32>,
}

/// Thresholds of the 1-inch photo checks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoRules {
    pub aspect_ratio: f64,
    pub aspect_tolerance: f64,
    pub min_width: u32,
    pub min_height: u32,
    pub background: BackgroundRules,
    pub grayscale: GrayscaleRules,
    pub blur: BlurRules,
    pub exposure: ExposureRules,
    pub face: FaceRules,
    pub recaptured: RecapturedRules,
    #[serde(default)]
    pub editing_software: Vec<SoftwareRule>,
}

/// Evidence that a photo is a photo of a print or of a card.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecapturedRules {
    /// An object inside the frame: at least this share of the image, and
    /// this far (CIELAB ΔE) from the frame's outer ring.
    pub min_object_area: f64,
    pub min_object_delta_e: f64,
    /// … and no more than this share (above, it is the photo's own frame).
    pub max_object_area: f64,
    /// The object is looked for on a copy with this long side.
    pub object_analysis_size: u32,
    /// The halftone screen is looked for around this point (shares of the
    /// width and height: the face of a 1-inch photo).
    pub screen_centre: [f64; 2],
    /// A halftone screen: periodic power, in two directions, this many times
    /// the median at its frequency.
    pub min_screen_ratio: f64,
}

/// Where the background is sampled and what counts as white (CIELAB).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundRules {
    pub top_band: f64,
    pub side_band: f64,
    pub side_band_bottom: f64,
    pub min_lightness: f64,
    pub max_abs_a: f64,
    pub min_b: f64,
    pub max_b: f64,
    pub min_white_fraction: f64,
}

/// When a photo counts as black and white.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GrayscaleRules {
    pub chroma: f64,
    pub min_colour_fraction: f64,
}

/// The blur limit and the size it is measured at.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BlurRules {
    pub analysis_height: u32,
    pub max_blur: f64,
}

/// Exposure limits on the central region's luma.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureRules {
    pub min_median: u8,
    pub max_median: u8,
    pub max_clipped_fraction: f64,
    pub max_crushed_fraction: f64,
    /// Where the luma is measured (x0, y0, x1, y1 as shares of the photo):
    /// the face region of a 1-inch photo.
    pub region: [f64; 4],
}

/// Face geometry of a 1-inch photo, as fractions of the photo.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaceRules {
    /// First detection pass: image width in pixels, and how much larger
    /// each scale's window is than the previous one.
    pub first_width: u32,
    pub first_scale_factor: f64,
    /// A first-pass face with fewer grouped hits than this, or narrower
    /// than `width_min`, sends the photo to the second pass.
    pub first_min_score: f64,
    /// Second pass, run when the first does not settle it.
    pub second_width: u32,
    pub second_scale_factor: f64,
    /// Padding added on every side, as a fraction of the width.
    pub pad: f64,
    /// Raw hits a face needs around it.
    pub min_neighbours: usize,
    /// Face box width / photo width.
    pub width_min: f64,
    pub width_max: f64,
    /// |face box centre x - 0.5 × width| / width.
    pub max_centre_offset: f64,
    /// Face box top / photo height.
    pub top_min: f64,
    pub top_max: f64,
    /// Face box bottom / photo height.
    pub bottom_max: f64,
}

/// The editing or beauty app that an EXIF `Software` value names, if any
/// (patterns matched case-insensitively as substrings).
pub fn editing_app<'a>(list: &'a [SoftwareRule], software: &str) -> Option<&'a SoftwareRule> {
    let lower = software.to_lowercase();
    list.iter().find(|a| lower.contains(&a.pattern.to_lowercase()))
}

/// An EXIF `Software` value that marks an editing or beauty app.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareRule {
    /// Matched case-insensitively as a substring.
    pub pattern: String,
    pub name: String,
    pub severity: Severity,
}

/// Thresholds of the ID-card checks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdCardRules {
    pub aspect_ratio: f64,
    pub aspect_tolerance: f64,
    pub min_area_fraction: f64,
    /// Retired with the region search (issue 14); still accepted so that
    /// older rulebooks load, and read by nothing.
    #[serde(default)]
    pub min_delta_e: Option<f64>,
    /// The quad search proposes no card smaller than this share of the image.
    pub min_region_fraction: f64,
    /// idcard.not_found below this quad score (see `measure::quad`).
    pub min_quad_score: f64,
    /// With no card-shaped quadrilateral, one of another shape is reported
    /// as `not_card_shaped` only below this share of the image (above it, it
    /// is the frame's own edges).
    pub max_shape_area: f64,
    /// The quad search's corner margin and frame-side factor (see
    /// `measure::quad::QuadSearch`).
    pub corner_margin: f64,
    pub frame_side_factor: f64,
    /// idcard.cropped when a corner lies further than this share of the
    /// image's diagonal outside the frame.
    pub max_corner_outside: f64,
    /// The band whose colour is the card's background: from this share of
    /// the card's size beyond its sides …
    pub background_band_inner: f64,
    /// … to this share.
    pub background_band_outer: f64,
    /// Blur index on the rectified card (see `[photo.blur]`).
    pub max_blur: f64,
    /// Exposure and glare are measured inside this box of the rectified
    /// card (x0, y0, x1, y1 as shares), away from its rounded corners.
    pub inner_region: [f64; 4],
    pub min_median: f64,
    pub max_median: f64,
    /// The largest fraction of the card that may be blown out by glare
    /// (luma 250 or more, as the exposure measure counts clipping).
    pub max_glare_fraction: f64,
    /// The margin around the card: white paper, not a desk.
    pub background_min_lightness: f64,
    /// … no darker than the card's own margin by more than this (L*) …
    pub background_max_darker: f64,
    /// … and its a*b* no further than this from the card margin's.
    pub background_max_chroma: f64,
    /// idcard.occluded at the card's edge: the ring (mm inside the outline)
    /// searched for something lying on the card, the rounded corners left
    /// out, and the smallest piece (mm², share of the ring's width spanned)
    /// that counts (see `measure::card::margin_objects`).
    pub margin_ring_mm: [f64; 2],
    pub margin_corner_mm: f64,
    pub margin_object_min_mm2: f64,
    pub margin_object_min_depth: f64,
    /// The red emblem of the back: pixels with a* above this, as a fraction
    /// of the card's top-left quarter.
    pub emblem_min_a: f64,
    pub emblem_min_fraction: f64,
    /// Where the emblem is on the back (x0, y0, x1, y1 as shares of the
    /// rectified card); turned half a turn for a card upside down.
    pub emblem_region: [f64; 4],
    /// Where the portrait is on the front, likewise.
    pub portrait_region: [f64; 4],
    /// Which slot holds which side.
    pub front_slot: String,
    pub back_slot: String,
    /// Reading the card's number and validity lines (`[id_card.read]`).
    pub read: IdCardRead,
}

/// Where the card's lines are and how sure a read must be before a verdict
/// rests on it (`measure::idtext`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdCardRead {
    /// Scale the bands are warped to.
    pub px_per_mm: f64,
    /// The 公民身份号码 value's band (x0, y0, x1, y1 as shares of the card,
    /// long side first) and its digit height in mm.
    pub number_band: [f64; 4],
    pub number_digit_mm: f64,
    /// The 有效期限 value's band and digit height.
    pub validity_band: [f64; 4],
    pub validity_digit_mm: f64,
    /// The front's 性别 and 出生 values' bands, and the 出生 digits' height
    /// (the number is compared with them).
    pub sex_band: [f64; 4],
    pub birth_band: [f64; 4],
    pub birth_digit_mm: f64,
    /// A read whose least character probability is below this gives no
    /// verdict (only measurements).
    pub min_confidence: f64,
    /// The same for the front's 出生 and 性别, read only to cross-check the
    /// number: a misread there would reject a card whose number is right.
    pub printed_min_confidence: f64,
    /// The spans a real card's validity has, in years (长期 aside).
    pub validity_years: Vec<i32>,
    /// idcard.occluded: something covering at least this share of a line's
    /// band in one piece (see `measure::idtext::occlusion`).
    pub occlusion_min_fraction: f64,
    /// A piece of the band counts toward it when darker than the fitted
    /// light by this share of it (a stain, a finger: reflectance, so dim
    /// light scales it) …
    pub occlusion_dark_share: f64,
    /// … or lighter by this many levels (a label; noise is averaged first).
    pub occlusion_light_levels: f64,
}

/// Photographed paper: forms and certificates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRules {
    /// The page search and blur work on a copy with this long side.
    pub analysis_long_side: u32,
    /// document.not_found below this share of the frame.
    pub min_page_fraction: f64,
    /// The quad search proposes no page smaller than this share.
    pub min_region_fraction: f64,
    /// The shapes a page or certificate may have (long / short side, with
    /// perspective undone) and the tolerance of that prior.
    pub page_aspects: Vec<f64>,
    pub page_aspect_tolerance: f64,
    /// document.not_found below this quad score.
    pub min_quad_score: f64,
    /// The quad search's corner margin and frame-side factor.
    pub corner_margin: f64,
    pub frame_side_factor: f64,
    /// The score of "the whole frame is the page", proposed when paper
    /// reaches every frame edge with print inside (a scanner app's crop).
    pub full_frame_score: f64,
    /// document.cropped when a corner lies further than this share of the
    /// image's diagonal outside the frame.
    pub max_corner_outside: f64,
    /// document.blurry above this blur index.
    pub max_blur: f64,
    /// document.exposure: the paper's median brightness (75th percentile
    /// luma per cell, median over the cells) below this is too dark …
    pub min_paper_brightness: u8,
    /// … and a cell darker than this share of the brightest is a shadow.
    pub min_shadow_ratio: f64,
    /// … and a page on a surface (not a scanner's crop) with this share of
    /// its cells clipped (75th percentile luma at or above
    /// `clipped_paper_brightness`) is too bright.
    pub clipped_paper_brightness: u8,
    pub max_clipped_cells: f64,
    /// form.not_photographed: pure-white share and flat share of bright
    /// pixels at or above which an image is digitally made.
    pub digital_white_fraction: f64,
    pub digital_flat_fraction: f64,
    /// … unless a page is found whose surround is at most this share pure
    /// white (a sheet lying on something: an overexposed photo,
    /// `document.exposure` too_bright).
    pub render_min_surround_white: f64,
    pub form: FormRules,
}

/// What is written on a form (`measure::ink`), in pixels of the page
/// flattened to `analysis_width` unless a share.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormRules {
    pub analysis_width: u32,
    /// Ink: luma below this share of the paper level.
    pub ink_ratio: f64,
    /// A ruled line: a horizontal run of ink at least this share of the width.
    pub min_line: f64,
    /// A column separates two cells when ink covers this share of the row.
    pub separator_cover: f64,
    /// A field holding at least this many ink pixels is written in.
    pub min_field_ink: u32,
    /// The field above a fill-in line: this share of the page height.
    pub fill_line_field: f64,
    /// Blue pen ink: blue above the larger of red and green by this much.
    pub blue_excess: u8,
    /// form.blank: at least `min_fields` fields found, at least
    /// `max_empty_share` of them and at least `min_empty_fields` empty, and
    /// less blue ink than `min_blue_ink` (share of the page).
    pub min_fields: u32,
    pub max_empty_share: f64,
    pub min_empty_fields: u32,
    pub min_blue_ink: f64,
    /// A scribble: ink pixels whose (2r + 1)² square is all ink, in a blob of
    /// at least `min_scribble_area` such pixels.
    pub scribble_radius: u32,
    pub min_scribble_area: u32,
    /// Correction tape: 3 × 3 mean luma above the paper level by this share,
    /// over at least `min_tape_area` pixels filling `min_tape_fill` of its box.
    pub tape_brightness: f64,
    pub min_tape_area: u32,
    pub min_tape_fill: f64,
    /// … with at least three edges that climb from a quarter to three
    /// quarters of its brightness within this many pixels.
    pub max_tape_edge: u32,
    /// A strike-through: a straight run of ink `min_strike`–`max_strike` of
    /// the width long with writing just above and below it over
    /// `strike_crossed` of its length.
    pub min_strike: f64,
    pub max_strike: f64,
    pub strike_crossed: f64,
    /// … that writing `strike_gap`–`strike_reach` px from the stroke, the
    /// stroke followed at slopes up to `strike_max_slope` degrees in steps of
    /// `strike_slope_step`.
    pub strike_gap: u32,
    pub strike_reach: u32,
    pub strike_max_slope: f64,
    pub strike_slope_step: f64,
    /// Marks within this share of the flattened page's size from its edge
    /// are something lying across it (a pen, a phone), not corrections.
    pub edge_clutter: f64,
    /// form.altered for marks outside the fields (they may be print): a
    /// reviewer should look.
    pub altered_severity: Severity,
    /// form.altered when a mark lies inside a field (a cell, a fill-in
    /// line's strip): what was written was changed.
    pub altered_in_field_severity: Severity,
    /// form.not_handwritten: characters of the fill-ins whose shapes
    /// correlate by at least `typed_similarity` are one character; when at
    /// least `typed_min_pairs` such pairs are found and at least
    /// `typed_min_share` of them are also of one size, and under
    /// `typed_max_blue_share` of the fill-in ink is blue (a pen's), the
    /// entries were typed.
    pub typed_similarity: f64,
    pub typed_min_pairs: u32,
    pub typed_min_share: f64,
    pub typed_max_blue_share: f64,
    pub not_handwritten_severity: Severity,
}

/// What `prescreen fix` makes of a photo: `[fix]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixRules {
    pub face_width: f64,
    pub face_top: f64,
    pub max_face_width: f64,
    pub photo_width: u32,
    pub search_first_width: u32,
    pub search_width: u32,
    pub decode_long_side: u32,
    pub card_margin: f64,
    pub card_long_side: u32,
    pub document_long_side: u32,
    pub quality_start: u8,
    pub quality_min: u8,
    pub quality_max: u8,
    pub max_encodes: u32,
}

/// The kind of a material, which decides the checks it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Portrait,
    IdCard,
    HandwrittenForm,
    Certificate,
}

/// One material slot (an upload field).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlotDef {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub kind: Kind,
    /// Several files may fill this slot (the pages of a form).
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Groups of key words; a name holding every word of a group points at
    /// this slot when no alias matches.
    #[serde(default)]
    pub keywords: Vec<Vec<String>>,
}

/// A plan: one occupation and level with its clauses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub source: String,
    pub common_slots: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<PlanAlias>,
    #[serde(default)]
    pub slot_names_zh: BTreeMap<String, String>,
    #[serde(default)]
    pub notes_zh: Vec<String>,
    #[serde(default)]
    pub notes_en: Vec<String>,
    #[serde(default)]
    pub applicant_data_rules_zh: Vec<String>,
    #[serde(default)]
    pub applicant_data_rules_en: Vec<String>,
    #[serde(default)]
    pub related_occupations: Vec<String>,
    /// How work counts towards the clauses; none: the plan's conditions
    /// are not in the rulebook (materials only).
    #[serde(default)]
    pub eligibility: Option<PlanEligibility>,
    pub clauses: Vec<Clause>,
}

/// File-name aliases that hold only within one plan.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanAlias {
    pub slot: String,
    pub names: Vec<String>,
}

/// One eligibility clause and the slots it needs beyond the plan's common ones.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub n: u32,
    pub condition_zh: String,
    pub condition_en: String,
    pub slots: Vec<String>,
    /// The ways to meet the clause (any one), when the plan has eligibility data.
    #[serde(default)]
    pub routes: Vec<Route>,
}

impl Plan {
    /// The plan id as a plain string.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The clause numbered `n`.
    pub fn clause(&self, n: u32) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.n == n)
    }

    /// Every slot the clause needs: the common ones, then the clause's own.
    pub fn required_slots(&self, clause: &Clause) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.common_slots.iter().chain(clause.slots.iter()) {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }
}

impl Limits {
    /// The most bytes a file of `format` may have: a zip holds a whole
    /// application, so it may be as large as a request; anything else is
    /// one file. The one place this rule is written (the CLI's reader, the
    /// server's multipart reader and the archive check all ask here).
    pub fn cap_for(&self, format: Format) -> u64 {
        match format {
            Format::Zip => self.max_request_bytes.max(self.max_file_bytes),
            _ => self.max_file_bytes,
        }
    }
}

impl KindRules {
    /// The hard size cap of this kind: its own, never above the global one.
    pub fn file_cap(&self, limits: &Limits) -> u64 {
        self.max_file_bytes
            .map_or(limits.max_file_bytes, |c| c.min(limits.max_file_bytes))
    }
}

impl Rules {
    /// The compiled-in rulebook. It is tested, so failing here is a build defect.
    pub fn builtin() -> Result<Rules, Error> {
        Rules::from_toml(DEFAULT_RULEBOOK)
    }

    /// Loads and validates a rulebook file.
    pub fn from_path(path: &Path) -> Result<Rules, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Rules::from_toml(&text)
    }

    /// Parses and validates a rulebook text. The typed rulebook carries no
    /// spans: a problem found after parsing names the key it is about, and
    /// its line is looked up in the document here.
    pub fn from_toml(text: &str) -> Result<Rules, Error> {
        let book: Rulebook = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            Error::Rules {
                line,
                message: e.message().to_string(),
            }
        })?;
        let slot_index = validate(&book).map_err(|p| Error::Rules {
            line: line_at(text, &p.at),
            message: p.message,
        })?;
        let messages = Messages::builtin(&book)?;
        Ok(Rules {
            book,
            messages,
            slot_index,
        })
    }

    /// Hard limits on what any input may cost.
    pub fn limits(&self) -> &Limits {
        &self.book.limits
    }

    /// What `prescreen fix` aims at.
    pub fn fix(&self) -> &FixRules {
        &self.book.fix
    }

    /// The shared eligibility values (tolerances, code formats).
    pub fn eligibility(&self) -> &EligibilityRules {
        &self.book.eligibility
    }

    /// The 1-inch photo's thresholds.
    pub fn photo(&self) -> &PhotoRules {
        &self.book.photo
    }

    /// The ID card's thresholds.
    pub fn id_card(&self) -> &IdCardRules {
        &self.book.id_card
    }

    /// Photographed paper's thresholds.
    pub fn document(&self) -> &DocumentRules {
        &self.book.document
    }

    /// Every material slot, in rulebook order.
    pub fn slots(&self) -> &[SlotDef] {
        &self.book.slots
    }

    /// Every plan, in rulebook order.
    pub fn plans(&self) -> &[Plan] {
        &self.book.plans
    }

    /// The rulebook's format version.
    pub fn version(&self) -> u32 {
        self.book.version
    }

    /// The slot with this id.
    pub fn slot(&self, id: &str) -> Option<&SlotDef> {
        self.slot_index.get(id).map(|&i| &self.book.slots[i])
    }

    /// The plan with this id.
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.book.plans.iter().find(|p| p.id() == id)
    }

    /// Every slot id, comma-separated, for messages that list them.
    pub fn slot_ids(&self) -> String {
        let ids: Vec<&str> = self.book.slots.iter().map(|s| s.id.as_str()).collect();
        ids.join(", ")
    }

    /// The plan `id`, or an error naming the plans there are.
    pub fn plan_or_err(&self, id: &str) -> Result<&Plan, Error> {
        self.plan(id).ok_or_else(|| Error::UnknownPlan {
            plan: id.to_string(),
            known: self.book.plans.iter().map(|p| p.id()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Clause `n` of plan `id`, or an error naming what there is.
    pub fn plan_clause(&self, id: &str, n: u32) -> Result<(&Plan, &Clause), Error> {
        let plan = self.plan_or_err(id)?;
        let clause = plan.clause(n).ok_or_else(|| Error::UnknownClause {
            plan: id.to_string(),
            n,
            known: plan
                .clauses
                .iter()
                .map(|c| c.n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        Ok((plan, clause))
    }

    /// The file rules of a kind.
    pub fn kind(&self, kind: Kind) -> &KindRules {
        match kind {
            Kind::Portrait => &self.book.kinds.portrait,
            Kind::IdCard => &self.book.kinds.id_card,
            Kind::HandwrittenForm => &self.book.kinds.handwritten_form,
            Kind::Certificate => &self.book.kinds.certificate,
        }
    }

    /// The slot a file name points at: every alias that the normalised name
    /// contains is a candidate, plan aliases before global ones, longest
    /// first. Two different slots tied at the longest length is no answer.
    pub fn infer_slot(&self, file_name: &str, plan: Option<&Plan>) -> Option<&SlotDef> {
        let name = normalise_name(file_name);
        // (alias, slot) pairs: the plan's own first; a plan alias hides a
        // global alias of the same text.
        let mut candidates: Vec<(String, &str)> = Vec::new();
        if let Some(p) = plan {
            for a in &p.aliases {
                for n in &a.names {
                    candidates.push((normalise_name(n), &a.slot));
                }
            }
        }
        let plan_count = candidates.len();
        for s in &self.book.slots {
            for a in &s.aliases {
                let n = normalise_name(a);
                if !candidates[..plan_count].iter().any(|(p, _)| *p == n) {
                    candidates.push((n, &s.id));
                }
            }
        }
        let matching = candidates
            .iter()
            .filter(|(a, _)| !a.is_empty() && name.contains(a.as_str()));
        let Some(longest) = matching.clone().map(|(a, _)| a.chars().count()).max() else {
            return self.slot_by_keywords(&name);
        };
        let mut slots = matching.filter(|(a, _)| a.chars().count() == longest).map(|(_, s)| *s);
        let first = slots.next()?;
        if slots.any(|s| s != first) {
            return None;
        }
        self.slot(first)
    }

    /// The one slot whose key-word groups the normalised name holds (every
    /// word of one group); none, or two slots, is no answer.
    fn slot_by_keywords(&self, name: &str) -> Option<&SlotDef> {
        let mut hits = self.book.slots.iter().filter(|s| {
            s.keywords
                .iter()
                .any(|group| !group.is_empty() && group.iter().all(|w| name.contains(normalise_name(w).as_str())))
        });
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    }

    /// The name of a slot in a language, with the plan's own wording if any.
    pub fn slot_name(&self, id: &str, lang: Lang, plan: Option<&Plan>) -> String {
        if lang == Lang::Zh {
            if let Some(n) = plan.and_then(|p| p.slot_names_zh.get(id)) {
                return n.clone();
            }
        }
        match self.slot(id) {
            Some(s) => match lang {
                Lang::Zh => s.zh.clone(),
                Lang::En => s.en.clone(),
            },
            None => id.to_string(),
        }
    }
}

/// Lower-cases a file name, drops its extension and folds separators, so
/// that `ID-Front.JPG` and `id_front.jpg` match the same alias.
pub fn normalise_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    };
    stem.chars()
        .map(|c| match c {
            '-' | ' ' | '.' | '　' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The line of the value at a dotted path (`plans.0.clauses.2.n`; numbers
/// index arrays), or of the deepest table on the way that exists.
fn line_at(text: &str, path: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut span = doc.span();
    let mut here: Option<&DeValue<'_>> = None;
    let mut table = Some(doc.get_ref());
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let next = match (table, here) {
            (Some(t), _) => t.iter().find(|(k, _)| k.get_ref().as_ref() == seg).map(|(_, v)| v),
            (None, Some(DeValue::Array(a))) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(v) = next else { break };
        span = v.span();
        here = Some(v.get_ref());
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    Some(line_of(text, span.start))
}

/// A rulebook problem found after parsing: the key it is about and what is
/// wrong.
#[derive(Debug)]
struct Problem {
    at: String,
    message: String,
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        at: at.into(),
        message: message.into(),
    }
}

/// Checks everything serde cannot: references between tables, duplicates and
/// ranges. Returns the slot index.
fn validate(book: &Rulebook) -> Result<HashMap<String, usize>, Problem> {
    let slots = validate_slots(&book.slots)?;
    validate_plans(&book.plans, &slots)?;
    validate_kinds(book)?;
    validate_photo(&book.photo)?;
    validate_fractions(book)?;
    validate_paper(book)?;
    eligibility::validate_shared(&book.eligibility)?;
    validate_fix(book)?;
    for (pi, p) in book.plans.iter().enumerate() {
        eligibility::validate_plan(&format!("plans.{pi}"), p)?;
    }
    Ok(slots)
}

/// Unique slot ids, and no alias shared by two slots.
fn validate_slots(slots: &[SlotDef]) -> Result<HashMap<String, usize>, Problem> {
    let mut index = HashMap::new();
    for (i, s) in slots.iter().enumerate() {
        if index.insert(s.id.clone(), i).is_some() {
            return Err(problem(
                format!("slots.{i}.id"),
                format!("duplicate slot id {:?}", s.id),
            ));
        }
    }
    for (i, s) in slots.iter().enumerate() {
        if s.keywords
            .iter()
            .any(|g| g.is_empty() || g.iter().any(|w| normalise_name(w).is_empty()))
        {
            return Err(problem(
                format!("slots.{i}.keywords"),
                format!("slot {:?} has an empty key-word group or word", s.id),
            ));
        }
    }
    let mut alias_owner: HashMap<String, &str> = HashMap::new();
    for (i, s) in slots.iter().enumerate() {
        for a in &s.aliases {
            if let Some(other) = alias_owner.insert(normalise_name(a), &s.id) {
                if other != s.id {
                    return Err(problem(
                        format!("slots.{i}.id"),
                        format!("alias {a:?} of slot {:?} is also an alias of {other:?}", s.id),
                    ));
                }
            }
        }
    }
    Ok(index)
}

/// Unique plan ids and clause numbers; every slot a plan names exists.
fn validate_plans(plans: &[Plan], slots: &HashMap<String, usize>) -> Result<(), Problem> {
    let known = |at: String, s: &String| -> Result<(), Problem> {
        if slots.contains_key(s) {
            Ok(())
        } else {
            Err(problem(at, format!("unknown slot {s:?}")))
        }
    };
    let mut plan_ids = HashSet::new();
    for (pi, p) in plans.iter().enumerate() {
        let at = format!("plans.{pi}");
        if !plan_ids.insert(p.id.clone()) {
            return Err(problem(format!("{at}.id"), format!("duplicate plan id {:?}", p.id)));
        }
        for (i, s) in p.common_slots.iter().enumerate() {
            known(format!("{at}.common_slots.{i}"), s)?;
        }
        for (i, a) in p.aliases.iter().enumerate() {
            known(format!("{at}.aliases.{i}.slot"), &a.slot)?;
        }
        if let Some(id) = p.slot_names_zh.keys().find(|id| !slots.contains_key(*id)) {
            return Err(problem(
                format!("{at}.slot_names_zh"),
                format!("slot_names_zh names unknown slot {id:?}"),
            ));
        }
        if p.clauses.is_empty() {
            return Err(problem(format!("{at}.id"), format!("plan {:?} has no clauses", p.id)));
        }
        let mut numbers = HashSet::new();
        for (ci, c) in p.clauses.iter().enumerate() {
            let at = format!("{at}.clauses.{ci}");
            if !numbers.insert(c.n) {
                return Err(problem(
                    format!("{at}.n"),
                    format!("duplicate clause {} in plan {:?}", c.n, p.id),
                ));
            }
            for (i, s) in c.slots.iter().enumerate() {
                known(format!("{at}.slots.{i}"), s)?;
            }
        }
    }
    Ok(())
}

/// The fix's face geometry inside the photo's limits, qualities in order.
fn validate_fix(book: &Rulebook) -> Result<(), Problem> {
    let f = &book.fix;
    let face = &book.photo.face;
    if !(face.width_min..=face.width_max).contains(&f.face_width)
        || !(f.face_width..=face.width_max).contains(&f.max_face_width)
    {
        return Err(problem(
            "fix.face_width",
            "face_width <= max_face_width, both within photo.face width_min-width_max",
        ));
    }
    if !(face.top_min..=face.top_max).contains(&f.face_top) {
        return Err(problem(
            "fix.face_top",
            "face_top must be within photo.face top_min-top_max",
        ));
    }
    if f.photo_width < book.photo.min_width {
        return Err(problem(
            "fix.photo_width",
            "photo_width must be at least photo.min_width",
        ));
    }
    if !(1..=100).contains(&f.quality_min)
        || f.quality_min > f.quality_start
        || f.quality_start > f.quality_max
        || f.quality_max > 100
    {
        return Err(problem(
            "fix.quality_start",
            "need 1 <= quality_min <= quality_start <= quality_max <= 100",
        ));
    }
    if f.max_encodes == 0 || !(0.0..0.5).contains(&f.card_margin) {
        return Err(problem(
            "fix.max_encodes",
            "max_encodes >= 1 and card_margin in [0, 0.5)",
        ));
    }
    Ok(())
}

/// Each kind: a size window whose ends go together and are ordered, a cap
/// within the global one, at least one format.
fn validate_kinds(book: &Rulebook) -> Result<(), Problem> {
    for (name, k) in [
        ("portrait", &book.kinds.portrait),
        ("id_card", &book.kinds.id_card),
        ("handwritten_form", &book.kinds.handwritten_form),
        ("certificate", &book.kinds.certificate),
    ] {
        let at = format!("kinds.{name}");
        match (k.min_bytes, k.max_bytes) {
            (Some(min), Some(max)) if min > max => {
                return Err(problem(
                    format!("{at}.min_bytes"),
                    format!("{at}: min_bytes {min} > max_bytes {max}"),
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(problem(
                    at.clone(),
                    format!("{at}: min_bytes and max_bytes go together"),
                ));
            }
            _ => {}
        }
        if k.max_file_bytes.is_some_and(|cap| cap > book.limits.max_file_bytes) {
            return Err(problem(
                format!("{at}.max_file_bytes"),
                format!("{at}: max_file_bytes is above limits.max_file_bytes"),
            ));
        }
        if k.formats.is_empty() {
            return Err(problem(format!("{at}.formats"), format!("{at}: no formats")));
        }
    }
    Ok(())
}

/// Ordered pairs and usable scale factors in `[photo]`.
fn validate_photo(ph: &PhotoRules) -> Result<(), Problem> {
    let bg = &ph.background;
    if bg.min_b > bg.max_b {
        return Err(problem(
            "photo.background.min_b",
            format!("photo.background: min_b {} > max_b {}", bg.min_b, bg.max_b),
        ));
    }
    let ex = &ph.exposure;
    if ex.min_median > ex.max_median {
        return Err(problem(
            "photo.exposure.min_median",
            format!(
                "photo.exposure: min_median {} > max_median {}",
                ex.min_median, ex.max_median
            ),
        ));
    }
    let f = &ph.face;
    if f.width_min > f.width_max {
        return Err(problem("photo.face.width_min", "photo.face: width_min > width_max"));
    }
    if f.top_min > f.top_max {
        return Err(problem("photo.face.top_min", "photo.face: top_min > top_max"));
    }
    // A factor of 1 or less would never reach the next scale.
    for (key, factor) in [
        ("first_scale_factor", f.first_scale_factor),
        ("second_scale_factor", f.second_scale_factor),
    ] {
        if !(factor > 1.0 && factor <= 2.0) {
            return Err(problem(
                format!("photo.face.{key}"),
                "photo.face: a scale factor must be above 1 and at most 2",
            ));
        }
    }
    if !is_box(ph.exposure.region) {
        return Err(problem(
            "photo.exposure.region",
            "photo.exposure.region must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1",
        ));
    }
    let rc = &ph.recaptured;
    if !rc.screen_centre.iter().all(|v| (0.0..=1.0).contains(v)) || rc.object_analysis_size < 16 {
        return Err(problem(
            "photo.recaptured",
            "photo.recaptured: screen_centre must be shares (0-1) and object_analysis_size at least 16",
        ));
    }
    if ph.aspect_ratio <= 0.0 || ph.blur.analysis_height < 32 {
        return Err(problem(
            "photo.aspect_ratio",
            "photo.aspect_ratio must be positive and photo.blur.analysis_height at least 32",
        ));
    }
    Ok(())
}

/// Every value that is a share of something lies in 0..=1.
fn validate_fractions(book: &Rulebook) -> Result<(), Problem> {
    let (ph, id, doc) = (&book.photo, &book.id_card, &book.document);
    let (bg, ex, form) = (&ph.background, &ph.exposure, &doc.form);
    let fractions = [
        ("photo.background.top_band", bg.top_band),
        ("photo.background.side_band", bg.side_band),
        ("photo.background.side_band_bottom", bg.side_band_bottom),
        ("photo.background.min_white_fraction", bg.min_white_fraction),
        ("photo.grayscale.min_colour_fraction", ph.grayscale.min_colour_fraction),
        ("photo.exposure.max_clipped_fraction", ex.max_clipped_fraction),
        ("photo.exposure.max_crushed_fraction", ex.max_crushed_fraction),
        ("photo.aspect_tolerance", ph.aspect_tolerance),
        ("photo.recaptured.max_object_area", ph.recaptured.max_object_area),
        ("id_card.aspect_tolerance", id.aspect_tolerance),
        ("id_card.min_area_fraction", id.min_area_fraction),
        ("id_card.min_quad_score", id.min_quad_score),
        ("id_card.corner_margin", id.corner_margin),
        ("id_card.frame_side_factor", id.frame_side_factor),
        ("id_card.max_corner_outside", id.max_corner_outside),
        ("id_card.max_shape_area", id.max_shape_area),
        ("id_card.background_band_inner", id.background_band_inner),
        ("id_card.background_band_outer", id.background_band_outer),
        ("id_card.margin_object_min_depth", id.margin_object_min_depth),
        ("document.corner_margin", doc.corner_margin),
        ("document.frame_side_factor", doc.frame_side_factor),
        ("document.page_aspect_tolerance", doc.page_aspect_tolerance),
        ("document.min_quad_score", doc.min_quad_score),
        ("document.full_frame_score", doc.full_frame_score),
        ("document.max_corner_outside", doc.max_corner_outside),
        ("document.form.ink_ratio", form.ink_ratio),
        ("document.form.min_line", form.min_line),
        ("document.form.separator_cover", form.separator_cover),
        ("document.form.fill_line_field", form.fill_line_field),
        ("document.form.max_empty_share", form.max_empty_share),
        ("document.form.min_blue_ink", form.min_blue_ink),
        ("document.form.tape_brightness", form.tape_brightness),
        ("document.form.min_tape_fill", form.min_tape_fill),
        ("document.form.min_strike", form.min_strike),
        ("document.form.max_strike", form.max_strike),
        ("document.form.strike_crossed", form.strike_crossed),
        ("document.form.edge_clutter", form.edge_clutter),
        ("document.min_region_fraction", doc.min_region_fraction),
    ];
    match fractions.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
        Some((name, v)) => Err(problem(
            *name,
            format!("{name} = {v} is not a fraction between 0 and 1"),
        )),
        None => Ok(()),
    }
}

/// Whether `[x0, y0, x1, y1]` is a non-empty box of shares.
fn is_box([x0, y0, x1, y1]: [f64; 4]) -> bool {
    (0.0..1.0).contains(&x0) && (0.0..1.0).contains(&y0) && x0 < x1 && y0 < y1 && x1 <= 1.0 && y1 <= 1.0
}

/// The card's background band and the paper's shapes and form sizes.
fn validate_paper(book: &Rulebook) -> Result<(), Problem> {
    // The flattened page's size bounds the form measure's memory and time.
    let form = &book.document.form;
    if !(256..=2048).contains(&form.analysis_width) || !(1..=16).contains(&form.scribble_radius) {
        return Err(problem(
            "document.form",
            "document.form: analysis_width must be 256-2048 and scribble_radius 1-16",
        ));
    }
    if form.strike_gap == 0 || form.strike_gap > form.strike_reach {
        return Err(problem(
            "document.form.strike_gap",
            "document.form.strike_gap must be at least 1 and at most strike_reach",
        ));
    }
    if !(form.strike_slope_step > 0.0 && (0.0..=45.0).contains(&form.strike_max_slope)) {
        return Err(problem(
            "document.form.strike_slope_step",
            "document.form: strike_slope_step must be positive and strike_max_slope 0-45 degrees",
        ));
    }
    if form.min_strike >= form.max_strike {
        return Err(problem(
            "document.form.min_strike",
            format!(
                "document.form.min_strike ({}) must be below max_strike ({})",
                form.min_strike, form.max_strike
            ),
        ));
    }
    let id = &book.id_card;
    // The ring must lie inside the card's 5 mm quiet margin.
    let [r0, r1] = id.margin_ring_mm;
    if !(0.0 <= r0 && r0 < r1 && r1 <= 10.0 && (0.0..=10.0).contains(&id.margin_corner_mm)) {
        return Err(problem(
            "id_card.margin_ring_mm",
            "id_card.margin_ring_mm must be [inner, outer] with 0 <= inner < outer <= 10 mm, and margin_corner_mm 0-10",
        ));
    }
    let read = &id.read;
    if !(read.occlusion_dark_share > 0.0
        && read.occlusion_dark_share < 1.0
        && read.occlusion_light_levels > 0.0
        && read.occlusion_min_fraction > 0.0
        && read.occlusion_min_fraction <= 1.0
        && (0.0..=1.0).contains(&read.min_confidence)
        && (0.0..=1.0).contains(&read.printed_min_confidence))
    {
        return Err(problem(
            "id_card.read.occlusion_dark_share",
            "id_card.read: occlusion_dark_share must be between 0 and 1, occlusion_light_levels positive, occlusion_min_fraction in (0, 1], min_confidence and printed_min_confidence in [0, 1]",
        ));
    }
    for (key, b) in [
        ("inner_region", id.inner_region),
        ("emblem_region", id.emblem_region),
        ("portrait_region", id.portrait_region),
    ] {
        if !is_box(b) {
            return Err(problem(
                format!("id_card.{key}"),
                format!("id_card.{key} must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"),
            ));
        }
    }
    if id.background_band_inner >= id.background_band_outer {
        return Err(problem(
            "id_card.background_band_inner",
            "id_card.background_band_inner must be below background_band_outer",
        ));
    }
    let doc = &book.document;
    if doc.page_aspects.is_empty() || doc.page_aspects.iter().any(|a| !(1.0..=4.0).contains(a)) {
        return Err(problem(
            "document.page_aspects",
            "document.page_aspects must list long/short ratios between 1 and 4",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rulebook_loads() {
        let r = Rules::builtin().unwrap();
        assert_eq!(r.plans().len(), 2);
        assert_eq!(r.slots().len(), 13);
    }

    #[test]
    fn names_are_normalised_before_matching() {
        assert_eq!(normalise_name("dir/ID-Front.JPG"), "id_front");
        assert_eq!(normalise_name("一寸照 (1).jpeg"), "一寸照_(1)");
    }
}
