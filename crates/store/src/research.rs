//! Research projects: what a register admin approved for one researcher (variables, period,
//! approval reference, how dates and ages are coarsened) and the project's pseudonym key,
//! kept only sealed. Dates are `YYYY-MM-DD` text, times Unix microseconds and flags integers
//! in both backends, so the statements here are the same for SQLite and PostgreSQL and each
//! backend instantiates them once (`research_statements!`), as `access.rs` does.

use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value as Json;

use crate::{AuditEntry, StoreError};

/// How an extract shows dates and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateHandling {
    /// Only the year and month (`YYYY-MM`).
    Month,
    /// Moved back by 0..=30 days, the same number for every date of one person in one
    /// project (intervals within a person are kept).
    Shift,
}

impl DateHandling {
    pub fn name(self) -> &'static str {
        match self {
            DateHandling::Month => "month",
            DateHandling::Shift => "shift",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "month" => Some(DateHandling::Month),
            "shift" => Some(DateHandling::Shift),
            _ => None,
        }
    }
}

/// An approved research project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResearchProject {
    /// e.g. `P2026-01`.
    pub id: String,
    pub register: String,
    /// The user name of the researcher who receives the extracts.
    pub researcher: String,
    /// The approved variables, in the order the extract shows them.
    pub variables: Vec<String>,
    /// Registrations whose period date is in `period_from..=period_to`.
    pub period_from: Date,
    pub period_to: Date,
    /// The ethics approval (e.g. the REK reference).
    pub approval: String,
    pub date_handling: DateHandling,
    /// Ages in bands (`age_band`) instead of years.
    pub age_bands: bool,
    /// The project's random pseudonym key, sealed with the platform's encryption key.
    #[serde(skip)]
    pub sealed_key: Vec<u8>,
    pub created_by: String,
    pub created_us: i64,
}

/// The audit entry of adding a project: the project, researcher, approval and variables,
/// never the key.
pub(crate) fn project_entry(project: &ResearchProject, actor: &str) -> AuditEntry {
    let mut entry = AuditEntry::new(actor, "research.project_add");
    entry.register = Some(project.register.clone());
    let facts = [
        ("project", Json::from(project.id.as_str())),
        ("researcher", Json::from(project.researcher.as_str())),
        ("approval", Json::from(project.approval.as_str())),
        ("variables", Json::from(project.variables.clone())),
        ("period_from", Json::from(project.period_from.to_string())),
        ("period_to", Json::from(project.period_to.to_string())),
        ("dates", Json::from(project.date_handling.name())),
        ("age_bands", Json::from(project.age_bands)),
    ];
    for (name, value) in facts {
        entry.detail.insert(name.to_owned(), value);
    }
    entry
}

/// The row a project is stored as.
pub(crate) type ProjectRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Vec<u8>,
    String,
    i64,
);

pub(crate) const PROJECT_COLUMNS: &str = "id, register, researcher, variables, period_from, period_to, approval, \
     date_handling, age_bands, sealed_key, created_by, created_us";

pub(crate) fn project_of(row: ProjectRow) -> crate::Result<ResearchProject> {
    let (id, register, researcher, variables, from, to, approval, dates, age_bands, sealed_key, created_by, created_us) =
        row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("research project {id}: {what}"));
    let variables: Vec<String> =
        serde_json::from_str(&variables).map_err(|_| corrupt("variables are not a JSON array"))?;
    let period_from: Date = from.parse().map_err(|_| corrupt("period_from is not a date"))?;
    let period_to: Date = to.parse().map_err(|_| corrupt("period_to is not a date"))?;
    let date_handling = DateHandling::parse(&dates).ok_or_else(|| corrupt("unknown date handling"))?;
    Ok(ResearchProject {
        id,
        register,
        researcher,
        variables,
        period_from,
        period_to,
        approval,
        date_handling,
        age_bands: age_bands != 0,
        sealed_key,
        created_by,
        created_us,
    })
}

/// The statements of this module for one backend's connection type: `insert`, `projects`
/// and `project`.
macro_rules! research_statements {
    ($conn:ty) => {
        use $crate::Result;
        use $crate::research::{PROJECT_COLUMNS, ProjectRow, ResearchProject, project_of};

        /// Inserts a project; the researcher must be a user (otherwise UnknownUser) and the
        /// id new (otherwise ProjectExists).
        pub(crate) async fn insert(conn: &mut $conn, project: &ResearchProject) -> Result<()> {
            let known: Option<(String,)> = sqlx::query_as("SELECT name FROM users WHERE name = $1")
                .bind(&project.researcher)
                .fetch_optional(&mut *conn)
                .await?;
            if known.is_none() {
                return Err($crate::StoreError::UnknownUser(project.researcher.clone()));
            }
            let variables = serde_json::to_string(&project.variables)
                .map_err(|e| $crate::StoreError::Corrupt(format!("variables: {e}")))?;
            let added = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO research_projects ({PROJECT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING"
            )))
            .bind(&project.id)
            .bind(&project.register)
            .bind(&project.researcher)
            .bind(variables)
            .bind(project.period_from.to_string())
            .bind(project.period_to.to_string())
            .bind(&project.approval)
            .bind(project.date_handling.name())
            .bind(i64::from(project.age_bands))
            .bind(&project.sealed_key)
            .bind(&project.created_by)
            .bind(project.created_us)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if added == 0 {
                return Err($crate::StoreError::ProjectExists(project.id.clone()));
            }
            Ok(())
        }

        /// Every project, ordered by id.
        pub(crate) async fn projects(conn: &mut $conn) -> Result<Vec<ResearchProject>> {
            let rows: Vec<ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {PROJECT_COLUMNS} FROM research_projects ORDER BY id"
            )))
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter().map(project_of).collect()
        }

        /// The project called `id`, if there is one.
        pub(crate) async fn project(conn: &mut $conn, id: &str) -> Result<Option<ResearchProject>> {
            let row: Option<ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {PROJECT_COLUMNS} FROM research_projects WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(project_of).transpose()
        }
    };
}

pub(crate) use research_statements;
