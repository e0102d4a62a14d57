//! Server-drawn SVG figures shared by the quality pages and the annual report (plain
//! strings, every text escaped): the sorted hospital bars with interval whiskers and goal
//! bands, the funnel plot and the small trend line. Each figure is an accessible image
//! (role="img", <title>, <desc>) whose colours are always paired with text; the styling is
//! left to the page's CSS classes (`band-green`, `bar`, `whisker`, ...).

use std::fmt::Write;

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Which way is better, and the green and yellow limits, in the units of the values.
#[derive(Debug, Clone, Copy)]
pub struct Bands {
    pub higher_is_better: bool,
    pub green: f64,
    pub yellow: f64,
}

/// One hospital's bar: its label, and its value with interval, or none for low N.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    /// (value, low, high); `None` draws no bar (low N), only `missing` as text.
    pub value: Option<(f64, f64, f64)>,
    /// The words written beside the bar (the value and level, or "low N").
    pub text: String,
}

const BAR_HEIGHT: f64 = 22.0;
const LABEL_WIDTH: f64 = 150.0;
const PLOT_WIDTH: f64 = 420.0;
const TEXT_WIDTH: f64 = 190.0;

fn open(out: &mut String, id: &str, width: f64, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" class=\"figure\">\
         <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
        title = escape(title),
        desc = escape(desc),
    );
}

/// Horizontal bars in the given order over green/yellow/red bands; `max` is the value at
/// the right edge; `format` writes an axis value.
pub fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    bands: Option<Bands>,
    max: f64,
    format: &dyn Fn(f64) -> String,
) -> String {
    let max = if max > 0.0 && max.is_finite() { max } else { 1.0 };
    let top = 24.0;
    let height = top + BAR_HEIGHT * bars.len().max(1) as f64 + 10.0;
    let width = LABEL_WIDTH + PLOT_WIDTH + TEXT_WIDTH;
    let x = |v: f64| LABEL_WIDTH + (v.clamp(0.0, max) / max) * PLOT_WIDTH;
    let mut out = String::new();
    open(&mut out, id, width, height, title, desc);
    let plot_height = height - top - 10.0;
    if let Some(b) = bands {
        // Ordered from the left edge: the worse band first when higher is better.
        let (first, second) = if b.higher_is_better {
            (b.yellow, b.green)
        } else {
            (b.green, b.yellow)
        };
        let spans = if b.higher_is_better {
            [("red", 0.0, first), ("yellow", first, second), ("green", second, max)]
        } else {
            [("green", 0.0, first), ("yellow", first, second), ("red", second, max)]
        };
        for (class, from, to) in spans {
            if to > from {
                let _ = write!(
                    out,
                    "<rect class=\"band band-{class}\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{plot_height:.1}\"/>",
                    x(from),
                    x(to) - x(from),
                );
            }
        }
    }
    for tick in 0..=4 {
        let v = max * f64::from(tick) / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top:.1}\" y2=\"{1:.1}\"/><text class=\"axis\" x=\"{0:.1}\" y=\"16\" text-anchor=\"middle\">{2}</text>",
            x(v),
            top + plot_height,
            escape(&format(v)),
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = top + BAR_HEIGHT * i as f64;
        let middle = y + BAR_HEIGHT / 2.0;
        let _ = write!(
            out,
            "<g class=\"row\"><text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 6.0,
            middle + 4.0,
            escape(&bar.label),
        );
        if let Some((value, low, high)) = bar.value {
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{LABEL_WIDTH:.1}\" y=\"{bar_y:.1}\" width=\"{bar_w:.1}\" height=\"{bar_h:.1}\"><title>{label}: {text}</title></rect>\
                 <line class=\"whisker\" x1=\"{lo:.1}\" x2=\"{hi:.1}\" y1=\"{middle:.1}\" y2=\"{middle:.1}\"/>\
                 <line class=\"whisker\" x1=\"{lo:.1}\" x2=\"{lo:.1}\" y1=\"{cap_top:.1}\" y2=\"{cap_bottom:.1}\"/>\
                 <line class=\"whisker\" x1=\"{hi:.1}\" x2=\"{hi:.1}\" y1=\"{cap_top:.1}\" y2=\"{cap_bottom:.1}\"/>",
                bar_y = y + 5.0,
                bar_w = (x(value) - LABEL_WIDTH).max(1.0),
                bar_h = BAR_HEIGHT - 10.0,
                label = escape(&bar.label),
                text = escape(&bar.text),
                lo = x(low),
                hi = x(high),
                cap_top = middle - 5.0,
                cap_bottom = middle + 5.0,
            );
        }
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            LABEL_WIDTH + PLOT_WIDTH + 8.0,
            middle + 4.0,
            escape(&bar.text),
        );
    }
    out.push_str("</svg>");
    out
}

