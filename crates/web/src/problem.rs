//! RFC 9457 problem details: the one shape every refusal of the API takes, with a stable
//! type URI per kind of problem and, where fields are at fault, every field, rule and message.

use axum::http::header::{CONTENT_TYPE, ETAG};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kvalreg_core::messages::{Lang, Text};
use serde_json::{Map, Value as Json, json};

/// The kinds of problem the API reports. Each has a stable type URI `/problems/<slug>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    Validation,
    NotFound,
    UnknownRegister,
    VersionConflict,
    Locked,
    BadTransition,
    PreconditionRequired,
    UnsupportedMediaType,
    PayloadTooLarge,
    MethodNotAllowed,
    Internal,
}

impl Kind {
    pub fn status(self) -> StatusCode {
        match self {
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::NotFound | Kind::UnknownRegister => StatusCode::NOT_FOUND,
            Kind::VersionConflict | Kind::Locked | Kind::BadTransition => StatusCode::CONFLICT,
            Kind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The last segment of the type URI.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::BadRequest => "bad-request",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::Validation => "validation",
            Kind::NotFound => "not-found",
            Kind::UnknownRegister => "unknown-register",
            Kind::VersionConflict => "version-conflict",
            Kind::Locked => "locked",
            Kind::BadTransition => "bad-transition",
            Kind::PreconditionRequired => "precondition-required",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::PayloadTooLarge => "payload-too-large",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::Internal => "internal",
        }
    }

    fn title(self) -> Text {
        match self {
            Kind::BadRequest => Text::new("Forespørselen kan ikke leses", "The request cannot be read"),
            Kind::Unauthorized => Text::new("Ikke innlogget", "Not signed in"),
            Kind::Forbidden => Text::new("Ingen tilgang", "Access denied"),
            Kind::Validation => Text::new("Opplysningene ble avvist", "The data was refused"),
            Kind::NotFound => Text::new("Finnes ikke", "Not found"),
            Kind::UnknownRegister => Text::new("Ukjent register", "Unknown register"),
            Kind::VersionConflict => Text::new(
                "Registreringen er endret av andre",
                "The registration was changed by someone else",
            ),
            Kind::Locked => Text::new("Registreringen er låst", "The registration is locked"),
            Kind::BadTransition => Text::new("Statusendringen er ikke mulig", "The status change is not possible"),
            Kind::PreconditionRequired => Text::new("Versjon mangler", "Version missing"),
            Kind::UnsupportedMediaType => Text::new("Feil innholdstype", "Unsupported content type"),
            Kind::PayloadTooLarge => Text::new("Innholdet er for stort", "The body is too large"),
            Kind::MethodNotAllowed => Text::new("Metoden er ikke tillatt", "Method not allowed"),
            Kind::Internal => Text::new("Intern feil", "Internal error"),
        }
    }
}

/// One field at fault: which field, which rule it broke, and why (in the request's language).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, rule: impl Into<String>, message: &Text, lang: Lang) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            rule: rule.into(),
            message: message.get(lang).to_owned(),
        }
    }

    fn to_json(&self) -> Json {
        json!({ "field": self.field, "rule": self.rule, "message": self.message })
    }
}

/// A refusal on its way to the client (boxed: handlers pass it around in `Result`s).
#[derive(Debug, Clone)]
pub struct Problem(Box<Details>);

#[derive(Debug, Clone)]
struct Details {
    kind: Kind,
    title: String,
    detail: String,
    errors: Vec<FieldProblem>,
    members: Map<String, Json>,
    etag: Option<i64>,
}

impl Problem {
    pub fn new(kind: Kind, lang: Lang, detail: &Text) -> Problem {
        Problem(Box::new(Details {
            kind,
            title: kind.title().get(lang).to_owned(),
            detail: detail.get(lang).to_owned(),
            errors: Vec::new(),
            members: Map::new(),
            etag: None,
        }))
    }

    /// A problem caused by one field (a body field, a query parameter, a header or a path part).
    pub fn field(kind: Kind, lang: Lang, field: &str, rule: &str, message: &Text) -> Problem {
        Problem::new(kind, lang, message).with_errors(vec![FieldProblem::new(field, rule, message, lang)])
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Problem {
        self.0.errors = errors;
        self
    }

    /// Adds an extension member (e.g. `current_version`, `warnings`).
    pub fn with_member(mut self, name: &str, value: Json) -> Problem {
        self.0.members.insert(name.to_owned(), value);
        self
    }

    /// Sends the registration's current version as the ETag, so a client can retry.
    pub fn with_etag(mut self, version: i64) -> Problem {
        self.0.etag = Some(version);
        self
    }

    /// The fields at fault, in order (for tests and the fuzz target `api_body`).
    pub fn fields(&self) -> Vec<&str> {
        self.0.errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn body(&self) -> Json {
        let status = self.0.kind.status();
        let mut body = Map::new();
        body.insert("type".into(), Json::String(format!("/problems/{}", self.0.kind.slug())));
        body.insert("title".into(), Json::String(self.0.title.clone()));
        body.insert("status".into(), Json::from(status.as_u16()));
        body.insert("detail".into(), Json::String(self.0.detail.clone()));
        if !self.0.errors.is_empty() {
            body.insert(
                "errors".into(),
                Json::Array(self.0.errors.iter().map(FieldProblem::to_json).collect()),
            );
        }
        for (name, value) in &self.0.members {
            body.insert(name.clone(), value.clone());
        }
        Json::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.0.kind.status(), self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(version) = self.0.etag
            && let Ok(value) = HeaderValue::from_str(&crate::etag(version))
        {
            headers.insert(ETAG, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_rfc_9457_members_and_every_field() {
        let problem = Problem::new(Kind::Validation, Lang::Nb, &Text::new("to feil", "two errors"))
            .with_errors(vec![
                FieldProblem::new("sex", "code", &Text::new("ukjent kode", "unknown code"), Lang::Nb),
                FieldProblem::new(
                    "nihss_admission",
                    "hard_range",
                    &Text::new("utenfor", "outside"),
                    Lang::Nb,
                ),
            ])
            .with_member("current_version", json!(3));
        let body = problem.body();
        assert_eq!(body["type"], "/problems/validation");
        assert_eq!(body["status"], 422);
        assert_eq!(body["detail"], "to feil");
        assert_eq!(body["title"], "Opplysningene ble avvist");
        assert_eq!(body["errors"][1]["field"], "nihss_admission");
        assert_eq!(body["errors"][0]["message"], "ukjent kode");
        assert_eq!(body["current_version"], 3);
    }

    #[test]
    fn response_is_problem_json_with_status() {
        let response = Problem::new(Kind::PayloadTooLarge, Lang::En, &Text::new("x", "y"))
            .with_etag(4)
            .into_response();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
        assert_eq!(response.headers()[ETAG], "\"4\"");
    }
}
