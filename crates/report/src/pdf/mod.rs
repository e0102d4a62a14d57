//! A small PDF 1.4 writer for reports: A4 pages of text in the standard fonts Helvetica and
//! Helvetica-Bold (WinAnsiEncoding, nothing embedded), lines and filled rectangles, measured
//! and wrapped text, and a correct cross-reference table. Content streams are written
//! uncompressed, so the output is plain to inspect and the crate needs no compressor.
//!
//! Coordinates are PDF points (1/72 inch) from the bottom-left corner of the page.

pub mod helvetica;
pub mod winansi;

/// A4 in points.
pub const A4_WIDTH: f64 = 595.276;
pub const A4_HEIGHT: f64 = 841.89;

/// One of the two standard fonts the writer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Helvetica,
    HelveticaBold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
        }
    }

    fn bold(self) -> bool {
        self == Font::HelveticaBold
    }
}

/// A colour as red, green and blue from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);

    /// A colour from `0xRRGGBB`.
    pub fn hex(rgb: u32) -> Rgb {
        let part = |shift: u32| f64::from((rgb >> shift) & 0xFF) / 255.0;
        Rgb(part(16), part(8), part(0))
    }
}

/// The width of text in points, set in `font` at `size`.
pub fn text_width(text: &str, font: Font, size: f64) -> f64 {
    bytes_width(&winansi::encode(text), font, size)
}

fn bytes_width(bytes: &[u8], font: Font, size: f64) -> f64 {
    let thousandths: u32 = bytes.iter().map(|&b| u32::from(helvetica::width(b, font.bold()))).sum();
    f64::from(thousandths) * size / 1000.0
}

