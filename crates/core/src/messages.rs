//! Bilingual text (Norwegian bokmål and English) and the catalogue of the platform's own
//! messages, so every refusal reads the same in the API, the forms and the import report.

use serde::{Deserialize, Serialize};

/// The languages every message exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Nb,
    En,
}

/// A text in both languages: titles, labels and messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub nb: String,
    pub en: String,
}

impl Text {
    pub fn new(nb: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            nb: nb.into(),
            en: en.into(),
        }
    }

    /// The text in the asked language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nb => &self.nb,
            Lang::En => &self.en,
        }
    }
}

/// A field name that is no variable of the register.
pub fn unknown_field(field: &str) -> Text {
    Text::new(
        format!("«{field}» er ikke en variabel i registeret"),
        format!("«{field}» is not a variable of the register"),
    )
}

/// A derived variable sent as if it were entered.
pub fn derived_field(field: &str) -> Text {
    Text::new(
        format!("«{field}» er en avledet verdi og beregnes av systemet; den kan ikke fylles ut"),
        format!("«{field}» is a derived value computed by the system; it cannot be entered"),
    )
}

/// A JSON value of the wrong kind for the variable's type.
pub fn wrong_type(label: &Text, expected: &Text) -> Text {
    Text::new(
        format!("«{}» må være {}", label.nb, expected.nb),
        format!("«{}» must be {}", label.en, expected.en),
    )
}

/// What a value of each type looks like, for [`wrong_type`].
pub fn type_description(var_type: crate::value::VarType, allow_unknown: bool) -> Text {
    use crate::value::VarType;
    let base = match var_type {
        VarType::Bool => Text::new("sann eller usann (true/false)", "true or false"),
        VarType::Int => Text::new("et heltall", "a whole number"),
        VarType::Code => Text::new("en kode (tekst)", "a code (a string)"),
        VarType::Date => Text::new("en dato (ÅÅÅÅ-MM-DD)", "a date (YYYY-MM-DD)"),
        VarType::Datetime => Text::new(
            "et tidspunkt (ÅÅÅÅ-MM-DDTtt:mm, eller bare datoen når klokkeslettet er ukjent)",
            "a date and time (YYYY-MM-DDThh:mm, or the date alone when the clock time is unknown)",
        ),
        VarType::Text => Text::new("en tekst", "a string"),
    };
    if allow_unknown {
        Text::new(
            format!("{} eller \"unknown\"", base.nb),
            format!("{} or \"unknown\"", base.en),
        )
    } else {
        base
    }
}

/// A date or time text that could not be read; `detail` says why.
pub fn unreadable_time(label: &Text, detail: &Text) -> Text {
    Text::new(
        format!("«{}» kunne ikke leses: {}", label.nb, detail.nb),
        format!("«{}» could not be read: {}", label.en, detail.en),
    )
}

/// A code that is not in the variable's code list.
pub fn code_not_in_list(label: &Text, code: &str, list: &str) -> Text {
    Text::new(
        format!("«{}»: koden «{code}» finnes ikke i kodelisten «{list}»", label.nb),
        format!("«{}»: the code «{code}» is not in the code list «{list}»", label.en),
    )
}

/// A national id refused by its check; `detail` is the rule's own message.
pub fn invalid_person_id(label: &Text, detail: &Text) -> Text {
    Text::new(
        format!("«{}» er ugyldig: {}", label.nb, detail.nb),
        format!("«{}» is invalid: {}", label.en, detail.en),
    )
}

/// A number outside the range the variable can ever have.
pub fn hard_range(label: &Text, value: i64, min: i64, max: i64) -> Text {
    Text::new(
        format!("«{}» må være mellom {min} og {max} (er {value})", label.nb),
        format!("«{}» must be between {min} and {max} (is {value})", label.en),
    )
}

/// A number outside the range the register expects; allowed, but flagged.
pub fn soft_range(label: &Text, value: i64, min: i64, max: i64) -> Text {
    Text::new(
        format!(
            "«{}» er {value}, utenfor det vanlige området {min}–{max}; kontroller verdien",
            label.nb
        ),
        format!(
            "«{}» is {value}, outside the usual range {min}–{max}; please check the value",
            label.en
        ),
    )
}

/// A value present where its show-if condition is false.
pub fn only_allowed_when(label: &Text, condition: &str) -> Text {
    Text::new(
        format!("«{}» skal bare fylles ut når {condition}", label.nb),
        format!("«{}» is only allowed when {condition}", label.en),
    )
}

/// A value that must be present to complete the registration.
pub fn required(label: &Text) -> Text {
    Text::new(
        format!("«{}» må fylles ut for å fullføre registreringen", label.nb),
        format!("«{}» is required to complete the registration", label.en),
    )
}

/// A value that must be present to complete the registration because a condition holds.
pub fn required_when(label: &Text, condition: &str) -> Text {
    Text::new(
        format!(
            "«{}» må fylles ut for å fullføre registreringen når {condition}",
            label.nb
        ),
        format!(
            "«{}» is required to complete the registration when {condition}",
            label.en
        ),
    )
}

/// A value of a variable that was not yet in use on the registration's date.
pub fn not_yet_introduced(label: &Text, introduced: &str) -> Text {
    Text::new(
        format!(
            "«{}» ble tatt i bruk {introduced} og skal ikke fylles ut for registreringer før det",
            label.nb
        ),
        format!(
            "«{}» was introduced on {introduced} and is not used for registrations before then",
            label.en
        ),
    )
}

/// A value of a variable that was retired before the registration's date.
pub fn retired(label: &Text, retired: &str) -> Text {
    Text::new(
        format!(
            "«{}» ble tatt ut av bruk {retired} og skal ikke fylles ut for registreringer fra da",
            label.nb
        ),
        format!(
            "«{}» was retired on {retired} and is not used for registrations from then on",
            label.en
        ),
    )
}
