//! The annual report as a PDF: the same sections and words as the HTML twin, laid out on A4
//! pages with the flow of [`crate::layout`].

use kvalreg_core::definition::Level;

use super::html::figure_max;
use super::text;
use super::{AnnualReport, Coverage, IndicatorSection};
use crate::layout::{ACCENT, Align, Cell, ChartRow, Column, Flow, GREEN, GREY, INK, RED, YELLOW};
use crate::pdf::Font;

const BODY: f64 = 9.5;

fn level_fill(level: Option<Level>) -> Option<crate::pdf::Rgb> {
    match level? {
        Level::Green => Some(GREEN),
        Level::Yellow => Some(YELLOW),
        Level::Red => Some(RED),
    }
}

impl AnnualReport {
    /// The report as a PDF file.
    pub fn pdf(&self) -> Vec<u8> {
        let title = text::title(self);
        let mut flow = Flow::new(&title);
        flow.gap(60.0);
        flow.paragraph("Årsrapport", Font::HelveticaBold, 30.0, ACCENT);
        flow.paragraph(
            &format!("{} {}", self.register_title, self.year),
            Font::HelveticaBold,
            20.0,
            INK,
        );
        flow.gap(10.0);
        flow.paragraph(
            &format!(
                "Resultater for norske sykehus fra registerets ferdigstilte og låste registreringer. Indikatorene er beregnet per 31.12.{}. Laget {}.",
                self.year,
                kvalreg_core::time::format_date_norwegian(self.made)
            ),
            Font::Helvetica,
            11.0,
            GREY,
        );
        flow.gap(20.0);

        flow.heading("1. Sammendrag", 16.0, 40.0);
        for p in text::summary(self) {
            flow.paragraph(&p, Font::Helvetica, BODY, INK);
        }
        let (green, yellow, red, none) = text::level_counts(self);
        let c = self.counts;
        let key = [
            ("Registreringer", c.total().to_string(), None),
            ("Ferdigstilte og låste", c.counted().to_string(), None),
            ("Sykehus som registrerte", self.hospitals_registering.to_string(), None),
            ("Indikatorer nasjonalt grønne", green.to_string(), Some(GREEN)),
            ("Indikatorer nasjonalt gule", yellow.to_string(), Some(YELLOW)),
            ("Indikatorer nasjonalt røde", red.to_string(), Some(RED)),
            ("Indikatorer uten nivå", none.to_string(), None),
        ];
        let rows: Vec<Vec<Cell>> = key
            .into_iter()
            .map(|(name, n, fill)| vec![Cell::new(name), Cell::filled(n, fill)])
            .collect();
        flow.table(
            &[
                Column {
                    title: &format!("Nøkkeltall {}", self.year),
                    width: 200.0,
                    align: Align::Left,
                },
                Column {
                    title: "",
                    width: 60.0,
                    align: Align::Right,
                },
            ],
            &rows,
        );

        flow.heading("2. Om registeret", 16.0, 40.0);
        for p in text::description(self) {
            flow.paragraph(&p, Font::Helvetica, BODY, INK);
        }
        flow.paragraph("Dette registreres:", Font::Helvetica, BODY, INK);
        for form in &self.description.forms {
            flow.paragraph(
                &format!("• {}: {}", form.title, form.sections.join(", ")),
                Font::Helvetica,
                BODY,
                INK,
            );
        }

        flow.page_break();
        flow.heading("3. Resultater per kvalitetsindikator", 16.0, 60.0);
        for (i, section) in self.indicators.iter().enumerate() {
            self.indicator_pdf(&mut flow, i + 1, section);
        }

        flow.heading("4. Dekningsgrad og kompletthet", 16.0, 40.0);
        flow.paragraph(&text::coverage_intro(self), Font::Helvetica, BODY, INK);
        if let Coverage::Imported { hospitals, national } = &self.coverage {
            let mut rows: Vec<Vec<Cell>> = hospitals
                .iter()
                .map(|(code, name, r)| {
                    vec![
                        Cell::new(format!("{name} ({code})")),
                        Cell::new(r.matched.to_string()),
                        Cell::new(r.register_only.to_string()),
                        Cell::new(r.patient_register_only.to_string()),
                        Cell::filled(
                            format!(
                                "{}{}",
                                text::percent(r.coverage),
                                if r.low_coverage { " – lav" } else { "" }
                            ),
                            r.low_coverage.then_some(RED),
                        ),
                    ]
                })
                .collect();
            if let Some(n) = national {
                rows.push(vec![
                    Cell::new("Norge"),
                    Cell::new(n.matched.to_string()),
                    Cell::new(n.register_only.to_string()),
                    Cell::new(n.patient_register_only.to_string()),
                    Cell::new(text::percent(n.coverage)),
                ]);
            }
            flow.table(
                &[
                    Column {
                        title: "Sykehus",
                        width: 215.0,
                        align: Align::Left,
                    },
                    Column {
                        title: "I begge",
                        width: 60.0,
                        align: Align::Right,
                    },
                    Column {
                        title: "Bare i registeret",
                        width: 80.0,
                        align: Align::Right,
                    },
                    Column {
                        title: "Bare i NPR",
                        width: 60.0,
                        align: Align::Right,
                    },
                    Column {
                        title: "Dekningsgrad",
                        width: 80.0,
                        align: Align::Right,
                    },
                ],
                &rows,
            );
        }

        flow.heading("5. Datakvalitet", 16.0, 40.0);
        for p in text::quality_intro(self) {
            flow.paragraph(&p, Font::Helvetica, BODY, INK);
        }
        let rows: Vec<Vec<Cell>> = self
            .quality
            .iter()
            .map(|q| {
                vec![
                    Cell::new(format!("{} ({})", q.label, q.name)),
                    Cell::new(text::requirement(q.required)),
                    Cell::new(q.applies.to_string()),
                    Cell::new(format!("{} ({})", q.missing, text::share(q.missing, q.applies))),
                    Cell::new(format!("{} ({})", q.unknown, text::share(q.unknown, q.applies))),
                ]
            })
            .collect();
        flow.table(
            &[
                Column {
                    title: "Variabel",
                    width: 195.0,
                    align: Align::Left,
                },
                Column {
                    title: "Påkrevd",
                    width: 70.0,
                    align: Align::Left,
                },
                Column {
                    title: "Gjelder",
                    width: 50.0,
                    align: Align::Right,
                },
                Column {
                    title: "Mangler",
                    width: 90.0,
                    align: Align::Right,
                },
                Column {
                    title: "Ukjent",
                    width: 90.0,
                    align: Align::Right,
                },
            ],
            &rows,
        );
        flow.finish().to_bytes()
    }