/// Breaks text into lines no wider than `width` at spaces; a word wider than the line is
/// broken between characters. A line break in the text starts a new line; empty lines are
/// dropped, so an empty text is no lines.
pub fn wrap(text: &str, font: Font, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, font, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: break it if it does not fit either.
            for c in word.chars() {
                line.push(c);
                if text_width(&line, font, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Writes a PDF string literal of text: WinAnsi bytes in parentheses, with `(`, `)` and `\`
/// escaped and control bytes written as octal escapes.
pub fn string_literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for b in winansi::encode(text) {
        match b {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0x00..=0x1F => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b')');
    out
}

/// One page's drawing operations.
#[derive(Debug, Clone, Default)]
pub struct Page {
    content: Vec<u8>,
}

impl Page {
    pub fn new() -> Page {
        Page::default()
    }

    /// Text whose baseline starts at (x, y).
    pub fn text(&mut self, x: f64, y: f64, font: Font, size: f64, color: Rgb, text: &str) {
        let head = format!(
            "BT /{} {} Tf {} rg {} {} Td ",
            font.resource(),
            num(size),
            rgb(color),
            num(x),
            num(y)
        );
        self.content.extend_from_slice(head.as_bytes());
        self.content.extend_from_slice(&string_literal(text));
        self.content.extend_from_slice(b" Tj ET\n");
    }

    /// Text ending at x (right-aligned).
    pub fn text_right(&mut self, x: f64, y: f64, font: Font, size: f64, color: Rgb, text: &str) {
        self.text(x - text_width(text, font, size), y, font, size, color, text);
    }

    /// Text centred on x.
    pub fn text_centred(&mut self, x: f64, y: f64, font: Font, size: f64, color: Rgb, text: &str) {
        self.text(x - text_width(text, font, size) / 2.0, y, font, size, color, text);
    }

    /// A straight line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), width: f64, color: Rgb) {
        let op = format!(
            "{} w {} RG {} {} m {} {} l S\n",
            num(width),
            rgb(color),
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1)
        );
        self.content.extend_from_slice(op.as_bytes());
    }

    /// A filled rectangle with its lower-left corner at (x, y).
    pub fn fill_rect(&mut self, x: f64, y: f64, width: f64, height: f64, color: Rgb) {
        let op = format!(
            "{} rg {} {} {} {} re f\n",
            rgb(color),
            num(x),
            num(y),
            num(width),
            num(height)
        );
        self.content.extend_from_slice(op.as_bytes());
    }

    /// The operations so far, as the content stream will hold them.
    pub fn content(&self) -> &[u8] {
        &self.content
    }
}

fn rgb(color: Rgb) -> String {
    format!("{} {} {}", num(color.0), num(color.1), num(color.2))
}

/// A number as PDF writes it: at most two decimals, no exponent, no trailing zeros.
pub fn num(value: f64) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A whole document: its title (for the document information) and its A4 pages in order.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    pub pages: Vec<Page>,
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_string(),
            pages: Vec::new(),
        }
    }

    /// The PDF file. Objects: 1 catalog, 2 page tree, 3 and 4 the fonts, 5 the document
    /// information, then per page its page object and its content stream. A document
    /// without pages gets one empty page (a page tree must not be empty for readers).
    pub fn to_bytes(&self) -> Vec<u8> {
        let empty = [Page::new()];
        let pages: &[Page] = if self.pages.is_empty() { &empty } else { &self.pages };
        let page_id = |i: usize| 6 + 2 * i;
        let mut out: Vec<u8> = Vec::new();
        // The comment with bytes above 127 tells transfer tools the file is binary.
        out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
        let mut offsets: Vec<usize> = Vec::new();
        let mut object = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", page_id(i))).collect();
        object(
            &mut out,
            format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).as_bytes(),
        );
        for name in ["Helvetica", "Helvetica-Bold"] {
            object(
                &mut out,
                format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>").as_bytes(),
            );
        }
        let mut info = b"<< /Title ".to_vec();
        info.extend_from_slice(&string_literal(&self.title));
        info.extend_from_slice(b" /Producer (kvalreg) >>");
        object(&mut out, &info);
        for (i, page) in pages.iter().enumerate() {
            object(
                &mut out,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    num(A4_WIDTH),
                    num(A4_HEIGHT),
                    page_id(i) + 1
                )
                .as_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", page.content.len()).into_bytes();
            stream.extend_from_slice(&page.content);
            stream.extend_from_slice(b"\nendstream");
            object(&mut out, &stream);
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
        for offset in &offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                offsets.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position of `needle` in `haystack`.
    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    fn sample() -> Vec<u8> {
        let mut doc = Document::new("Årsrapport (test)");
        for n in 1..=3 {
            let mut page = Page::new();
            page.text(
                50.0,
                800.0,
                Font::HelveticaBold,
                14.0,
                Rgb::BLACK,
                &format!("Side {n}: æøå"),
            );
            page.fill_rect(50.0, 700.0, 100.0, 10.0, Rgb::hex(0xc8e6c9));
            page.line((50.0, 690.0), (150.0, 690.0), 0.5, Rgb::BLACK);
            doc.pages.push(page);
        }
        doc.to_bytes()
    }

    #[test]
    fn every_xref_offset_points_at_its_object() {
        let pdf = sample();
        let tail = &pdf[pdf.len() - 40..];
        let startxref: usize = std::str::from_utf8(tail)
            .expect("the end is ASCII")
            .rsplit("startxref\n")
            .next()
            .and_then(|rest| rest.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert_eq!(
            &pdf[startxref..startxref + 5],
            b"xref\n",
            "startxref points at the table"
        );
        let table = std::str::from_utf8(&pdf[startxref..]).expect("the table is ASCII");
        let mut lines = table.lines().skip(1);
        let header = lines.next().expect("subsection header");
        let count: usize = header.split(' ').nth(1).and_then(|n| n.parse().ok()).expect("count");
        assert_eq!(count, 5 + 2 * 3 + 1, "free entry, 5 fixed objects and 2 per page");
        assert_eq!(lines.next(), Some("0000000000 65535 f "));
        for number in 1..count {
            let entry = lines.next().expect("entry");
            assert_eq!(entry.len(), 19, "20 bytes with the newline: {entry:?}");
            assert!(entry.ends_with(" 00000 n "), "{entry:?}");
            let offset: usize = entry[..10].parse().expect("offset");
            let expected = format!("{number} 0 obj\n");
            assert_eq!(
                &pdf[offset..offset + expected.len()],
                expected.as_bytes(),
                "object {number} is where the table says"
            );
        }
        assert!(table.contains(&format!("/Size {count}")));
        assert!(pdf.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn stream_lengths_are_exact() {
        let pdf = sample();
        let mut at = 0;
        let mut streams = 0;
        while let Some(start) = find(&pdf[at..], b"/Length ") {
            let start = at + start + 8;
            let end = start + find(&pdf[start..], b" ").expect("number ends");
            let length: usize = std::str::from_utf8(&pdf[start..end]).unwrap().parse().unwrap();
            let data = start + find(&pdf[start..], b"stream\n").unwrap() + 7;
            assert_eq!(&pdf[data + length..data + length + 10], b"\nendstream");
            at = data + length;
            streams += 1;
        }
        assert_eq!(streams, 3);
    }

    #[test]
    fn text_is_winansi_with_escapes() {
        let pdf = sample();
        assert!(
            find(&pdf, b"(Side 1: \xE6\xF8\xE5) Tj").is_some(),
            "æøå as CP1252 bytes"
        );
        assert!(find(&pdf, b"/Title (\xC5rsrapport \\(test\\))").is_some());
        assert!(find(&pdf, b"/Encoding /WinAnsiEncoding").is_some());
        assert_eq!(string_literal(r"a(b)c\d"), br"(a\(b\)c\\d)".to_vec());
        assert_eq!(
            string_literal("\u{1}"),
            b"(?)".to_vec(),
            "no control bytes reach the page"
        );
    }

    #[test]
    fn an_empty_document_still_has_a_page() {
        let pdf = Document::new("x").to_bytes();
        assert!(find(&pdf, b"/Count 1").is_some());
    }

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn text_is_measured_and_wrapped() {
        // "Hei" in Helvetica: H 722 + e 556 + i 222 = 1500/1000 of the size.
        assert!((text_width("Hei", Font::Helvetica, 10.0) - 15.0).abs() < 1e-9);
        assert!((text_width("æ", Font::Helvetica, 10.0) - 8.89).abs() < 1e-9);
        let lines = wrap("en to tre fire fem seks", Font::Helvetica, 10.0, 40.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(text_width(line, Font::Helvetica, 10.0) <= 40.0, "{line:?}");
        }
        assert_eq!(lines.join(" "), "en to tre fire fem seks");
        let long = wrap("Hjerneslagregisteret", Font::Helvetica, 10.0, 30.0);
        assert!(long.len() > 2 && long.concat() == "Hjerneslagregisteret", "{long:?}");
        assert!(wrap("", Font::Helvetica, 10.0, 30.0).is_empty());
    }
}
