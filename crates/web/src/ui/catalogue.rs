//! The registrar pages' message catalogue: every UI string lives in i18n/{nb,en}.ftl (one
//! `key = text` per line, `{ $name }` placeholders), compiled into the binary.

use std::collections::HashMap;
use std::sync::LazyLock;

use kvalreg_core::messages::Lang;

static NB: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| parse(include_str!("../../i18n/nb.ftl")));
static EN: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| parse(include_str!("../../i18n/en.ftl")));

fn parse(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once(" = "))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

/// The message `key` in `lang`; the key itself when the catalogue lacks it (a test keeps
/// both catalogues complete).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    let table = match lang {
        Lang::Nb => &NB,
        Lang::En => &EN,
    };
    table.get(key).copied().unwrap_or(key)
}

/// The message `key` with its `{ $name }` placeholders filled in.
pub fn t_with(lang: Lang, key: &'static str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(lang, key).to_owned(), |text, (name, value)| {
        text.replace(&format!("{{ ${name} }}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let mut nb: Vec<_> = NB.keys().collect();
        let mut en: Vec<_> = EN.keys().collect();
        nb.sort();
        en.sort();
        assert_eq!(nb, en);
        assert!(nb.len() > 50);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            t_with(Lang::En, "signed-in-as", &[("user", "kari")]),
            "Signed in as kari"
        );
        assert_eq!(
            t_with(Lang::Nb, "signed-in-as", &[("user", "kari")]),
            "Innlogget som kari"
        );
        assert_eq!(t(Lang::Nb, "no-such-key"), "no-such-key");
    }
}