    fn indicator_pdf(&self, flow: &mut Flow, number: usize, section: &IndicatorSection) {
        let indicator = &section.indicator;
        // The heading is kept with its definition, national figure and target levels.
        flow.heading(&format!("3.{number} {}", indicator.title.nb), 12.5, 150.0);
        for line in text::definition(section) {
            flow.paragraph(&line, Font::Helvetica, 8.5, GREY);
        }
        let national = match &section.national {
            Some(r) => format!(
                "Nasjonalt: {}{}",
                text::result(indicator, r),
                match text::level(r.level) {
                    "" => String::new(),
                    word => format!(" – {word}"),
                }
            ),
            None => format!("Nasjonalt: ingen registreringer i nevneren i {}.", self.year),
        };
        flow.paragraph(&national, Font::HelveticaBold, BODY, INK);
        flow.paragraph(
            &format!("Målnivå: {}", text::targets(indicator)),
            Font::Helvetica,
            BODY,
            INK,
        );
        if section.hospitals.is_empty() {
            flow.paragraph(
                &format!("Ingen sykehus har resultater i {}.", self.year),
                Font::Helvetica,
                BODY,
                INK,
            );
            return;
        }
        let rows: Vec<ChartRow> = section
            .hospitals
            .iter()
            .map(|h| ChartRow {
                label: h.code.clone(),
                value: text::bar_value(&h.result),
                text: text::bar_text(indicator, &h.result),
            })
            .collect();
        let bands = text::bands(indicator);
        flow.paragraph(
            &format!(
                "Figur: sykehusene sortert fra best til dårligst med {} over grønt, gult og rødt målnivå.",
                if text::is_proportion(indicator) {
                    "95 % konfidensintervall"
                } else {
                    "kvartiler"
                }
            ),
            Font::Helvetica,
            8.0,
            GREY,
        );
        flow.bar_chart(&rows, bands, figure_max(section), &|v| text::axis(indicator, v));
        let table: Vec<Vec<Cell>> = section
            .hospitals
            .iter()
            .map(|h| {
                vec![
                    Cell::new(format!("{} ({})", h.name, h.code)),
                    Cell::new(h.result.denominator.to_string()),
                    Cell::new(text::result(indicator, &h.result)),
                    Cell::filled(text::level(h.result.level), level_fill(h.result.level)),
                ]
            })
            .collect();
        flow.table(
            &[
                Column {
                    title: "Sykehus",
                    width: 205.0,
                    align: Align::Left,
                },
                Column {
                    title: "n",
                    width: 40.0,
                    align: Align::Right,
                },
                Column {
                    title: "Resultat",
                    width: 200.0,
                    align: Align::Left,
                },
                Column {
                    title: "Nivå",
                    width: 50.0,
                    align: Align::Left,
                },
            ],
            &table,
        );
    }
}
