//! The annual report's words and numbers in Norwegian bokmål, shared by the HTML and the PDF
//! so both say exactly the same: percentages with a decimal comma, intervals, goal levels,
//! and the sentences built from the figures.

use kvalreg_analytics::report::IndicatorResult;
use kvalreg_analytics::svg::Bands;
use kvalreg_core::definition::{Comparison, Direction, Indicator, IndicatorKind, Level, Threshold};

use super::{AnnualReport, Coverage, IndicatorSection, StatusCounts};

/// A fraction as a percentage with one decimal: `45,3 %`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0).replace('.', ",")
}

/// A share of two counts, or a dash when there is nothing to divide.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_string()
    } else {
        percent(part as f64 / whole as f64)
    }
}

pub fn is_proportion(indicator: &Indicator) -> bool {
    matches!(indicator.kind, IndicatorKind::Proportion { .. })
}

/// An indicator's value: a percentage, or minutes for a median.
pub fn value(indicator: &Indicator, value: f64) -> String {
    if is_proportion(indicator) {
        percent(value)
    } else {
        let minutes = format!("{value:.1}");
        let minutes = minutes.strip_suffix(".0").unwrap_or(&minutes).replace('.', ",");
        format!("{minutes} min")
    }
}

/// The spread written after a value: the 95 % interval, or the quartiles for a median.
pub fn spread(indicator: &Indicator, result: &IndicatorResult) -> Option<String> {
    match (result.ci_low, result.ci_high, result.q1, result.q3) {
        (Some(low), Some(high), _, _) => Some(format!("95 % KI {}–{}", value(indicator, low), value(indicator, high))),
        (_, _, Some(q1), Some(q3)) => Some(format!("kvartiler {}–{}", value(indicator, q1), value(indicator, q3))),
        _ => None,
    }
}

/// A result as one line: `45,3 % (95 % KI 40,1 %–50,2 %), n = 120`, or low N.
pub fn result(indicator: &Indicator, result: &IndicatorResult) -> String {
    if result.low_n {
        return format!("lav N (n = {})", result.denominator);
    }
    let Some(v) = result.value else {
        return format!("ingen verdi (n = {})", result.denominator);
    };
    match spread(indicator, result) {
        Some(spread) => format!("{} ({spread}), n = {}", value(indicator, v), result.denominator),
        None => format!("{}, n = {}", value(indicator, v), result.denominator),
    }
}

pub fn level(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Green) => "grønn",
        Some(Level::Yellow) => "gul",
        Some(Level::Red) => "rød",
        None => "",
    }
}

/// A threshold in words: `minst 90,0 %`, `høyst 30 min`.
pub fn threshold(indicator: &Indicator, threshold: &Threshold) -> String {
    let word = match threshold.comparison {
        Comparison::AtLeast => "minst",
        Comparison::Above => "over",
        Comparison::AtMost => "høyst",
        Comparison::Below => "under",
    };
    format!("{word} {}", value(indicator, threshold.limit))
}

/// The target levels as a sentence.
/// A hospital's bar in the comparison figure: (value, low, high) with the 95 % interval for
/// proportions or the quartiles for medians; none for a hospital without a value.
pub fn bar_value(result: &IndicatorResult) -> Option<(f64, f64, f64)> {
    result.value.map(|v| {
        let (low, high) = match (result.ci_low, result.ci_high, result.q1, result.q3) {
            (Some(l), Some(u), _, _) | (_, _, Some(l), Some(u)) => (l, u),
            _ => (v, v),
        };
        (v, low, high)
    })
}

/// The text beside a hospital's bar: its value and N, or "lav N".
pub fn bar_text(indicator: &Indicator, result: &IndicatorResult) -> String {
    if result.low_n {
        format!("lav N (n = {})", result.denominator)
    } else {
        result
            .value
            .map(|v| format!("{} (n = {})", value(indicator, v), result.denominator))
            .unwrap_or_default()
    }
}

/// The green and yellow bands of the comparison figure, where the indicator has levels.
pub fn bands(indicator: &Indicator) -> Option<Bands> {
    indicator.levels.map(|l| Bands {
        higher_is_better: indicator.direction == Direction::Higher,
        green: l.green.limit,
        yellow: l.yellow.limit,
    })
}