/// One hospital in the funnel plot.
#[derive(Debug, Clone)]
pub struct FunnelPoint {
    pub label: String,
    pub proportion: f64,
    pub denominator: u64,
}

/// The control limits at one denominator: (n, lower 99.8 %, lower 95 %, upper 95 %, upper 99.8 %).
pub type LimitRow = (u64, f64, f64, f64, f64);

const FUNNEL_WIDTH: f64 = 640.0;
const FUNNEL_HEIGHT: f64 = 440.0;
const MARGIN_LEFT: f64 = 56.0;
const MARGIN_BOTTOM: f64 = 120.0;
const MARGIN_TOP: f64 = 14.0;
const MARGIN_RIGHT: f64 = 16.0;

/// Each hospital's proportion against its denominator, with the 95 % and 99.8 % limits
/// (`limits`, by rising denominator) around the national proportion `target`.
/// `legend` names, in order: the national line, the 95 % limits, the 99.8 % limits and the axes.
pub fn funnel_plot(
    id: &str,
    title: &str,
    desc: &str,
    points: &[FunnelPoint],
    target: f64,
    limits: &[LimitRow],
    legend: [&str; 5],
) -> String {
    let max_n = points
        .iter()
        .map(|p| p.denominator)
        .chain(limits.iter().map(|l| l.0))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let plot_w = FUNNEL_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    let plot_h = FUNNEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    let x = |n: f64| MARGIN_LEFT + (n / max_n).clamp(0.0, 1.0) * plot_w;
    let y = |p: f64| MARGIN_TOP + (1.0 - p.clamp(0.0, 1.0)) * plot_h;
    let mut out = String::new();
    open(&mut out, id, FUNNEL_WIDTH, FUNNEL_HEIGHT, title, desc);
    let bottom = MARGIN_TOP + plot_h;
    for tick in 0..=4 {
        let p = f64::from(tick) / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{MARGIN_LEFT:.1}\" x2=\"{right:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"axis\" x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{pct} %</text>",
            right = MARGIN_LEFT + plot_w,
            yy = y(p),
            lx = MARGIN_LEFT - 6.0,
            ty = y(p) + 4.0,
            pct = tick * 25,
        );
    }
    for tick in 0..=4 {
        let n = (max_n * f64::from(tick) / 4.0).round();
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{xx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{n}</text>",
            xx = x(n),
            ty = bottom + 16.0,
        );
    }
    let _ = write!(
        out,
        "<text class=\"axis-title\" x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{axis}</text>",
        cx = MARGIN_LEFT + plot_w / 2.0,
        ty = bottom + 34.0,
        axis = escape(legend[4]),
    );
    let path = |pick: &dyn Fn(&LimitRow) -> f64| {
        limits
            .iter()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { " L" },
                    x(l.0 as f64),
                    y(pick(l))
                )
            })
            .collect::<String>()
    };
    if !limits.is_empty() {
        let _ = write!(
            out,
            "<path class=\"limit limit-998\" d=\"{}\"><title>{t998}</title></path>\
             <path class=\"limit limit-998\" d=\"{}\"><title>{t998}</title></path>\
             <path class=\"limit limit-95\" d=\"{}\"><title>{t95}</title></path>\
             <path class=\"limit limit-95\" d=\"{}\"><title>{t95}</title></path>",
            path(&|l| l.1),
            path(&|l| l.4),
            path(&|l| l.2),
            path(&|l| l.3),
            t95 = escape(legend[1]),
            t998 = escape(legend[2]),
        );
    }
    let _ = write!(
        out,
        "<line class=\"target\" x1=\"{MARGIN_LEFT:.1}\" x2=\"{right:.1}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\"><title>{name}</title></line>",
        right = MARGIN_LEFT + plot_w,
        ty = y(target),
        name = escape(legend[0]),
    );
    for point in points {
        let _ = write!(
            out,
            "<circle class=\"point\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\"><title>{label}: {pct:.1} % (n = {n})</title></circle>",
            cx = x(point.denominator as f64),
            cy = y(point.proportion),
            label = escape(&point.label),
            pct = point.proportion * 100.0,
            n = point.denominator,
        );
    }
    // The legend below the plot, in words beside the line styles.
    let row = |i: f64| bottom + 54.0 + 16.0 * i;
    let _ = write!(
        out,
        "<g class=\"legend\"><line class=\"target\" x1=\"{lx:.1}\" x2=\"{lx2:.1}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\"/><text x=\"{tx:.1}\" y=\"{t0:.1}\">{a}</text>\
         <line class=\"limit limit-95\" x1=\"{lx:.1}\" x2=\"{lx2:.1}\" y1=\"{y1:.1}\" y2=\"{y1:.1}\"/><text x=\"{tx:.1}\" y=\"{t1:.1}\">{b}</text>\
         <line class=\"limit limit-998\" x1=\"{lx:.1}\" x2=\"{lx2:.1}\" y1=\"{y2:.1}\" y2=\"{y2:.1}\"/><text x=\"{tx:.1}\" y=\"{t2:.1}\">{c}</text>\
         <text x=\"{lx:.1}\" y=\"{t3:.1}\">{d}</text></g>",
        lx = MARGIN_LEFT,
        lx2 = MARGIN_LEFT + 24.0,
        tx = MARGIN_LEFT + 30.0,
        y0 = row(0.0),
        y1 = row(1.0),
        y2 = row(2.0),
        t0 = row(0.0) + 4.0,
        t1 = row(1.0) + 4.0,
        t2 = row(2.0) + 4.0,
        t3 = row(3.0) + 4.0,
        a = escape(legend[0]),
        b = escape(legend[1]),
        c = escape(legend[2]),
        d = escape(legend[3]),
    );
    out.push_str("</svg>");
    out
}

