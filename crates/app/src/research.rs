//! Research extracts (domain.md 6): a register admin approves a project (researcher,
//! variables, period, approval reference, how dates and ages are shown), and the platform
//! delivers its extract: the register's complete and locked registrations in the period, only
//! the approved variables, a per-project pseudonym instead of the person, dates coarsened to
//! the month or shifted per person, ages in bands where asked, and a refusal naming every
//! combination of quasi-identifiers that fewer than [`MIN_PERSONS`] persons share.
//!
//! # Pseudonyms and date shifts
//!
//! Every project has its own random 32-byte key, stored only sealed with the platform's
//! encryption key. A person's pseudonym is the first 16 hex digits of
//! HMAC-SHA-256(project key, look-up key): the same person has the same pseudonym in every
//! extract of one project and unlinkable ones across projects. With `shift`, every date and
//! time of one person moves back by the same 0..=30 days, taken from
//! HMAC-SHA-256(project key, `"date-shift:" + look-up key`), so intervals stay exact.

mod xlsx;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use kvalreg_core::definition::{HOSPITALS, Register};
use kvalreg_core::messages::Text;
use kvalreg_core::time::{self, format_date, parse_moment};
use kvalreg_core::validation::{Context, Finding, Severity};
use kvalreg_core::value::{Moment, VarType};
use kvalreg_store::{AuditEntry, DateHandling, Filter, ResearchProject, Role, Scope, Status};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::cells::json_cell;
use crate::parquet::{ColumnType, ParquetTable};
use crate::{AppError, Platform};

/// A combination of quasi-identifiers must be shared by at least this many persons.
pub const MIN_PERSONS: usize = 5;

/// The column of the per-project pseudonym.
pub const PSEUDONYM: &str = "pseudonym";

/// The column of the age band, shown instead of `age` when the project asks for bands.
pub const AGE_BAND: &str = "age_band";

/// The derived variable holding the age in years.
const AGE: &str = "age";

/// Age bands: the lowest age of each band and its label.
const AGE_BANDS: [(i64, &str); 7] = [
    (0, "0-17"),
    (18, "18-49"),
    (50, "50-59"),
    (60, "60-69"),
    (70, "70-79"),
    (80, "80-89"),
    (90, "90+"),
];

/// Columns that, besides the register's unit and other hospital variables, identify a
/// person together: age, sex, place and diagnosis (domain.md 6).
const QUASI_IDENTIFIERS: [&str; 9] = [
    AGE_BAND,
    AGE,
    "birth_date",
    "sex",
    "county",
    "health_trust",
    "health_region",
    "diagnosis",
    "stroke_type",
];

/// Registrations read from the store at a time.
const PAGE: u32 = 5_000;

/// What a register admin approves.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub id: String,
    pub register: String,
    pub researcher: String,
    pub variables: Vec<String>,
    pub period_from: Date,
    pub period_to: Date,
    pub approval: String,
    pub date_handling: DateHandling,
    pub age_bands: bool,
}

/// The file formats of an extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractFormat {
    /// `ID-extract.csv` and `ID-codebook.csv`.
    Csv,
    /// `ID-extract.xlsx` (sheets `extract` and `codebook`) and `ID-codebook.csv`.
    Xlsx,
    /// `ID-extract.parquet` (typed columns) and `ID-codebook.csv`.
    Parquet,
}

impl ExtractFormat {
    /// Every format, in the order the download page offers them.
    pub const ALL: &'static [ExtractFormat] = &[ExtractFormat::Csv, ExtractFormat::Xlsx, ExtractFormat::Parquet];

