//! The annual report as one self-contained HTML page (styles inline, no scripts), with the
//! hospital comparisons drawn by the same SVG code as the quality pages.

use std::fmt::Write as _;

use kvalreg_analytics::svg::{Bar, bar_chart, escape};

use super::text;
use super::{AnnualReport, Coverage, IndicatorSection};

const STYLE: &str = "body { font-family: Helvetica, Arial, sans-serif; max-width: 64em; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-size: 1.8em; } h2 { border-bottom: 2px solid #1f4e79; margin-top: 2em; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.level-green { background: #c8e6c9; } .level-yellow { background: #fff3c4; } .level-red { background: #ffcdd2; }
.definition { color: #333; } .national { font-weight: bold; } .note { font-style: italic; }
svg.figure { max-width: 100%; height: auto; font-size: 12px; }
svg.figure .band-green { fill: #c8e6c9; } svg.figure .band-yellow { fill: #fff3c4; } svg.figure .band-red { fill: #ffcdd2; }
svg.figure .grid { stroke: #bbb; stroke-width: 0.5; } svg.figure .axis { fill: #444; font-size: 11px; }
svg.figure .bar { fill: #1f4e79; } svg.figure .whisker { stroke: #000; stroke-width: 1.5; }
svg.figure .label, svg.figure .value { fill: #111; }";

impl AnnualReport {
    /// The report as an HTML page (UTF-8).
    pub fn html(&self) -> String {
        let title = text::title(self);
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n<p>Laget {} fra registerets ferdigstilte og låste registreringer; indikatorene er beregnet per 31.12.{}.</p>\n",
            escape(&title),
            escape(&title),
            kvalreg_core::time::format_date_norwegian(self.made),
            self.year
        );
        self.summary(&mut out);
        self.description(&mut out);
        out.push_str("<section id=\"results\">\n<h2>3. Resultater per kvalitetsindikator</h2>\n");
        for (i, section) in self.indicators.iter().enumerate() {
            self.indicator(&mut out, i + 1, section);
        }
        out.push_str("</section>\n");
        self.coverage(&mut out);
        self.quality(&mut out);
        out.push_str("</body>\n</html>\n");
        out
    }

    fn summary(&self, out: &mut String) {
        out.push_str("<section id=\"summary\">\n<h2>1. Sammendrag</h2>\n");
        for p in text::summary(self) {
            let _ = writeln!(out, "<p>{}</p>", escape(&p));
        }
        let (green, yellow, red, none) = text::level_counts(self);
        let c = self.counts;
        let _ = writeln!(
            out,
            "<table id=\"key-figures\"><caption>Nøkkeltall {}</caption><tbody>\n\
             <tr><th scope=\"row\">Registreringer</th><td class=\"n\">{}</td></tr>\n\
             <tr><th scope=\"row\">Ferdigstilte og låste</th><td class=\"n\">{}</td></tr>\n\
             <tr><th scope=\"row\">Sykehus som registrerte</th><td class=\"n\">{}</td></tr>\n\
             <tr><th scope=\"row\">Indikatorer nasjonalt grønne</th><td class=\"n level-green\">{green}</td></tr>\n\
             <tr><th scope=\"row\">Indikatorer nasjonalt gule</th><td class=\"n level-yellow\">{yellow}</td></tr>\n\
             <tr><th scope=\"row\">Indikatorer nasjonalt røde</th><td class=\"n level-red\">{red}</td></tr>\n\
             <tr><th scope=\"row\">Indikatorer uten nivå</th><td class=\"n\">{none}</td></tr>\n\
             </tbody></table>\n</section>",
            self.year,
            c.total(),
            c.counted(),
            self.hospitals_registering,
        );
    }

    fn description(&self, out: &mut String) {
        out.push_str("<section id=\"description\">\n<h2>2. Om registeret</h2>\n");
        for p in text::description(self) {
            let _ = writeln!(out, "<p>{}</p>", escape(&p));
        }
        out.push_str("<p>Dette registreres:</p>\n<ul>\n");
        for form in &self.description.forms {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {}</li>",
                escape(&form.title),
                escape(&form.sections.join(", "))
            );
        }
        out.push_str("</ul>\n</section>\n");
    }

    fn indicator(&self, out: &mut String, number: usize, section: &IndicatorSection) {
        let indicator = &section.indicator;
        let id = escape(&indicator.id);
        let _ = writeln!(
            out,
            "<article id=\"indicator-{id}\">\n<h3>3.{number} {}</h3>",
            escape(&indicator.title.nb)
        );
        for line in text::definition(section) {
            let _ = writeln!(out, "<p class=\"definition\">{}</p>", escape(&line));
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
        let _ = writeln!(out, "<p class=\"national\">{}</p>", escape(&national));
        let _ = writeln!(out, "<p>Målnivå: {}</p>", escape(&text::targets(indicator)));
        if section.hospitals.is_empty() {
            let _ = writeln!(out, "<p>Ingen sykehus har resultater i {}.</p>\n</article>", self.year);
            return;
        }
        let bars: Vec<Bar> = section
            .hospitals
            .iter()
            .map(|h| Bar {
                label: h.code.clone(),
                value: text::bar_value(&h.result),
                text: text::bar_text(indicator, &h.result),
            })
            .collect();
        let bands = text::bands(indicator);
        let max = figure_max(section);
        let chart = bar_chart(
            &format!("bars-{}", indicator.id),
            &format!("{} {}, per sykehus", indicator.title.nb, self.year),
            "Sykehusene sortert fra best til dårligst, med 95 % konfidensintervall (kvartiler for medianer) over grønt, gult og rødt målnivå. Sykehus med lav N vises uten verdi.",
            &bars,
            bands,
            max,
            &|v| text::axis(indicator, v),
        );
        let _ = writeln!(out, "<figure class=\"chart\">{chart}</figure>");
        let _ = writeln!(
            out,
            "<table class=\"hospitals\"><caption>{} per sykehus {}</caption>\n<thead><tr><th scope=\"col\">Sykehus</th><th scope=\"col\">n</th><th scope=\"col\">Resultat</th><th scope=\"col\">Nivå</th></tr></thead>\n<tbody>",
            escape(&indicator.title.nb),
            self.year
        );
        for h in &section.hospitals {
            let level = text::level(h.result.level);
            let class = match h.result.level {
                Some(l) => format!(" class=\"level-{}\"", serde_level(l)),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{} ({})</th><td class=\"n\">{}</td><td>{}</td><td{class}>{}</td></tr>",
                escape(&h.name),
                escape(&h.code),
                h.result.denominator,
                escape(&text::result(indicator, &h.result)),
                escape(level)
            );
        }
        out.push_str("</tbody></table>\n</article>\n");
    }

    fn coverage(&self, out: &mut String) {
        out.push_str("<section id=\"coverage\">\n<h2>4. Dekningsgrad og kompletthet</h2>\n");
        let _ = writeln!(out, "<p>{}</p>", escape(&text::coverage_intro(self)));
        if let Coverage::Imported { hospitals, national } = &self.coverage {
            out.push_str("<table><thead><tr><th scope=\"col\">Sykehus</th><th scope=\"col\">I begge</th><th scope=\"col\">Bare i registeret</th><th scope=\"col\">Bare i NPR</th><th scope=\"col\">Dekningsgrad</th></tr></thead>\n<tbody>\n");
            let national = national.iter().map(|n| ("Norge".to_string(), String::new(), n));
            let rows = hospitals.iter().map(|(code, name, r)| (name.clone(), code.clone(), r));
            for (name, code, r) in rows.chain(national) {
                let label = if code.is_empty() {
                    name
                } else {
                    format!("{name} ({code})")
                };
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td></tr>",
                    escape(&label),
                    r.matched,
                    r.register_only,
                    r.patient_register_only,
                    text::percent(r.coverage),
                    if r.low_coverage { " – lav dekningsgrad" } else { "" }
                );
            }
            out.push_str("</tbody></table>\n");
        }
        out.push_str("</section>\n");
    }

    fn quality(&self, out: &mut String) {
        out.push_str("<section id=\"data-quality\">\n<h2>5. Datakvalitet</h2>\n");
        for p in text::quality_intro(self) {
            let _ = writeln!(out, "<p>{}</p>", escape(&p));
        }
        out.push_str("<table><thead><tr><th scope=\"col\">Variabel</th><th scope=\"col\">Påkrevd</th><th scope=\"col\">Gjelder</th><th scope=\"col\">Mangler</th><th scope=\"col\">Ukjent</th></tr></thead>\n<tbody>\n");
        for q in &self.quality {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{} <code>{}</code></th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td><td class=\"n\">{} ({})</td></tr>",
                escape(&q.label),
                escape(&q.name),
                text::requirement(q.required),
                q.applies,
                q.missing,
                text::share(q.missing, q.applies),
                q.unknown,
                text::share(q.unknown, q.applies)
            );
        }
        out.push_str("</tbody></table>\n</section>\n");
    }
}

fn serde_level(level: kvalreg_core::definition::Level) -> &'static str {
    match level {
        kvalreg_core::definition::Level::Green => "green",
        kvalreg_core::definition::Level::Yellow => "yellow",
        kvalreg_core::definition::Level::Red => "red",
    }
}

/// The value at the right edge of a comparison figure: 100 % for proportions, and for
/// medians a little past the largest upper quartile or level, rounded up to 20 minutes so
/// the quarter ticks fall on whole multiples of 5.
pub(super) fn figure_max(section: &IndicatorSection) -> f64 {
    if text::is_proportion(&section.indicator) {
        return 1.0;
    }
    let largest = section
        .hospitals
        .iter()
        .filter_map(|h| h.result.q3.or(h.result.value))
        .chain(
            section
                .indicator
                .levels
                .iter()
                .flat_map(|l| [l.green.limit, l.yellow.limit]),
        )
        .fold(0.0, f64::max);
    ((largest * 1.1) / 20.0).ceil().max(1.0) * 20.0
}
