//! Text as the bytes of WinAnsiEncoding (Windows code page 1252), the encoding the PDF's
//! standard fonts are told to use, so Norwegian letters (æ ø å Æ Ø Å) and é reach the page.

/// The characters of 0x80–0x9F, where WinAnsi differs from Latin-1 (unused codes are absent).
const HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// Characters outside the encoding that have a plain spelling in it.
const SPELLED: [(char, &str); 6] = [
    ('≥', ">="),
    ('≤', "<="),
    ('−', "-"),
    ('‑', "-"),
    ('≈', "~"),
    ('→', "->"),
];

/// The byte of one character, if WinAnsi has it.
pub fn byte_of(c: char) -> Option<u8> {
    let code = u32::from(c);
    match code {
        0x20..=0x7E | 0xA0..=0xFF => u8::try_from(code).ok(),
        _ => HIGH.iter().find(|(h, _)| *h == c).map(|&(_, b)| b),
    }
}

/// Encodes text: WinAnsi characters as their byte, tabs and line breaks as spaces, a few
/// symbols spelled out (`≥` as `>=`), and anything else as `?`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(b) = byte_of(c) {
            out.push(b);
        } else if c.is_whitespace() {
            out.push(b' ');
        } else if let Some((_, spelled)) = SPELLED.iter().find(|(s, _)| *s == c) {
            out.extend_from_slice(spelled.as_bytes());
        } else {
            out.push(b'?');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_letters_are_their_cp1252_bytes() {
        assert_eq!(encode("æøå"), [0xE6, 0xF8, 0xE5]);
        assert_eq!(encode("ÆØÅ"), [0xC6, 0xD8, 0xC5]);
        assert_eq!(encode("é"), [0xE9]);
        assert_eq!(encode("Årsrapport"), b"\xC5rsrapport");
    }

    #[test]
    fn the_windows_block_and_substitutes() {
        assert_eq!(encode("40–50 €"), [b'4', b'0', 0x96, b'5', b'0', b' ', 0x80]);
        assert_eq!(encode("«ja»"), [0xAB, b'j', b'a', 0xBB]);
        assert_eq!(encode("≥ 90"), b">= 90");
        assert_eq!(encode("a\tb\nc"), b"a b c");
        assert_eq!(encode("漢"), b"?");
        assert_eq!(byte_of('\u{81}'), None, "0x81 is unused in WinAnsi");
    }
}