    pub fn name(self) -> &'static str {
        match self {
            ExtractFormat::Csv => "csv",
            ExtractFormat::Xlsx => "xlsx",
            ExtractFormat::Parquet => "parquet",
        }
    }

    /// The extract file's bytes in this format.
    pub fn encode(self, extract: &Extract) -> Result<Vec<u8>, AppError> {
        match self {
            ExtractFormat::Csv => extract_csv(extract),
            ExtractFormat::Xlsx => extract_xlsx(extract),
            ExtractFormat::Parquet => extract_parquet(extract),
        }
    }

    /// The media type of the extract file.
    pub fn media_type(self) -> &'static str {
        match self {
            ExtractFormat::Csv => "text/csv; charset=utf-8",
            ExtractFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExtractFormat::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// A column's type in an extract (for the codebook and numeric XLSX cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodebookRow {
    pub variable: String,
    pub label_nb: String,
    pub label_en: String,
    pub kind: String,
    pub codes: String,
}

/// An extract made in memory, checked and ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    pub project: String,
    /// Column names, `pseudonym` first.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// One row per column, in column order.
    pub codebook: Vec<CodebookRow>,
    /// The Parquet type of each column, in column order.
    pub types: Vec<ColumnType>,
    /// How many distinct persons the rows hold.
    pub persons: usize,
}

/// The files an extract was written to.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub extract: PathBuf,
    pub codebook: PathBuf,
    pub rows: usize,
    pub persons: usize,
}

fn refuse(field: &str, rule: &str, nb: String, en: String) -> Finding {
    Finding::new(field, rule, Severity::Error, Text::new(nb, en))
}

/// HMAC-SHA-256 (RFC 2104) of `message` under a key of at most 64 bytes.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The pseudonym of a person (by look-up key) under a project key: 16 hex digits.
pub fn pseudonym(project_key: &[u8], lookup_key: &str) -> String {
    hex::encode(&hmac_sha256(project_key, lookup_key.as_bytes())[..8])
}

/// The days (0..=30) every date of a person moves back by under a project key.
fn shift_days(project_key: &[u8], lookup_key: &str) -> i64 {
    let mac = hmac_sha256(project_key, format!("date-shift:{lookup_key}").as_bytes());
    let first = u64::from_be_bytes(mac[..8].try_into().unwrap_or([0; 8]));
    (first % 31) as i64
}

/// The band of an age in years.
pub fn age_band(age: i64) -> &'static str {
    AGE_BANDS
        .iter()
        .rev()
        .find(|(from, _)| age >= *from)
        .map_or(AGE_BANDS[0].1, |(_, label)| label)
}

