//! Request extractors whose refusals are problem details naming the field at fault, in place
//! of axum's plain-text rejections: JSON object bodies, path parts, query pairs and `If-Match`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use kvalreg_core::messages::{Lang, Text};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::lang;
use crate::problem::{Kind, Problem};

/// A request body that is a JSON object, sent as `application/json`.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Json>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang::of_headers(req.headers());
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(Problem::field(
                Kind::UnsupportedMediaType,
                lang,
                "Content-Type",
                "media_type",
                &Text::new(
                    "Innholdet må sendes som application/json",
                    "The body must be sent as application/json",
                ),
            ));
        }
        // The body is already buffered within the limit (see `body`); reading it fails only
        // if the client went away.
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            Problem::field(
                Kind::BadRequest,
                lang,
                "body",
                "read",
                &Text::new("Innholdet kunne ikke leses", "The body could not be read"),
            )
        })?;
        parse_object(&bytes, lang).map(JsonObject)
    }
}

/// True for `application/json` and `application/*+json`, with any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON request body as [`JsonObject`] reads it: an object, without NUL characters.
pub fn parse_object(bytes: &[u8], lang: Lang) -> Result<Map<String, Json>, Problem> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(map)) => match map.iter().find(|(name, value)| name.contains('\0') || holds_nul(value)) {
            Some((name, _)) => Err(nul_refused(lang, &name.replace('\0', ""))),
            None => Ok(map),
        },
        Ok(_) => Err(Problem::field(
            Kind::BadRequest,
            lang,
            "body",
            "json_object",
            &Text::new("Innholdet må være et JSON-objekt", "The body must be a JSON object"),
        )),
        Err(err) => Err(Problem::field(
            Kind::BadRequest,
            lang,
            "body",
            "json_syntax",
            &Text::new(
                format!(
                    "Innholdet er ikke gyldig JSON (linje {}, kolonne {}): {err}",
                    err.line(),
                    err.column()
                ),
                format!(
                    "The body is not valid JSON (line {}, column {}): {err}",
                    err.line(),
                    err.column()
                ),
            ),
        )),
    }
}

/// Whether a JSON value holds the NUL character (U+0000) in a string or a member name.
fn holds_nul(value: &Json) -> bool {
    match value {
        Json::String(text) => text.contains('\0'),
        Json::Array(items) => items.iter().any(holds_nul),
        Json::Object(map) => map.iter().any(|(name, value)| name.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// No register text needs U+0000, and PostgreSQL cannot store it: refused where it enters.
fn nul_refused(lang: Lang, field: &str) -> Problem {
    Problem::field(
        Kind::BadRequest,
        lang,
        field,
        "nul_character",
        &Text::new(
            "Teksten kan ikke inneholde tegnet NUL (U+0000)",
            "The text cannot contain the NUL character (U+0000)",
        ),
    )
}

/// Path parameters; a path that cannot be read (e.g. invalid percent-encoding) is a 400 problem.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang::of_headers(&parts.headers);
        if parts.uri.path().contains("%00") {
            return Err(nul_refused(lang, "path"));
        }
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| {
                Problem::field(
                    Kind::BadRequest,
                    lang,
                    "path",
                    "path",
                    &Text::new(
                        format!("Adressen kan ikke leses: {}", rejection.body_text()),
                        format!("The path cannot be read: {}", rejection.body_text()),
                    ),
                )
            })
    }
}

/// The query string as name/value pairs, in order; handlers check each name and value.
#[derive(Debug)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang::of_headers(&parts.headers);
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                Problem::field(
                    Kind::BadRequest,
                    lang,
                    "query",
                    "query_syntax",
                    &Text::new("Spørrestrengen kan ikke leses", "The query string cannot be read"),
                )
            })?;
        match pairs
            .iter()
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            Some((name, _)) => Err(nul_refused(lang, &name.replace('\0', ""))),
            None => Ok(QueryPairs(pairs)),
        }
    }
}

/// The version a client expects to replace, from `If-Match: "<version>"` (quotes optional).
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang::of_headers(&parts.headers);
        let mut values = parts.headers.get_all(IF_MATCH).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            let missing = parts.headers.get(IF_MATCH).is_none();
            return Err(if missing {
                Problem::field(
                    Kind::PreconditionRequired,
                    lang,
                    "If-Match",
                    "required",
                    &Text::new(
                        "Send versjonen du endrer i If-Match (ETag fra forrige svar, f.eks. If-Match: \"3\")",
                        "Send the version you are changing in If-Match (the ETag of the last response, e.g. If-Match: \"3\")",
                    ),
                )
            } else {
                if_match_unreadable(lang)
            });
        };
        value
            .to_str()
            .ok()
            .and_then(parse_version)
            .map(IfMatch)
            .ok_or_else(|| if_match_unreadable(lang))
    }
}

/// `"3"` or `3` → 3; weak tags, lists, `*` and anything else → None.
fn parse_version(value: &str) -> Option<i64> {
    let value = value.trim();
    let bare = match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"')?,
        None => value,
    };
    if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    bare.parse::<i64>().ok().filter(|v| *v >= 1)
}

fn if_match_unreadable(lang: Lang) -> Problem {
    Problem::field(
        Kind::BadRequest,
        lang,
        "If-Match",
        "version",
        &Text::new(
            "If-Match må være én versjon, f.eks. \"3\"",
            "If-Match must be one version, e.g. \"3\"",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_character_anywhere_in_the_body_is_refused_naming_the_member() {
        let refused =
            parse_object(br#"{"sex": "female", "comment": {"x": ["a\u0000"]}}"#, Lang::En).expect_err("NUL is refused");
        assert_eq!(refused.fields(), vec!["comment"]);
        assert!(parse_object(br#"{"comment": "a\\u0000 is only text"}"#, Lang::En).is_ok());
    }

    #[test]
    fn versions_with_and_without_quotes() {
        assert_eq!(parse_version("\"3\""), Some(3));
        assert_eq!(parse_version(" 12 "), Some(12));
        assert_eq!(parse_version("W/\"3\""), None);
        assert_eq!(parse_version("\"3\", \"4\""), None);
        assert_eq!(parse_version("*"), None);
        assert_eq!(parse_version("\"0\""), None);
        assert_eq!(parse_version("\"-1\""), None);
        assert_eq!(parse_version("\"3"), None);
        assert_eq!(parse_version("99999999999999999999"), None);
    }

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }

    #[test]
    fn only_objects_are_bodies() {
        assert!(parse_object(br#"{"a": 1}"#, Lang::En).is_ok());
        assert!(parse_object(b"[1, 2]", Lang::En).is_err());
        assert!(parse_object(b"{\"a\": ", Lang::En).is_err());
        assert!(parse_object(b"", Lang::En).is_err());
    }
}
