//! Glyph widths of the standard fonts Helvetica and Helvetica-Bold (from Adobe's AFM
//! metrics, in 1/1000 of the font size) for WinAnsi bytes, so text can be measured and
//! wrapped without embedding a font.

/// Widths of bytes 0x20–0x7E: Helvetica.
const REGULAR_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space – /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 – ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ – O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P – _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` – o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p – ~
];

/// Widths of bytes 0x20–0x7E: Helvetica-Bold.
const BOLD_ASCII: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space – /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0 – ?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @ – O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P – _
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // ` – o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p – ~
];

/// Widths of the bytes above 0x7E the reports use: (byte, Helvetica, Helvetica-Bold).
const HIGH: [(u8, u16, u16); 38] = [
    (0x80, 556, 556),   // Euro
    (0x85, 1000, 1000), // ellipsis
    (0x91, 222, 278),   // quoteleft
    (0x92, 222, 278),   // quoteright
    (0x93, 333, 500),   // quotedblleft
    (0x94, 333, 500),   // quotedblright
    (0x95, 350, 350),   // bullet
    (0x96, 556, 556),   // endash
    (0x97, 1000, 1000), // emdash
    (0xA0, 278, 278),   // nbspace
    (0xA7, 556, 556),   // section
    (0xAB, 556, 556),   // guillemotleft
    (0xB0, 400, 400),   // degree
    (0xB1, 584, 584),   // plusminus
    (0xB7, 278, 278),   // periodcentered
    (0xBB, 556, 556),   // guillemotright
    (0xC4, 667, 722),   // Adieresis
    (0xC5, 667, 722),   // Aring
    (0xC6, 1000, 1000), // AE
    (0xC9, 667, 667),   // Eacute
    (0xD6, 778, 778),   // Odieresis
    (0xD7, 584, 584),   // multiply
    (0xD8, 778, 778),   // Oslash
    (0xDC, 722, 722),   // Udieresis
    (0xE0, 556, 556),   // agrave
    (0xE1, 556, 556),   // aacute
    (0xE4, 556, 556),   // adieresis
    (0xE5, 556, 556),   // aring
    (0xE6, 889, 889),   // ae
    (0xE8, 556, 556),   // egrave
    (0xE9, 556, 556),   // eacute
    (0xEA, 556, 556),   // ecircumflex
    (0xF3, 556, 611),   // oacute
    (0xF4, 556, 611),   // ocircumflex
    (0xF6, 556, 611),   // odieresis
    (0xF7, 584, 584),   // divide
    (0xF8, 611, 611),   // oslash
    (0xFC, 556, 611),   // udieresis
];

/// Width used for a byte the tables do not list (an average lower-case letter).
const FALLBACK: u16 = 556;

/// The width of one WinAnsi byte in 1/1000 of the font size.
pub fn width(byte: u8, bold: bool) -> u16 {
    match byte {
        0x20..=0x7E => {
            let table = if bold { &BOLD_ASCII } else { &REGULAR_ASCII };
            table[usize::from(byte - 0x20)]
        }
        _ => HIGH
            .iter()
            .find(|(b, _, _)| *b == byte)
            .map_or(FALLBACK, |&(_, regular, heavy)| if bold { heavy } else { regular }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_the_afm_files() {
        assert_eq!(width(b' ', false), 278);
        assert_eq!(width(b'A', false), 667);
        assert_eq!(width(b'A', true), 722);
        assert_eq!(width(b'i', false), 222);
        assert_eq!(width(b'W', true), 944);
        assert_eq!(width(b'~', false), 584);
        assert_eq!(width(0xE6, false), 889, "ae");
        assert_eq!(width(0xC5, true), 722, "Aring bold");
    }
}
