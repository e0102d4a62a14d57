//! Who may sign in and what each may do: users with an Argon2id password hash and roles,
//! each role scoped to a register and a hospital where it needs one (domain.md 2). The
//! store keeps them; the app checks scopes and hashes passwords.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::AuditEntry;

/// A role of domain.md 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates and edits registrations of their own hospitals in one register.
    Registrar,
    /// As registrar for one hospital, plus complete/lock/reopen and identifiable reports.
    UnitLead,
    /// Everything in one register: users, definitions, reservations, deliveries.
    RegisterAdmin,
    /// Downloads the extracts of their approved projects; no record access.
    Researcher,
    /// Reads and verifies the audit log of the whole platform.
    Auditor,
    /// Keeps their own EVT training logbook.
    Trainee,
    /// Signs off their own trainees' logbook entries.
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Registrar,
        Role::UnitLead,
        Role::RegisterAdmin,
        Role::Researcher,
        Role::Auditor,
        Role::Trainee,
        Role::Supervisor,
    ];

    /// The name in files, the database and the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Registrar => "registrar",
            Role::UnitLead => "unit_lead",
            Role::RegisterAdmin => "register_admin",
            Role::Researcher => "researcher",
            Role::Auditor => "auditor",
            Role::Trainee => "trainee",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// One role of a user, with its register and hospital where the role is scoped to them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    pub role: Role,
    pub register: Option<String>,
    pub hospital: Option<String>,
}

/// `role[:register[:hospital]]`, as the command line writes and reads a grant.
impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = self.role.name().to_owned();
        for part in [&self.register, &self.hospital] {
            text.push(':');
            text.push_str(part.as_deref().unwrap_or_default());
        }
        f.write_str(text.trim_end_matches(':'))
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub name: String,
    /// Argon2id PHC string; never a password.
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
    pub created_at: Timestamp,
    /// Ordered by role, register, hospital.
    pub grants: Vec<Grant>,
}

/// The audit detail of a permission change: the grants, never the hash.
pub(crate) fn grants_entry(actor: &str, action: &str, user: &str, grants: &[Grant]) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, action);
    entry.detail.insert("user".into(), Json::from(user));
    let listed: Vec<Json> = grants
        .iter()
        .map(|g| {
            let mut m = Map::new();
            m.insert("role".into(), Json::from(g.role.name()));
            m.insert("register".into(), g.register.clone().map_or(Json::Null, Json::from));
            m.insert("hospital".into(), g.hospital.clone().map_or(Json::Null, Json::from));
            Json::Object(m)
        })
        .collect();
    entry.detail.insert("grants".into(), Json::Array(listed));
    entry
}

/// A user row joined with one of its grants (none for a user without roles).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    pub name: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: String,
    pub role: Option<String>,
    pub register: Option<String>,
    pub hospital: Option<String>,
}

/// Users from rows ordered by name: one user per name, grants gathered.
pub(crate) fn users_of(rows: Vec<UserRow>) -> crate::Result<Vec<User>> {
    let mut users: Vec<User> = Vec::new();
    for row in rows {
        if users.last().is_none_or(|u| u.name != row.name) {
            let created_at = row.created_at.parse().map_err(|e| {
                crate::StoreError::Corrupt(format!("user {} created_at {:?}: {e}", row.name, row.created_at))
            })?;
            users.push(User {
                name: row.name.clone(),
                password_hash: row.password_hash.clone(),
                active: row.active,
                created_at,
                grants: Vec::new(),
            });
        }
        if let (Some(role), Some(user)) = (row.role, users.last_mut()) {
            let role = Role::parse(&role)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("user {} has unknown role {role:?}", row.name)))?;
            user.grants.push(Grant {
                role,
                register: row.register,
                hospital: row.hospital,
            });
        }
    }
    for user in &mut users {
        user.grants.sort();
    }
    Ok(users)
}