pub fn targets(indicator: &Indicator) -> String {
    match &indicator.levels {
        Some(levels) => format!(
            "Grønn (høy måloppnåelse): {}. Gul (moderat måloppnåelse): {}. Rød (lav måloppnåelse): ellers.",
            threshold(indicator, &levels.green),
            threshold(indicator, &levels.yellow)
        ),
        None => "Indikatoren har ingen målnivåer og vises uten farge.".to_string(),
    }
}

/// How the indicator is computed, in words and with the definition's conditions.
pub fn definition(section: &IndicatorSection) -> Vec<String> {
    let indicator = &section.indicator;
    let better = match indicator.direction {
        kvalreg_core::definition::Direction::Higher => "høyere verdi er bedre",
        kvalreg_core::definition::Direction::Lower => "lavere verdi er bedre",
    };
    let mut lines = Vec::new();
    match &indicator.kind {
        IndicatorKind::Proportion { numerator } => {
            lines.push(format!(
                "Andel av registreringene i nevneren som oppfyller telleren ({better}). Nevner: {}. Teller: «{}».",
                denominator(indicator),
                one_line(&numerator.text)
            ));
        }
        IndicatorKind::Median { value } => {
            lines.push(format!(
                "Median (med kvartiler) av «{}» blant {} ({better}).",
                one_line(&value.text),
                denominator(indicator)
            ));
        }
    }
    if !section.variables.is_empty() {
        lines.push(format!("Variabler: {}.", section.variables.join(", ")));
    }
    lines.push(format!(
        "Enhet: «{}». Enheter med nevner under {} vises som «lav N» uten verdi, men teller med i nasjonalt tall. Gjelder fra {}.",
        one_line(&indicator.unit.text),
        indicator.minimum_denominator,
        kvalreg_core::time::format_date_norwegian(indicator.valid_from)
    ));
    if let Some(note) = &indicator.note {
        lines.push(format!("Merk: {}", note.nb));
    }
    lines
}

/// The denominator in words: every registration, or those meeting its condition.
fn denominator(indicator: &Indicator) -> String {
    let condition = one_line(&indicator.denominator.text);
    if condition.eq_ignore_ascii_case("TRUE") {
        "alle registreringer".to_string()
    } else {
        format!("registreringer der «{condition}»")
    }
}

/// An axis value of a comparison figure: whole percentages, or minutes.
pub fn axis(indicator: &Indicator, v: f64) -> String {
    if is_proportion(indicator) {
        format!("{:.0} %", v * 100.0)
    } else {
        format!("{v:.0} min")
    }
}

