//! Flowing layout on top of the PDF writer: headings, wrapped paragraphs, tables whose
//! header repeats after a page break, and the hospital-comparison bar chart, placed top to
//! bottom on A4 pages with a page break wherever the next piece does not fit, and every page
//! footed with the report's title and "Side N av M".

use kvalreg_analytics::svg::Bands;

use crate::pdf::{A4_HEIGHT, A4_WIDTH, Document, Font, Page, Rgb, wrap};

pub const MARGIN: f64 = 50.0;
const TOP: f64 = A4_HEIGHT - 56.0;
const BOTTOM: f64 = 56.0;

pub const INK: Rgb = Rgb(0.07, 0.07, 0.07);
pub const ACCENT: Rgb = Rgb(0.122, 0.306, 0.475);
pub const GREY: Rgb = Rgb(0.45, 0.45, 0.45);
pub const RULE: Rgb = Rgb(0.8, 0.8, 0.8);
pub const GREEN: Rgb = Rgb(0.784, 0.902, 0.788);
pub const YELLOW: Rgb = Rgb(1.0, 0.953, 0.769);
pub const RED: Rgb = Rgb(1.0, 0.804, 0.824);

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table column: its heading, width in points and alignment.
pub struct Column<'a> {
    pub title: &'a str,
    pub width: f64,
    pub align: Align,
}

/// A table cell: its text and an optional background.
pub struct Cell {
    pub text: String,
    pub fill: Option<Rgb>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            fill: None,
        }
    }

    pub fn filled(text: impl Into<String>, fill: Option<Rgb>) -> Cell {
        Cell {
            text: text.into(),
            fill,
        }
    }
}

/// One bar of the comparison chart.
pub struct ChartRow {
    pub label: String,
    /// (value, low, high), or none for low N.
    pub value: Option<(f64, f64, f64)>,
    pub text: String,
}

/// The pages being filled.
pub struct Flow {
    title: String,
    pages: Vec<Page>,
    page: Page,
    /// The top of the free space on the current page.
    y: f64,
}

impl Flow {
    pub fn new(title: &str) -> Flow {
        Flow {
            title: title.to_string(),
            pages: Vec::new(),
            page: Page::new(),
            y: TOP,
        }
    }

    /// The width between the margins.
    pub fn width() -> f64 {
        A4_WIDTH - 2.0 * MARGIN
    }

