//! XMP in a JPEG: the packet of the APP1 segment named
//! `http://ns.adobe.com/xap/1.0/`, and the software it names —
//! `xmp:CreatorTool`, `tiff:Software`, the software agents of
//! `xmpMM:History` and the text of `photoshop:History` — where editing and
//! beauty apps leave their name when EXIF has none (XMP specification
//! part 1 §8, part 2 §3.2 `stEvt:softwareAgent`).
//!
//! A missing, broken or hostile packet is simply no information: the XML
//! parser (roxmltree) expands no external entities and bounds entity depth.

/// The APP1 namespace of a standard XMP packet (the string and its NUL).
const XMP_NAMESPACE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Software named in the XMP packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpInfo {
    pub creator_tool: Option<String>,
    pub software: Option<String>,
    /// `stEvt:softwareAgent` of every history event, and `photoshop:History`.
    pub history: Vec<String>,
}

impl XmpInfo {
    /// Every piece of software named, with where it was found (the
    /// measurement's name).
    pub fn named(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(s) = &self.creator_tool {
            out.push(("xmp_creator_tool", s.as_str()));
        }
        if let Some(s) = &self.software {
            out.push(("xmp_software", s.as_str()));
        }
        out.extend(self.history.iter().map(|s| ("xmp_history", s.as_str())));
        out
    }
}

/// The XMP packet of a JPEG: the first APP1 segment with the XMP namespace,
/// looked for among the segments before the first scan.
pub fn find_packet(jpeg: &[u8]) -> Option<&[u8]> {
    if jpeg.len() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
        return None;
    }
    let mut pos = 2;
    while pos + 4 <= jpeg.len() {
        if jpeg[pos] != 0xFF {
            return None;
        }
        let marker = jpeg[pos + 1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        // Start of scan or end of image: no more metadata segments.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        if len < 2 {
            return None;
        }
        let body = jpeg.get(pos + 4..pos + 2 + len)?;
        if marker == 0xE1 {
            if let Some(packet) = body.strip_prefix(XMP_NAMESPACE) {
                return Some(packet);
            }
        }
        pos += 2 + len;
    }
    None
}

/// The software a packet names; nothing when it does not parse.
pub fn read_packet(packet: &[u8]) -> XmpInfo {
    let Ok(text) = std::str::from_utf8(packet) else {
        return XmpInfo::default();
    };
    // A packet may be padded with NULs or whitespace past its end.
    let text = text.trim_end_matches(['\0', ' ', '\n', '\r', '\t']);
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let Ok(doc) = roxmltree::Document::parse_with_options(text, options) else {
        return XmpInfo::default();
    };
    let mut info = XmpInfo::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        // Simple properties appear as attributes of rdf:Description or as
        // child elements; both forms are read.
        for attr in node.attributes() {
            take(&mut info, attr.namespace(), attr.name(), attr.value());
        }
        if let Some(text) = leaf_text(&node) {
            let name = node.tag_name();
            take(&mut info, name.namespace(), name.name(), text);
        }
    }
    info
}

/// Reads the XMP of a JPEG.
pub fn read_xmp(jpeg: &[u8]) -> XmpInfo {
    find_packet(jpeg).map(read_packet).unwrap_or_default()
}

/// Namespaces of the properties read.
const NS_XMP: &str = "http://ns.adobe.com/xap/1.0/";
const NS_TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
const NS_EVENT: &str = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#";
const NS_PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";

/// At most this many history entries are kept (a packet may list thousands).
const MAX_HISTORY: usize = 32;

fn take(info: &mut XmpInfo, namespace: Option<&str>, name: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    match (namespace, name) {
        (Some(NS_XMP), "CreatorTool") if info.creator_tool.is_none() => info.creator_tool = Some(value.to_string()),
        (Some(NS_TIFF), "Software") if info.software.is_none() => info.software = Some(value.to_string()),
        (Some(NS_EVENT), "softwareAgent") | (Some(NS_PHOTOSHOP), "History")
            if info.history.len() < MAX_HISTORY && !info.history.iter().any(|h| h == value) =>
        {
            info.history.push(value.to_string());
        }
        _ => {}
    }
}

/// The text of an element that holds only text (or an `rdf:Alt` of one
/// `rdf:li`, as some writers wrap simple values).
fn leaf_text<'a>(node: &roxmltree::Node<'a, '_>) -> Option<&'a str> {
    if node.children().all(|c| c.is_text()) {
        return node.text();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app1(packet: &str) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
        let len = 2 + XMP_NAMESPACE.len() + packet.len();
        j.extend_from_slice(&(len as u16).to_be_bytes());
        j.extend_from_slice(XMP_NAMESPACE);
        j.extend_from_slice(packet.as_bytes());
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]);
        j
    }

    const PACKET: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmp:CreatorTool="Meitu 9.6.5">
   <tiff:Software>BeautyCam</tiff:Software>
   <xmpMM:History><rdf:Seq>
    <rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop 25.0 (Windows)"/>
    <rdf:li><rdf:Description><stEvt:softwareAgent>Snapseed</stEvt:softwareAgent></rdf:Description></rdf:li>
   </rdf:Seq></xmpMM:History>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;

    #[test]
    fn reads_creator_tool_software_and_history_in_both_forms() {
        let info = read_xmp(&app1(PACKET));
        assert_eq!(info.creator_tool.as_deref(), Some("Meitu 9.6.5"));
        assert_eq!(info.software.as_deref(), Some("BeautyCam"));
        assert_eq!(info.history, ["Adobe Photoshop 25.0 (Windows)", "Snapseed"]);
        assert_eq!(info.named()[0], ("xmp_creator_tool", "Meitu 9.6.5"));
    }

    #[test]
    fn broken_missing_or_hostile_packets_are_no_information() {
        assert_eq!(read_xmp(b""), XmpInfo::default());
        assert_eq!(read_xmp(&app1("<x:xmpmeta")), XmpInfo::default());
        let mut cut = app1(PACKET);
        cut.truncate(40);
        assert_eq!(read_xmp(&cut), XmpInfo::default());
        // Entity expansion ("billion laughs") is refused with the DTD.
        let bomb = r#"<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>"#;
        assert_eq!(read_xmp(&app1(bomb)), XmpInfo::default());
        // Not in APP1 with the namespace: not XMP.
        let mut other = app1(PACKET);
        other[3] = 0xE2;
        assert_eq!(read_xmp(&other), XmpInfo::default());
    }
}