/// A project id: 1 to 40 of A-Z a-z 0-9 . _ -
fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The checks of a new project against its register; every problem found.
fn check_project(register: &Register, new: &NewProject) -> Vec<Finding> {
    let mut found = Vec::new();
    if !valid_id(&new.id) {
        found.push(refuse(
            "id",
            "format",
            format!("Prosjekt-id «{}» må være 1–40 tegn av A–Z, a–z, 0–9, . _ -", new.id),
            format!(
                "The project id `{}` must be 1–40 characters of A–Z, a–z, 0–9, . _ -",
                new.id
            ),
        ));
    }
    if new.variables.is_empty() {
        found.push(refuse(
            "variables",
            "required",
            "Prosjektet må ha minst én godkjent variabel".into(),
            "The project needs at least one approved variable".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    for name in &new.variables {
        if !seen.insert(name.as_str()) {
            found.push(refuse(
                "variables",
                "duplicate",
                format!("Variabelen {name} er oppgitt to ganger"),
                format!("The variable {name} is given twice"),
            ));
        } else if *name == register.person_variable {
            found.push(refuse(
                "variables",
                "national_id",
                format!("{name} er fødselsnummeret og kan aldri utleveres; personer får et pseudonym per prosjekt"),
                format!("{name} is the national id and is never delivered; persons get a per-project pseudonym"),
            ));
        } else if name == PSEUDONYM || name == AGE_BAND {
            found.push(refuse(
                "variables",
                "reserved",
                format!("{name} lages av plattformen og kan ikke godkjennes som variabel"),
                format!("{name} is made by the platform and cannot be approved as a variable"),
            ));
        } else if register.type_of(name).is_none() {
            found.push(refuse(
                "variables",
                "unknown",
                format!("Registeret {} har ingen variabel som heter {name}", register.id),
                format!("The register {} has no variable called {name}", register.id),
            ));
        }
    }
    if new.period_from > new.period_to {
        found.push(refuse(
            "period",
            "order",
            format!(
                "Perioden starter ({}) etter at den slutter ({})",
                new.period_from, new.period_to
            ),
            format!(
                "The period starts ({}) after it ends ({})",
                new.period_from, new.period_to
            ),
        ));
    }
    if new.approval.trim().is_empty() {
        found.push(refuse(
            "approval",
            "required",
            "Oppgi godkjenningen (f.eks. REK-nummer)".into(),
            "Give the approval reference (e.g. the REK number)".into(),
        ));
    }
    found
}

impl Platform {
    /// Approves a research project: the register, variables and period are checked (a
    /// refusal names field and rule for every problem), the researcher must be a user with
    /// the researcher role, and a fresh pseudonym key is sealed with the platform's keys.
    /// Audited as `research.project_add`.
    pub async fn add_research_project(&self, new: NewProject, actor: &str) -> Result<ResearchProject, AppError> {
        let register = self.register(&new.register)?;
        let mut found = check_project(register, &new);
        let users = self.store.users().await?;
        match users.iter().find(|u| u.name == new.researcher) {
            None => found.push(refuse(
                "researcher",
                "unknown",
                format!("Det finnes ingen bruker som heter {}", new.researcher),
                format!("There is no user called {}", new.researcher),
            )),
            Some(user) if !user.grants.iter().any(|g| g.role == Role::Researcher) => found.push(refuse(
                "researcher",
                "role",
                format!("Brukeren {} har ikke rollen researcher", new.researcher),
                format!("The user {} does not have the researcher role", new.researcher),
            )),
            Some(_) => {}
        }
        if !found.is_empty() {
            return Err(AppError::ProjectRefused(found));
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| {
            AppError::Format(format!(
                "the operating system gave no random bytes for a project key: {e}"
            ))
        })?;
        let project = ResearchProject {
            id: new.id,
            register: register.id.clone(),
            researcher: new.researcher,
            variables: new.variables,
            period_from: new.period_from,
            period_to: new.period_to,
            approval: new.approval.trim().to_owned(),
            date_handling: new.date_handling,
            age_bands: new.age_bands,
            sealed_key: self.keys.encrypt(&hex::encode(key))?,
            created_by: actor.to_owned(),
            created_us: Timestamp::now().as_microsecond(),
        };
        self.store.add_research_project(&project, actor).await?;
        Ok(project)
    }

    /// Every research project, ordered by id.
    pub async fn research_projects(&self) -> Result<Vec<ResearchProject>, AppError> {
        Ok(self.store.research_projects().await?)
    }

    /// A research project by id.
    pub async fn research_project(&self, id: &str) -> Result<ResearchProject, AppError> {
        self.store
            .research_project(id)
            .await?
            .ok_or_else(|| AppError::Format(format!("there is no research project called {id}")))
    }

    /// The project's pseudonym key, opened.
    fn project_key(&self, project: &ResearchProject) -> Result<Vec<u8>, AppError> {
        let text = self.keys.decrypt(&project.sealed_key)?;
        hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| AppError::Format(format!("the pseudonym key of project {} is damaged", project.id)))
    }

    /// Makes a project's extract in memory and checks it: refused (ExtractRefused, naming
    /// the combinations) when fewer than [`MIN_PERSONS`] persons share a combination of
    /// quasi-identifiers. Not audited: [`Platform::write_research_extract`] is what delivers.
    pub async fn research_extract(&self, project_id: &str) -> Result<Extract, AppError> {
        let project = self.research_project(project_id).await?;
        let register = self.register(&project.register)?;
        let key = self.project_key(&project)?;
        let columns = extract_columns(register, &project);
        let hospitals = self.hospital_codes().await?;
        let ctx = Context { hospitals: &hospitals };
        let mut filter = Filter {
            register: register.id.clone(),
            event_from: Some(project.period_from),
            event_to: Some(project.period_to),
            limit: PAGE,
            ..Filter::default()
        };
        let mut rows = Vec::new();
        let mut persons = BTreeSet::new();
        loop {
            let page = self.store.list(&Scope::AllHospitals, &filter).await?;
            let Some(last) = page.last() else { break };
            filter.after = Some(last.id);
            let full = page.len() == PAGE as usize;
            for stored in page {
                if !matches!(stored.status, Status::Complete | Status::Locked) {
                    continue;
                }
                // A registration without a person (none should be complete) stands alone.
                let person = stored
                    .person
                    .as_ref()
                    .map_or_else(|| format!("registration:{}", stored.id), |p| p.lookup_key.clone());
                let view = self.view(register, stored, &ctx)?;
                let shift = match project.date_handling {
                    DateHandling::Shift => Some(shift_days(&key, &person)),
                    DateHandling::Month => None,
                };
                let alias = pseudonym(&key, &person);
                let row: Vec<String> = columns
                    .iter()
                    .map(|column| {
                        if column == PSEUDONYM {
                            return alias.clone();
                        }
                        let source = if column == AGE_BAND { AGE } else { column.as_str() };
                        let value = view.values.get(source).or_else(|| view.derived.get(source));
                        let Some(value) = value.filter(|v| !v.is_null()) else {
                            return String::new();
                        };
                        if column == AGE_BAND {
                            return value.as_i64().map(|age| age_band(age).to_owned()).unwrap_or_default();
                        }
                        match register.type_of(source) {
                            Some(VarType::Date | VarType::Datetime) => date_cell(&json_cell(value), shift),
                            _ => json_cell(value),
                        }
                    })
                    .collect();
                persons.insert(alias);
                rows.push(row);
            }
            if !full {
                break;
            }
        }
        check_k(register, &project, &columns, &rows)?;
        Ok(Extract {
            project: project.id.clone(),
            codebook: columns.iter().map(|c| codebook_row(register, &project, c)).collect(),
            types: columns.iter().map(|c| column_type(register, &project, c)).collect(),
            columns,
            rows,
            persons: persons.len(),
        })
    }

    /// Makes, checks and writes a project's extract into `dir` (created if missing) with its
    /// codebook; a refusal writes nothing. Audited as `research.extract` (project, rows,
    /// format) before the files are written, so a failed audit delivers nothing.
    pub async fn write_research_extract(
        &self,
        project_id: &str,
        format: ExtractFormat,
        dir: &Path,
        actor: &str,
    ) -> Result<Written, AppError> {
        let extract = self.research_extract(project_id).await?;
        let project = self.research_project(project_id).await?;
        let mut entry = AuditEntry::new(actor, "research.extract");
        entry.register = Some(project.register.clone());
        entry.detail.insert("project".into(), Json::from(project.id.as_str()));
        entry.detail.insert("rows".into(), Json::from(extract.rows.len()));
        entry.detail.insert("format".into(), Json::from(format.name()));
        self.store.audit(entry).await?;
        std::fs::create_dir_all(dir)?;
        let codebook = dir.join(format!("{}-codebook.csv", extract.project));
        write_atomically(&codebook, &codebook_csv(&extract)?)?;
        let bytes = format.encode(&extract)?;
        let extract_path = dir.join(format!("{}-extract.{}", extract.project, format.name()));
        write_atomically(&extract_path, &bytes)?;
        Ok(Written {
            extract: extract_path,
            codebook,
            rows: extract.rows.len(),
            persons: extract.persons,
        })
    }
}

/// The columns of a project's extract: the pseudonym, then the approved variables in their
/// order (`age` becoming `age_band` with bands; with bands and no `age`, `age_band` follows
/// the pseudonym).
fn extract_columns(register: &Register, project: &ResearchProject) -> Vec<String> {
    let mut columns = vec![PSEUDONYM.to_owned()];
    if project.age_bands && !project.variables.iter().any(|v| v == AGE) {
        columns.push(AGE_BAND.to_owned());
    }
    for name in &project.variables {
        if *name == register.person_variable {
            continue; // never: refused when the project was made
        }
        if name == AGE && project.age_bands {
            columns.push(AGE_BAND.to_owned());
        } else {
            columns.push(name.clone());
        }
    }
    columns
}

/// Whether a column is a quasi-identifier: age, sex, a place (the unit or any hospital
/// variable) or a diagnosis.
fn quasi_identifier(register: &Register, column: &str) -> bool {
    QUASI_IDENTIFIERS.contains(&column)
        || column == register.unit_variable
        || register
            .variable(column)
            .is_some_and(|v| v.codes.as_deref() == Some(HOSPITALS))
        || register
            .variable(column)
            .is_some_and(|v| v.codes.as_deref() == Some("diagnosis"))
}

/// Refuses the extract when a combination of the quasi-identifier columns is shared by
/// fewer than [`MIN_PERSONS`] persons, naming every such combination (the rarest first).
fn check_k(
    register: &Register,
    project: &ResearchProject,
    columns: &[String],
    rows: &[Vec<String>],
) -> Result<(), AppError> {
    let quasi: Vec<usize> = (0..columns.len())
        .filter(|&i| quasi_identifier(register, &columns[i]))
        .collect();
    let mut groups: BTreeMap<Vec<&str>, BTreeSet<&str>> = BTreeMap::new();
    for row in rows {
        let combination: Vec<&str> = quasi.iter().map(|&i| row[i].as_str()).collect();
        groups.entry(combination).or_default().insert(row[0].as_str());
    }
    let mut small: Vec<(usize, String)> = groups
        .iter()
        .filter(|(_, persons)| persons.len() < MIN_PERSONS)
        .map(|(combination, persons)| {
            let named: Vec<String> = if quasi.is_empty() {
                vec!["(all rows)".to_owned()]
            } else {
                quasi
                    .iter()
                    .zip(combination)
                    .map(|(&i, value)| format!("{}={value}", columns[i]))
                    .collect()
            };
            (persons.len(), named.join(", "))
        })
        .collect();
    if small.is_empty() {
        return Ok(());
    }
    small.sort();
    let total = small.len();
    let shown = |persons: fn(usize) -> &'static str| -> String {
        let listed: Vec<String> = small
            .iter()
            .take(10)
            .map(|(count, combination)| format!("{combination}: {count} {}", persons(*count)))
            .collect();
        listed.join("; ")
    };
    let more = total.saturating_sub(10);
    Err(AppError::ExtractRefused(Text::new(
        format!(
            "uttrekket for prosjekt {} er avvist: {total} kombinasjon(er) av indirekte identifiserende \
             opplysninger deles av færre enn {MIN_PERSONS} personer: {}{}; ingenting ble skrevet (grovere: \
             aldersgrupper, færre variabler, en lengre periode)",
            project.id,
            shown(|n| if n == 1 { "person" } else { "personer" }),
            if more > 0 {
                format!("; og {more} til")
            } else {
                String::new()
            }
        ),
        format!(
            "the extract of project {} is refused: {total} combination(s) of quasi-identifiers are shared by \
             fewer than {MIN_PERSONS} persons: {}{}; nothing was written (coarsen: age bands, fewer variables, a \
             longer period)",
            project.id,
            shown(|n| if n == 1 { "person" } else { "persons" }),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ),
    )))
}

/// A date or time cell as the extract shows it: `YYYY-MM`, or moved back by `shift` days.
fn date_cell(text: &str, shift: Option<i64>) -> String {
    let Ok(moment) = parse_moment(text) else {
        return text.to_owned(); // "unknown" and the like
    };
    match shift {
        None => {
            let date = time::oslo_date(&moment);
            format!("{:04}-{:02}", date.year(), date.month())
        }
        Some(days) => match moment {
            Moment::DateOnly(date) => date.checked_sub(days.days()).map(format_date).unwrap_or_default(),
            Moment::At(at) => at
                .checked_sub(SignedDuration::from_hours(24 * days))
                .map(|at| time::format_moment(&Moment::At(at)))
                .unwrap_or_default(),
        },
    }
}

/// The Parquet type of one extract column: the variable's own (a shifted date stays a date),
/// text for the pseudonym, the age band and dates shown as `YYYY-MM`.
fn column_type(register: &Register, project: &ResearchProject, column: &str) -> ColumnType {
    if column == PSEUDONYM || column == AGE_BAND {
        return ColumnType::Text;
    }
    let (var_type, allow_unknown) = match (register.variable(column), register.derived_variable(column)) {
        (Some(v), _) => (v.var_type, v.allow_unknown),
        (None, Some(d)) => (d.var_type, false),
        (None, None) => (VarType::Text, false),
    };
    match (var_type, project.date_handling) {
        (VarType::Date | VarType::Datetime, DateHandling::Month) => ColumnType::Text,
        _ => ColumnType::of_variable(var_type, allow_unknown),
    }
}

/// The codebook row of one extract column.
fn codebook_row(register: &Register, project: &ResearchProject, column: &str) -> CodebookRow {
    let row = |nb: &str, en: &str, kind: &str, codes: String| CodebookRow {
        variable: column.to_owned(),
        label_nb: nb.to_owned(),
        label_en: en.to_owned(),
        kind: kind.to_owned(),
        codes,
    };
    if column == PSEUDONYM {
        return row(
            "Pseudonym for personen i dette prosjektet",
            "Pseudonym of the person in this project",
            "text",
            String::new(),
        );
    }
    if column == AGE_BAND {
        let bands: Vec<&str> = AGE_BANDS.iter().map(|(_, label)| *label).collect();
        return row("Aldersgruppe (år)", "Age band (years)", "code", bands.join(" | "));
    }
    let (label, var_type) = match (register.variable(column), register.derived_variable(column)) {
        (Some(v), _) => (v.label.clone(), v.var_type),
        (None, Some(d)) => (d.label.clone(), d.var_type),
        (None, None) => (Text::new(column, column), VarType::Text),
    };
    let kind = match (var_type, project.date_handling) {
        (VarType::Date | VarType::Datetime, DateHandling::Month) => "month (YYYY-MM)".to_owned(),
        (VarType::Date | VarType::Datetime, DateHandling::Shift) => {
            format!("{} (shifted back 0-30 days per person)", var_type.name())
        }
        (other, _) => other.name().to_owned(),
    };
    let mut codes = match register.variable(column).and_then(|v| v.codes.as_deref()) {
        Some(HOSPITALS) => format!("{HOSPITALS} (the platform's hospital list)"),
        Some(list) => register
            .code_lists
            .get(list)
            .map(|l| {
                l.codes
                    .iter()
                    .map(|c| format!("{}={}", c.code, c.label.en))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .unwrap_or_default(),
        None => String::new(),
    };
    if register.variable(column).is_some_and(|v| v.allow_unknown) {
        codes = if codes.is_empty() {
            "unknown".to_owned()
        } else {
            format!("{codes} | unknown")
        };
    }
    row(&label.nb, &label.en, &kind, codes)
}

fn csv_bytes(records: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(&record)
            .map_err(|e| AppError::Format(format!("cannot write CSV: {e}")))?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Format(format!("cannot write CSV: {e}")))
}

const CODEBOOK_HEADER: [&str; 5] = ["variable", "label_nb", "label_en", "type", "codes"];

fn codebook_records(extract: &Extract) -> impl Iterator<Item = Vec<String>> + '_ {
    std::iter::once(CODEBOOK_HEADER.iter().map(|h| h.to_string()).collect()).chain(extract.codebook.iter().map(|r| {
        vec![
            r.variable.clone(),
            r.label_nb.clone(),
            r.label_en.clone(),
            r.kind.clone(),
            r.codes.clone(),
        ]
    }))
}

/// The codebook as CSV: variable, label_nb, label_en, type, codes.
pub fn codebook_csv(extract: &Extract) -> Result<Vec<u8>, AppError> {
    csv_bytes(codebook_records(extract))
}

/// The extract as CSV: a header of column names, then one row per registration.
pub fn extract_csv(extract: &Extract) -> Result<Vec<u8>, AppError> {
    csv_bytes(std::iter::once(extract.columns.clone()).chain(extract.rows.iter().cloned()))
}

/// The extract as an XLSX workbook: sheet `extract` (int columns as numbers) and sheet
/// `codebook`.
pub fn extract_xlsx(extract: &Extract) -> Result<Vec<u8>, AppError> {
    let numeric: Vec<bool> = extract.codebook.iter().map(|r| r.kind == "int").collect();
    let mut data = vec![
        extract
            .columns
            .iter()
            .map(|c| xlsx::Cell::Text(c.clone()))
            .collect::<Vec<_>>(),
    ];
    for row in &extract.rows {
        data.push(
            row.iter()
                .zip(&numeric)
                .map(|(cell, &number)| match cell.parse::<i64>() {
                    Ok(n) if number => xlsx::Cell::Number(n),
                    _ => xlsx::Cell::Text(cell.clone()),
                })
                .collect(),
        );
    }
    let codebook: Vec<Vec<xlsx::Cell>> = codebook_records(extract)
        .map(|r| r.into_iter().map(xlsx::Cell::Text).collect())
        .collect();
    xlsx::workbook(&[("extract", &data), ("codebook", &codebook)])
        .map_err(|e| AppError::Format(format!("cannot write XLSX: {e}")))
}

/// The extract as a Parquet file: one typed column per extract column (see [`ColumnType`]),
/// empty cells as nulls.
pub fn extract_parquet(extract: &Extract) -> Result<Vec<u8>, AppError> {
    let columns: Vec<(String, ColumnType)> = extract
        .columns
        .iter()
        .cloned()
        .zip(extract.types.iter().copied())
        .collect();
    let mut table = ParquetTable::new(Vec::new(), &columns)?;
    for row in &extract.rows {
        for (index, cell) in row.iter().enumerate() {
            table.set_text(index, cell)?;
        }
        table.end_row()?;
    }
    table.finish()
}

/// Writes a file through a temporary sibling renamed into place, so a reader never sees half.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn bands_and_dates() {
        assert_eq!(age_band(17), "0-17");
        assert_eq!(age_band(18), "18-49");
        assert_eq!(age_band(59), "50-59");
        assert_eq!(age_band(90), "90+");
        assert_eq!(date_cell("2024-03-31", None), "2024-03");
        assert_eq!(date_cell("2024-03-31T23:30+02:00", None), "2024-03");
        assert_eq!(date_cell("2024-03-31", Some(30)), "2024-03-01");
        assert_eq!(date_cell("2024-03-31T12:00+02:00", Some(1)), "2024-03-30T11:00+01:00");
        assert_eq!(date_cell("unknown", None), "unknown");
    }

    #[test]
    fn pseudonyms_depend_on_the_key() {
        let a = pseudonym(&[1; 32], "abc");
        assert_eq!(a.len(), 16);
        assert_eq!(a, pseudonym(&[1; 32], "abc"));
        assert_ne!(a, pseudonym(&[2; 32], "abc"));
        assert!((0..=30).contains(&shift_days(&[1; 32], "abc")));
    }
}
