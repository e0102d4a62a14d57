//! Escaping for server-rendered HTML: every text from data goes through [`escape`] before it
//! reaches a page, in element content and in quoted attributes alike.

/// The one escaping function of the platform (shared with the SVG figures and the annual
/// report).
pub use kvalreg_analytics::svg::escape;

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_neutralised() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Hjerneslag – Tromsø"), "Hjerneslag – Tromsø");
    }
}