pub fn requirement(required: super::Requirement) -> &'static str {
    match required {
        super::Requirement::Always => "ja",
        super::Requirement::When => "når den gjelder",
        super::Requirement::Optional => "nei",
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The national level counts: (green, yellow, red, without level).
pub fn level_counts(report: &AnnualReport) -> (usize, usize, usize, usize) {
    let mut counts = (0, 0, 0, 0);
    for section in &report.indicators {
        match section.national.as_ref().and_then(|r| r.level) {
            Some(Level::Green) => counts.0 += 1,
            Some(Level::Yellow) => counts.1 += 1,
            Some(Level::Red) => counts.2 += 1,
            None => counts.3 += 1,
        }
    }
    counts
}

pub fn title(report: &AnnualReport) -> String {
    format!("Årsrapport {} – {}", report.year, report.register_title)
}

/// The summary's paragraphs.
pub fn summary(report: &AnnualReport) -> Vec<String> {
    let c: StatusCounts = report.counts;
    let mut out = Vec::new();
    if c.total() == 0 {
        out.push(format!(
            "Det finnes ingen registreringer i {} for {}. Rapporten har derfor ingen resultater.",
            report.register_title, report.year
        ));
        return out;
    }
    out.push(format!(
        "{} hadde {} registreringer med ankomst i {} fra {} sykehus. {} av dem er ferdigstilte eller låste og teller i kvalitetsindikatorene; {} er kladder.",
        report.register_title,
        c.total(),
        report.year,
        report.hospitals_registering,
        c.counted(),
        c.draft
    ));
    let (green, yellow, red, none) = level_counts(report);
    let judged = green + yellow + red;
    let total = report.indicators.len();
    if judged > 0 {
        out.push(format!(
            "Nasjonalt nådde {green} av {judged} indikatorer med målnivå grønt nivå ({}), {yellow} gult ({}) og {red} rødt ({}).",
            share(green as u64, judged as u64),
            share(yellow as u64, judged as u64),
            share(red as u64, judged as u64)
        ));
    }
    if none > 0 {
        out.push(format!(
            "{none} av {total} indikatorer har ikke noe nasjonalt nivå (uten målnivå eller uten data)."
        ));
    }
    out.push(match &report.coverage {
        Coverage::NotImported => {
            "Dekningsgrad er ikke beregnet: ingen liste over innleggelser fra Norsk pasientregister er lest inn."
                .to_string()
        }
        Coverage::Imported { national: Some(n), .. } => format!(
            "Dekningsgraden mot Norsk pasientregister var {} nasjonalt.",
            percent(n.coverage)
        ),
        Coverage::Imported { national: None, .. } => format!(
            "Listen fra Norsk pasientregister har ingen innleggelser i {}.",
            report.year
        ),
    });
    out.push("Resultatene kan ikke brukes til å velge sykehus ved akutt innleggelse.".to_string());
    out
}

/// The register description's paragraphs (before the list of forms).
pub fn description(report: &AnnualReport) -> Vec<String> {
    let d = &report.description;
    let mut out = vec![format!(
        "{} er et nasjonalt medisinsk kvalitetsregister. Formålet er å måle og forbedre kvaliteten på behandlingen ved norske sykehus, med kvalitetsindikatorer per sykehus, helseforetak, helseregion og nasjonalt.",
        report.register_title
    )];
    if !d.inclusion.is_empty() {
        out.push(format!("Inklusjon: {}.", d.inclusion.join("; ")));
    }
    if !d.diagnoses.is_empty() {
        out.push(format!("Diagnoser: {}.", d.diagnoses.join("; ")));
    }
    out.push(format!(
        "Registeret har {} skjema med {} registrerte variabler og {} avledede verdier. Bare ferdigstilte og låste registreringer teller i indikatorene; et år er året for ankomst (norsk tid).",
        d.forms.len(),
        d.variables,
        d.derived
    ));
    out
}

pub fn coverage_intro(report: &AnnualReport) -> String {
    match &report.coverage {
        Coverage::NotImported => format!(
            "Dekningsgrad er ikke beregnet for {}: ingen liste over hjerneslaginnleggelser fra Norsk pasientregister er lest inn. Gi listen med --patient-register (se «kvalreg report coverage») for å beregne dekningsgrad per sykehus.",
            report.year
        ),
        Coverage::Imported { .. } => "Dekningsgrad = registreringer ÷ (registreringer + innleggelser i Norsk pasientregister som ikke finnes i registeret), koblet person for person ved samme sykehus innen 3 dager. Under 60 % er markert som lav dekningsgrad.".to_string(),
    }
}

pub fn quality_intro(report: &AnnualReport) -> Vec<String> {
    let c = report.counts;
    vec![
        format!(
            "Av {} registreringer i {} er {} ferdigstilte ({}), {} låste ({}) og {} kladder ({}).",
            c.total(),
            report.year,
            c.complete,
            share(c.complete, c.total()),
            c.locked,
            share(c.locked, c.total()),
            c.draft,
            share(c.draft, c.total())
        ),
        "Manglende verdier i variablene indikatorene bygger på, blant registreringene der variabelen gjelder (alle statuser). En valgfri variabel kan mangle med god grunn (fødselsdato trengs for eksempel bare når fødselsnummeret ikke gir den); en manglende ja/nei-variabel teller som «nei» i indikatorene.".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_a_decimal_comma() {
        assert_eq!(percent(0.4532), "45,3 %");
        assert_eq!(share(1, 3), "33,3 %");
        assert_eq!(share(1, 0), "–");
    }
}
