//! Picks the language of messages and pages from the request's `Accept-Language` header, so
//! every refusal reads in Norwegian bokmål or English as the client asked.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use kvalreg_core::messages::Lang;

/// The language a request asked for: nb for `nb`, `no` and `nn`, otherwise en (also when
/// the header is absent or unreadable).
pub fn of_headers(headers: &HeaderMap) -> Lang {
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(from_accept_language)
        .unwrap_or(Lang::En)
}

/// Reads an `Accept-Language` value: the tag with the highest quality wins (the first one on
/// a tie); an entry with an unreadable or zero quality is skipped.
pub fn from_accept_language(value: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for entry in value.split(',') {
        let mut pieces = entry.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        if tag.is_empty() {
            continue;
        }
        let quality = match pieces.find_map(|p| p.trim().strip_prefix("q=")) {
            None => 1.0,
            Some(q) => match q.trim().parse::<f32>() {
                Ok(q) if q > 0.0 && q <= 1.0 => q,
                _ => continue,
            },
        };
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let lang = match primary.as_str() {
            "nb" | "no" | "nn" => Lang::Nb,
            _ => Lang::En,
        };
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

/// The request's language as a handler argument.
#[derive(Debug, Clone, Copy)]
pub struct Language(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Language(of_headers(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_tags_give_bokmal() {
        assert_eq!(from_accept_language("nb"), Lang::Nb);
        assert_eq!(from_accept_language("nn-NO"), Lang::Nb);
        assert_eq!(from_accept_language("no;q=0.8, de;q=0.5"), Lang::Nb);
    }

    #[test]
    fn other_or_missing_tags_give_english() {
        assert_eq!(from_accept_language(""), Lang::En);
        assert_eq!(from_accept_language("*"), Lang::En);
        assert_eq!(from_accept_language("sv-SE"), Lang::En);
        assert_eq!(of_headers(&HeaderMap::new()), Lang::En);
    }

    #[test]
    fn highest_quality_wins() {
        assert_eq!(from_accept_language("en;q=0.4, nb;q=0.9"), Lang::Nb);
        assert_eq!(from_accept_language("nb;q=0.4, en-GB"), Lang::En);
        assert_eq!(from_accept_language("nb;q=0, en;q=0.1"), Lang::En);
        assert_eq!(from_accept_language("en;q=abc, nb;q=0.2"), Lang::Nb);
    }
}