    fn new_page(&mut self) {
        let full = std::mem::take(&mut self.page);
        self.pages.push(full);
        self.y = TOP;
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn ensure(&mut self, height: f64) {
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    /// Starts a new page unless this one is still empty.
    pub fn page_break(&mut self) {
        if self.y < TOP {
            self.new_page();
        }
    }

    pub fn gap(&mut self, points: f64) {
        self.y -= points;
    }

    /// A heading kept together with at least `keep` points of what follows.
    pub fn heading(&mut self, text: &str, size: f64, keep: f64) {
        let lines = wrap(text, Font::HelveticaBold, size, Flow::width());
        let leading = size * 1.25;
        self.ensure(leading * lines.len() as f64 + keep + size * 0.6);
        self.gap(size * 0.6);
        for line in lines {
            self.page
                .text(MARGIN, self.y - size, Font::HelveticaBold, size, ACCENT, &line);
            self.y -= leading;
        }
        self.gap(size * 0.25);
    }

    /// A paragraph wrapped to the page width; it may break across pages between lines.
    pub fn paragraph(&mut self, text: &str, font: Font, size: f64, color: Rgb) {
        let leading = size * 1.35;
        for line in wrap(text, font, size, Flow::width()) {
            self.ensure(leading);
            self.page.text(MARGIN, self.y - size, font, size, color, &line);
            self.y -= leading;
        }
        self.gap(size * 0.5);
    }

    /// A table with the header repeated on each page it spans; cells wrap in their column.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<Cell>]) {
        const SIZE: f64 = 8.0;
        const LEADING: f64 = 10.0;
        const PAD: f64 = 2.5;
        let header_height = LEADING + 2.0 * PAD;
        let draw_header = |flow: &mut Flow| {
            let mut x = MARGIN;
            for c in columns {
                flow.cell_text(x, c, Font::HelveticaBold, SIZE, c.title, flow.y - PAD - SIZE);
                x += c.width;
            }
            flow.y -= header_height;
            let total: f64 = columns.iter().map(|c| c.width).sum();
            flow.page.line((MARGIN, flow.y), (MARGIN + total, flow.y), 0.8, INK);
        };
        self.ensure(header_height + LEADING + 2.0 * PAD);
        draw_header(self);
        for row in rows {
            let wrapped: Vec<Vec<String>> = columns
                .iter()
                .zip(row)
                .map(|(c, cell)| wrap(&cell.text, Font::Helvetica, SIZE, c.width - 3.0 * PAD))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = lines as f64 * LEADING + 2.0 * PAD;
            if self.y - height < BOTTOM {
                self.new_page();
                draw_header(self);
            }
            let mut x = MARGIN;
            for ((c, cell), lines) in columns.iter().zip(row).zip(&wrapped) {
                if let Some(fill) = cell.fill {
                    self.page.fill_rect(x, self.y - height, c.width, height, fill);
                }
                for (i, line) in lines.iter().enumerate() {
                    let baseline = self.y - PAD - SIZE - i as f64 * LEADING;
                    self.cell_text(x, c, Font::Helvetica, SIZE, line, baseline);
                }
                x += c.width;
            }
            self.y -= height;
            let total: f64 = columns.iter().map(|c| c.width).sum();
            self.page.line((MARGIN, self.y), (MARGIN + total, self.y), 0.3, RULE);
        }
        self.gap(8.0);
    }

    fn cell_text(&mut self, x: f64, column: &Column, font: Font, size: f64, text: &str, baseline: f64) {
        const PAD: f64 = 2.5;
        match column.align {
            Align::Left => self.page.text(x + 2.0 * PAD, baseline, font, size, INK, text),
            Align::Right => self
                .page
                .text_right(x + column.width - PAD, baseline, font, size, INK, text),
        }
    }

    /// Sorted horizontal bars with interval whiskers over the green, yellow and red bands
    /// (as the SVG figure of the quality pages draws them), split over pages when long.
    pub fn bar_chart(&mut self, rows: &[ChartRow], bands: Option<Bands>, max: f64, format: &dyn Fn(f64) -> String) {
        const ROW: f64 = 11.0;
        const AXIS: f64 = 14.0;
        const LABEL: f64 = 72.0;
        const TEXT: f64 = 120.0;
        const SIZE: f64 = 7.0;
        let max = if max > 0.0 && max.is_finite() { max } else { 1.0 };
        let plot = Flow::width() - LABEL - TEXT;
        let left = MARGIN + LABEL;
        let x = |v: f64| left + (v.clamp(0.0, max) / max) * plot;
        // A chart that fits on one page is not split: it starts a new page when needed.
        let whole = AXIS + ROW * rows.len() as f64 + 4.0;
        if whole <= TOP - BOTTOM {
            self.ensure(whole);
        }
        let mut rest = rows;
        while !rest.is_empty() {
            self.ensure(AXIS + ROW * rest.len().min(4) as f64 + 4.0);
            let fits = (((self.y - BOTTOM - AXIS - 4.0) / ROW).floor().max(1.0)) as usize;
            let (chunk, later) = rest.split_at(fits.min(rest.len()));
            rest = later;
            let top = self.y - AXIS;
            let height = ROW * chunk.len() as f64;
            let bottom = top - height;
            if let Some(b) = bands {
                let (first, second) = if b.higher_is_better {
                    (b.yellow, b.green)
                } else {
                    (b.green, b.yellow)
                };
                let spans = if b.higher_is_better {
                    [(RED, 0.0, first), (YELLOW, first, second), (GREEN, second, max)]
                } else {
                    [(GREEN, 0.0, first), (YELLOW, first, second), (RED, second, max)]
                };
                for (color, from, to) in spans {
                    if to > from {
                        self.page.fill_rect(x(from), bottom, x(to) - x(from), height, color);
                    }
                }
            }
            for tick in 0..=4 {
                let v = max * f64::from(tick) / 4.0;
                self.page.line((x(v), top), (x(v), bottom), 0.3, GREY);
                self.page
                    .text_centred(x(v), top + 4.0, Font::Helvetica, SIZE, GREY, &format(v));
            }
            for (i, row) in chunk.iter().enumerate() {
                let row_top = top - ROW * i as f64;
                let middle = row_top - ROW / 2.0;
                let baseline = middle - SIZE * 0.35;
                self.page
                    .text_right(left - 4.0, baseline, Font::Helvetica, SIZE, INK, &row.label);
                if let Some((value, low, high)) = row.value {
                    self.page
                        .fill_rect(left, middle - 3.0, (x(value) - left).max(0.8), 6.0, ACCENT);
                    self.page.line((x(low), middle), (x(high), middle), 0.8, INK);
                    self.page.line((x(low), middle - 2.5), (x(low), middle + 2.5), 0.8, INK);
                    self.page
                        .line((x(high), middle - 2.5), (x(high), middle + 2.5), 0.8, INK);
                }
                self.page
                    .text(left + plot + 5.0, baseline, Font::Helvetica, SIZE, INK, &row.text);
            }
            self.y = bottom - 6.0;
        }
        self.gap(4.0);
    }

    /// The finished document, every page footed with the title and its number.
    pub fn finish(mut self) -> Document {
        self.new_page();
        // The last `new_page` left an empty page only if nothing was drawn after a break.
        if self.pages.len() > 1 && self.pages.last().is_some_and(|p| p.content().is_empty()) {
            self.pages.pop();
        }
        let count = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.line((MARGIN, BOTTOM - 14.0), (A4_WIDTH - MARGIN, BOTTOM - 14.0), 0.3, RULE);
            page.text(MARGIN, BOTTOM - 26.0, Font::Helvetica, 8.0, GREY, &self.title);
            let number = format!("Side {} av {count}", i + 1);
            page.text_right(A4_WIDTH - MARGIN, BOTTOM - 26.0, Font::Helvetica, 8.0, GREY, &number);
        }
        Document {
            title: self.title,
            pages: self.pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack.windows(needle.len()).filter(|w| *w == needle).count()
    }

    #[test]
    fn a_long_table_breaks_pages_repeating_its_header_and_every_page_is_numbered() {
        let mut flow = Flow::new("Tittel");
        let rows: Vec<Vec<Cell>> = (0..200)
            .map(|i| vec![Cell::new(format!("rad {i}")), Cell::new(i.to_string())])
            .collect();
        let columns = [
            Column {
                title: "Kolonneoverskrift",
                width: 200.0,
                align: Align::Left,
            },
            Column {
                title: "n",
                width: 50.0,
                align: Align::Right,
            },
        ];
        flow.table(&columns, &rows);
        let doc = flow.finish();
        let pages = doc.pages.len();
        assert!(pages >= 3, "200 rows of 15 pt need several pages: {pages}");
        for (i, page) in doc.pages.iter().enumerate() {
            let content = page.content();
            assert_eq!(
                count(content, b"(Kolonneoverskrift)"),
                1,
                "header once on page {}",
                i + 1
            );
            let number = format!("(Side {} av {pages})", i + 1);
            assert_eq!(count(content, number.as_bytes()), 1, "page {} numbered", i + 1);
        }
        let all: Vec<u8> = doc.pages.iter().flat_map(|p| p.content().to_vec()).collect();
        assert_eq!(count(&all, b"(rad "), 200, "every row once");
    }

    #[test]
    fn a_chart_that_fits_a_page_is_kept_whole() {
        let mut flow = Flow::new("T");
        flow.gap(500.0);
        let rows: Vec<ChartRow> = (0..40)
            .map(|i| ChartRow {
                label: format!("H{i:02}"),
                value: Some((0.5, 0.4, 0.6)),
                text: "50 %".into(),
            })
            .collect();
        flow.bar_chart(&rows, None, 1.0, &|v| format!("{v}"));
        let doc = flow.finish();
        assert_eq!(doc.pages.len(), 2);
        let second = doc.pages[1].content();
        assert_eq!(count(second, b"(H"), 40, "all bars on the second page");
    }
}