/// A small line of values per year (`None` for a year without a value: the line breaks).
pub fn trend(
    id: &str,
    title: &str,
    values: &[(String, Option<f64>)],
    max: f64,
    format: &dyn Fn(f64) -> String,
) -> String {
    let (width, height) = (140.0, 36.0);
    let max = if max > 0.0 && max.is_finite() { max } else { 1.0 };
    let step = if values.len() > 1 {
        (width - 8.0) / (values.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| 4.0 + step * i as f64;
    let y = |v: f64| height - 4.0 - (v.clamp(0.0, max) / max) * (height - 8.0);
    let desc = values
        .iter()
        .map(|(period, v)| format!("{period}: {}", v.map_or_else(|| "–".to_owned(), format)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::new();
    open(&mut out, id, width, height, title, &desc);
    let mut d = String::new();
    let mut pen_down = false;
    for (i, (_, value)) in values.iter().enumerate() {
        match value {
            Some(v) => {
                let _ = write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !d.is_empty() {
        let _ = write!(out, "<path class=\"trend\" d=\"{}\"/>", d.trim_end());
    }
    for (i, (period, value)) in values.iter().enumerate() {
        if let Some(v) = value {
            let _ = write!(
                out,
                "<circle class=\"trend-point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"><title>{}: {}</title></circle>",
                x(i),
                y(*v),
                escape(period),
                escape(&format(*v)),
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(v: f64) -> String {
        format!("{:.0} %", v * 100.0)
    }

    #[test]
    fn bars_have_whiskers_bands_and_no_bar_for_low_n() {
        let bars = [
            Bar {
                label: "A<&>".into(),
                value: Some((0.5, 0.4, 0.6)),
                text: "50 %".into(),
            },
            Bar {
                label: "B".into(),
                value: None,
                text: "low N".into(),
            },
        ];
        let bands = Bands {
            higher_is_better: true,
            green: 0.9,
            yellow: 0.8,
        };
        let svg = bar_chart("c", "T", "D", &bars, Some(bands), 1.0, &pct);
        assert_eq!(svg.matches("class=\"bar\"").count(), 1);
        assert_eq!(svg.matches("class=\"whisker\"").count(), 3);
        assert!(svg.contains("A&lt;&amp;&gt;") && !svg.contains("A<&>"));
        assert!(svg.contains("low N"));
        // Red from 0 to 80 %, yellow 80–90 %, green 90–100 % of 420 px after the labels.
        assert!(
            svg.contains("band-red\" x=\"150.0\" y=\"24.0\" width=\"336.0\""),
            "{svg}"
        );
        assert!(svg.contains("band-green\" x=\"528.0\""), "{svg}");
        let lower = bar_chart(
            "c",
            "T",
            "D",
            &bars,
            Some(Bands {
                higher_is_better: false,
                green: 0.25,
                yellow: 0.5,
            }),
            1.0,
            &pct,
        );
        assert!(lower.contains("band-green\" x=\"150.0\""), "{lower}");
        assert!(lower.contains("band-red\" x=\"360.0\""), "{lower}");
    }

    #[test]
    fn funnel_draws_points_and_four_limit_lines() {
        let points = [FunnelPoint {
            label: "X".into(),
            proportion: 0.5,
            denominator: 10,
        }];
        let limits = [(1, 0.0, 0.1, 0.9, 1.0), (10, 0.2, 0.3, 0.7, 0.8)];
        let svg = funnel_plot("f", "T", "D", &points, 0.5, &limits, ["n", "95", "99.8", "", "N"]);
        assert_eq!(svg.matches("<path class=\"limit").count(), 4);
        assert!(svg.contains("<title>X: 50.0 % (n = 10)</title>"), "{svg}");
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn trend_breaks_at_missing_years() {
        let values = [
            ("2022".to_owned(), Some(0.5)),
            ("2023".to_owned(), None),
            ("2024".to_owned(), Some(1.0)),
        ];
        let svg = trend("t", "T", &values, 1.0, &pct);
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains("2023: –"));
    }
}
