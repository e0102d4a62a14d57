//! Key rotation: everything sealed under the key file's encryption key — national id
//! ciphertexts and TOTP secrets — opened with the old key and sealed under a new one in one
//! transaction, audited as `keys.rotate`. The look-up key is kept (reservations hold only
//! look-up keys, so a new one could never recognise a reserved person again).

use kvalreg_core::identity::IdentityKeys;
use kvalreg_store::{AccessChange, Filter, Scope};

use crate::{AppError, Platform};

/// What a rotation sealed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub registrations: usize,
    pub second_factors: usize,
}

impl Platform {
    /// Seals every national id and TOTP secret again under `new` (which must keep this
    /// platform's look-up key). Nothing changes if any secret cannot be opened. Every
    /// server must be stopped first: one still running would seal new writes under the old key.
    pub async fn reseal(&self, new: &IdentityKeys, actor: &str) -> Result<Rotated, AppError> {
        let mut registrations = Vec::new();
        for register in self.registers() {
            let filter = Filter {
                register: register.id.clone(),
                ..Filter::default()
            };
            for stored in self.store.list(&Scope::AllHospitals, &filter).await? {
                if let Some(person) = stored.person {
                    let id = self.keys.decrypt(&person.ciphertext)?;
                    registrations.push((stored.id, new.encrypt(&id)?));
                }
            }
        }
        let mut totp_secrets = Vec::new();
        for user in self.store.users().await? {
            if let Some(sealed) = self.store.account(&user.name).await?.and_then(|a| a.totp_secret) {
                totp_secrets.push((user.name, new.encrypt(&self.keys.decrypt(&sealed)?)?));
            }
        }
        let mut research_keys = Vec::new();
        for project in self.store.research_projects().await? {
            research_keys.push((project.id, new.encrypt(&self.keys.decrypt(&project.sealed_key)?)?));
        }
        let rotated = Rotated {
            registrations: registrations.len(),
            second_factors: totp_secrets.len(),
        };
        self.store
            .change_access(
                AccessChange::Resealed {
                    registrations,
                    totp_secrets,
                    research_keys,
                },
                actor,
            )
            .await?;
        Ok(rotated)
    }
}
