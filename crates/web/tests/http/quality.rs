//! The quality pages on crafted registrations: the hospital dashboard's numbers and levels,
//! low N hiding the value, the filters changing the numbers, the bars and funnel limits in
//! the SVG, and bad query values answered with a 4xx page with every text escaped.

use serde_json::json;

use crate::documents;
use crate::server::TestServer;

const REGISTRATIONS: &str = "/api/v1/registers/stroke/registrations";

/// A complete registration with its first ward, for a woman or a man.
fn post(server: &TestServer, seq: u32, hospital: &str, day: &str, ward: &str, male: bool) {
    let mut doc = documents::complete(seq, hospital, day);
    doc["status"] = json!("complete");
    doc["first_ward"] = json!(ward);
    if male {
        doc["national_id"] = json!(documents::synthetic_id(3, 7, 1960, true, seq));
        doc["sex"] = json!("male");
    }
    server.post(REGISTRATIONS).json(&doc).send().expect(201);
}

/// UNN-TRO 2024: five women (four in a stroke unit) and one man (stroke unit): 5/6.
/// UNN-HAR 2024: two, both in a stroke unit (low N). UNN-TRO 2023: one (low N).
fn crafted() -> TestServer {
    let server = TestServer::sqlite(Default::default());
    for seq in 1..=4 {
        post(&server, seq, "UNN-TRO", "2024-03-10", "stroke_unit", false);
    }
    post(&server, 5, "UNN-TRO", "2024-04-10", "other", false);
    post(&server, 6, "UNN-TRO", "2024-05-10", "stroke_unit", true);
    post(&server, 7, "UNN-HAR", "2024-03-12", "stroke_unit", false);
    post(&server, 8, "UNN-HAR", "2024-03-13", "stroke_unit", false);
    post(&server, 9, "UNN-TRO", "2023-06-01", "stroke_unit", false);
    server
}

fn page(server: &TestServer, path: &str, status: u16) -> String {
    let reply = server.get(path).header("cookie", "kvalreg_lang=en").send();
    assert_eq!(reply.status, status, "{path}: {}", reply.text);
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
    reply.text
}

/// The table row (or any element) with this id, up to its end tag.
fn element<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).map_or(rest.len(), |i| i + end.len())]
}

#[test]
fn dashboard_shows_values_levels_low_n_and_follows_filters() {
    let server = crafted();
    let html = page(&server, "/h/UNN-TRO/quality?year=2024", 200);
    assert!(html.contains("cannot be used to choose a hospital"), "caveat");
    let awards = element(&html, "<table id=\"awards\">", "</table>");
    assert!(awards.contains("2024-Q"), "the quarters of the shown year: {awards}");
    assert!(
        awards.contains("<td>none</td>"),
        "too few patients for any award: {awards}"
    );
    let row = element(&html, "<tr id=\"row-stroke_unit\">", "</tr>");
    let own = element(row, "<td class=\"own\">", "</td>");
    assert!(own.contains("83.3 %") && own.contains("n = 6"), "{own}");
    assert!(
        row.contains("level-yellow") && row.contains("Moderate goal attainment"),
        "{row}"
    );
    assert!(row.contains("87.5 %"), "the trust counts UNN-HAR too: {row}");
    assert!(row.contains("green ≥ 90 %") && row.contains("yellow ≥ 80 %"), "{row}");
    assert!(row.contains("<svg id=\"trend-stroke_unit\""), "a trend line: {row}");
    assert!(row.contains("href=\"/quality/stroke_unit?year=2024\""), "{row}");
    let outcome = element(&html, "<tr id=\"row-mrs_0_2_3m\">", "</tr>");
    assert!(
        outcome.contains("case mix") && outcome.contains("shown without colour"),
        "{outcome}"
    );
    assert!(
        html.contains("id=\"nav-quality\" href=\"/h/UNN-TRO/quality\""),
        "linked in the nav"
    );

    let small = page(&server, "/h/UNN-HAR/quality?year=2024", 200);
    let own = element(
        element(&small, "<tr id=\"row-stroke_unit\">", "</tr>"),
        "<td class=\"own\">",
        "</td>",
    );
    assert_eq!(own, "<td class=\"own\">low N (n = 2)</td>", "the value is hidden");
    let row = element(&small, "<tr id=\"row-stroke_unit\">", "</tr>");
    assert!(!row.contains("level-"), "no level for low N: {row}");

    let women = page(&server, "/h/UNN-TRO/quality?year=2024&sex=female", 200);
    let own = element(
        element(&women, "<tr id=\"row-stroke_unit\">", "</tr>"),
        "<td class=\"own\">",
        "</td>",
    );
    assert!(own.contains("80.0 %") && own.contains("n = 5"), "{own}");
    assert!(
        women.contains("<option value=\"female\" selected>"),
        "the choice is kept"
    );
    let men = page(&server, "/h/UNN-TRO/quality?year=2024&sex=male&age=0-64", 200);
    let own = element(
        element(&men, "<tr id=\"row-stroke_unit\">", "</tr>"),
        "<td class=\"own\">",
        "</td>",
    );
    assert!(own.contains("low N (n = 1)"), "{own}");
    let earlier = page(&server, "/h/UNN-TRO/quality?year=2023", 200);
    let own = element(
        element(&earlier, "<tr id=\"row-stroke_unit\">", "</tr>"),
        "<td class=\"own\">",
        "</td>",
    );
    assert!(own.contains("low N (n = 1)"), "{own}");
    let haemorrhage = page(&server, "/h/UNN-TRO/quality?year=2024&diagnosis=I61", 200);
    let own = element(
        element(&haemorrhage, "<tr id=\"row-stroke_unit\">", "</tr>"),
        "<td class=\"own\">",
        "</td>",
    );
    assert!(own.contains("no data"), "{own}");

    // The default year is the latest with results; Norwegian by default.
    let nb = server.get("/h/UNN-TRO/quality").send();
    assert_eq!(nb.status, 200);
    assert!(
        nb.text.contains("83,3 %") && nb.text.contains("akutt innleggelse"),
        "{}",
        nb.text
    );
}

