//! National ids in lists: the birth date digits with the rest masked, so a list tells
//! registrations apart without handing out identities; the full id only on the audited
//! read of one registration.

use serde_json::Value as Json;

use crate::{AppError, Platform, RegistrationView};

/// A national id with only its birth date digits shown: `010203*****` (Norwegian),
/// `19900315****` (Swedish); a value that is no valid id is masked whole.
pub fn masked_national_id(text: &str) -> String {
    match kvalreg_core::national_id::parse(text) {
        Ok(id) => {
            let hidden = if id.kind.is_norwegian() { 5 } else { 4 };
            let shown = id.normalized.len().saturating_sub(hidden);
            format!("{}{}", &id.normalized[..shown], "*".repeat(hidden))
        }
        Err(_) => "*".repeat(text.chars().count().min(12)),
    }
}

impl Platform {
    /// Masks the national id of a registration read for a list.
    pub fn mask_person(&self, view: &mut RegistrationView) -> Result<(), AppError> {
        let register = self.register(&view.register)?;
        if let Some(Json::String(id)) = view.values.get_mut(&register.person_variable) {
            *id = masked_national_id(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    use super::*;

    #[test]
    fn only_the_birth_date_shows() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let norwegian = crate::synthetic::synthetic_national_id(jiff::civil::date(1950, 2, 3), true, &mut rng);
        let masked = masked_national_id(&norwegian);
        assert_eq!(masked.len(), 11);
        assert_eq!(&masked[..6], &norwegian[..6]);
        assert!(masked.ends_with("*****"));
        assert_eq!(masked_national_id("not an id"), "*********");
    }
}
