//! The quality pages in headless Chromium: the indicator comparison page with its bars and
//! funnel plot is rendered and screenshotted (PNGs under the target directory), every SVG
//! figure has a non-zero size on screen, and the console shows no script errors.

use std::path::PathBuf;

use serde_json::json;

use super::Server;
use super::driver::Browser;

/// Synthetic registrations for a dozen hospitals over two years.
fn seed(server: &Server) {
    let hospitals: Vec<_> = kvalreg_app::reference_hospitals().into_iter().take(12).collect();
    let registrations = kvalreg_app::synthetic::stroke_registrations_as_of(
        jiff::civil::date(2026, 6, 30),
        &hospitals,
        2024..=2025,
        20,
        7,
    );
    for (doc, status) in registrations {
        server
            .runtime
            .block_on(
                server
                    .platform
                    .create(&kvalreg_store::Scope::AllHospitals, "stroke", doc, status, "seed"),
            )
            .unwrap_or_else(|e| panic!("seed registration: {e}"));
    }
}

/// Where the screenshots go: a folder in the target directory.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("quality-screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    sextets
        .chunks(4)
        .flat_map(|chunk| {
            let bits = chunk.iter().fold(0u32, |acc, s| acc << 6 | u32::from(*s)) << (6 * (4 - chunk.len()));
            let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
            bytes.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}

/// The size on screen of each element matching `css`, as [width, height] pairs.
fn sizes(browser: &Browser, css: &str) -> Vec<(f64, f64)> {
    let script = format!(
        "return Array.from(document.querySelectorAll({css:?})).map(e => {{ const r = e.getBoundingClientRect(); return [r.width, r.height]; }})"
    );
    browser
        .script(&script)
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| (pair[0].as_f64().unwrap_or(0.0), pair[1].as_f64().unwrap_or(0.0)))
        .collect()
}

fn save_screenshot(browser: &Browser, name: &str) -> PathBuf {
    let png = decode_base64(&browser.screenshot_base64());
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG ({} bytes)", png.len());
    let path = screenshot_dir().join(name);
    std::fs::write(&path, &png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// The console's errors, but for the favicon the site does not have.
fn errors(browser: &Browser) -> Vec<String> {
    browser
        .severe_console_entries()
        .into_iter()
        .filter(|e| !e.contains("/favicon.ico "))
        .collect()
}

#[test]
fn the_comparison_page_and_funnel_plot_render() {
    let server = Server::start();
    seed(&server);
    let browser = Browser::start();
    super::sign_in(&browser, &server, "leder", "UNN-TRO");
    browser.goto(&server.url("/quality/stroke_unit?year=2025"));
    browser.find("svg#funnel");
    let bars = sizes(&browser, "svg#bars");
    let funnel = sizes(&browser, "svg#funnel");
    assert_eq!(bars.len(), 1);
    assert_eq!(funnel.len(), 1);
    for (w, h) in bars.iter().chain(&funnel) {
        assert!(*w > 100.0 && *h > 100.0, "a figure is drawn at {w}×{h}");
    }
    let drawn_bars = sizes(&browser, "svg#bars rect.bar");
    assert!(
        !drawn_bars.is_empty() && drawn_bars.iter().all(|(w, h)| *w > 0.0 && *h > 0.0),
        "{drawn_bars:?}"
    );
    assert_eq!(sizes(&browser, "svg#funnel path.limit").len(), 4);
    let points = sizes(&browser, "svg#funnel circle.point");
    assert!(
        !points.is_empty() && points.iter().all(|(w, h)| *w > 0.0 && *h > 0.0),
        "{points:?}"
    );
    let bands = sizes(&browser, "svg#bars rect.band");
    assert_eq!(bands.len(), 3, "green, yellow and red bands");
    let path = save_screenshot(&browser, "comparison-stroke_unit.png");
    eprintln!("screenshot: {}", path.display());
    browser.script("document.getElementById('funnel').scrollIntoView()");
    save_screenshot(&browser, "funnel-stroke_unit.png");
    assert_eq!(errors(&browser), Vec::<String>::new(), "no script or loading errors");

    browser.goto(&server.url("/h/UNN-TRO/quality?year=2025"));
    browser.find("table#dashboard");
    let trends = sizes(&browser, "table#dashboard svg.figure");
    assert!(
        !trends.is_empty() && trends.iter().all(|(w, h)| *w > 0.0 && *h > 0.0),
        "{trends:?}"
    );
    save_screenshot(&browser, "dashboard-UNN-TRO.png");
    assert_eq!(errors(&browser), Vec::<String>::new(), "no script or loading errors");
    assert_eq!(browser.script("return document.title.length > 0"), json!(true));
}