#[test]
fn comparison_page_draws_sorted_bars_bands_and_funnel_limits() {
    let server = crafted();
    let html = page(&server, "/quality/stroke_unit?year=2024", 200);
    let bars = element(&html, "<svg id=\"bars\"", "</svg>");
    assert!(
        bars.contains("role=\"img\"") && bars.contains("<title id=\"bars-title\">"),
        "{bars}"
    );
    assert_eq!(
        bars.matches("<rect class=\"bar\"").count(),
        1,
        "no bar for low N: {bars}"
    );
    assert!(bars.contains("UNN-TRO") && bars.contains("low N (n = 2)"), "{bars}");
    assert!(
        bars.find("UNN-TRO").unwrap_or(usize::MAX) < bars.find("UNN-HAR").unwrap_or(0),
        "low N last"
    );
    assert_eq!(bars.matches("class=\"whisker\"").count(), 3);
    for band in ["band-red", "band-yellow", "band-green"] {
        assert!(bars.contains(band), "{band}");
    }
    let funnel = element(&html, "<svg id=\"funnel\"", "</svg>");
    assert_eq!(funnel.matches("<path class=\"limit limit-95\"").count(), 2, "{funnel}");
    assert_eq!(funnel.matches("<path class=\"limit limit-998\"").count(), 2, "{funnel}");
    assert!(funnel.contains("<title>UNN-TRO: 83.3 % (n = 6)</title>"), "{funnel}");
    assert!(funnel.contains("National proportion 87.5 %"), "{funnel}");
    assert!(html.contains("cannot be used to choose a hospital"));
    let table = element(&html, "<table class=\"quality\" id=\"comparison\">", "</table>");
    assert!(
        table.contains("UNN Tromsø (UNN-TRO)") && table.contains("Moderate goal attainment"),
        "{table}"
    );

    let women = page(&server, "/quality/stroke_unit?year=2024&sex=female", 200);
    assert!(
        women.contains("<title>UNN-TRO: 80.0 % (n = 5)</title>"),
        "the filter changes the funnel"
    );

    let median = page(&server, "/quality/dtn_median?year=2024", 200);
    assert!(median.contains("drawn for proportions only") && !median.contains("<svg id=\"funnel\""));
    let outcome = page(&server, "/quality/mrs_0_2_3m", 200);
    assert!(outcome.contains("case mix"), "the case-mix caveat");
}

#[test]
fn bad_queries_get_a_4xx_page_with_the_text_escaped() {
    let server = crafted();
    for path in [
        "/quality/stroke_unit?year=abc",
        "/quality/stroke_unit?year=2024&year=2023",
        "/quality/stroke_unit?sex=unknown",
        "/quality/stroke_unit?diagnosis=I63'%20OR%20'1",
        "/h/UNN-TRO/quality?age=90-99",
        "/h/UNN-TRO/quality?hospital=UNN-TRO",
    ] {
        let html = page(&server, path, 400);
        assert!(html.contains("Invalid choice in the address"), "{path}: {html}");
    }
    let html = page(&server, "/h/UNN-TRO/quality?%3Cscript%3Ealert(1)%3C/script%3E=1", 400);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"),
        "{html}"
    );
    page(&server, "/quality/no_such_indicator", 404);
    page(&server, "/h/NO-SUCH/quality", 404);
    let html = page(&server, "/quality/%3Cb%3E", 404);
    assert!(!html.contains("<b>"), "{html}");
}
