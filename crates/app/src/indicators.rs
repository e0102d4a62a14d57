//! Quality indicators kept current from the store (issue 4): each register's complete and
//! locked registrations held as typed columns, built at start and refreshed from the store's
//! change sequence, so a write is counted within a second in every process sharing the
//! database (each process runs its own follower).
//!
//! How it works: at start every complete and locked registration is read through the
//! platform's read path (national id decrypted, so `age` can be derived from it), page by
//! page with the keyset cursor, and kept in memory as a typed record by id; the columns are
//! built from those records. A background task asks the store for changes every
//! [`POLL_INTERVAL`]; the registrations named by the changes are read again (a draft or a
//! deleted registration leaves the indicators) and the columns of each changed register are
//! rebuilt once per poll, however many changes it brought (the poll is the debounce). A burst
//! of more than [`RELOAD_THRESHOLD`] changed registrations in one register (an import)
//! reloads that register page by page instead of one read per registration.
//!
//! Cost: rebuilding the columns is linear in the register's size. At 14,400 registrations it
//! takes milliseconds; at 1,000,000 a rebuild takes seconds and the typed records by id hold
//! several GB besides the columns (about 400 MiB), so writes would then be seen after a few
//! seconds, not within one. The way to make it incremental: keep the columns themselves as
//! the only copy (no records), append a changed registration as a new row and mark its old
//! row dead in a validity mask that the engine ANDs into its `counted` mask, and compact
//! (rebuild) only when the dead rows pass a share of the table.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use jiff::civil::Date;
use kvalreg_analytics::{Columns, Hospital, Query, Units, check_filter, compute};
use kvalreg_core::definition::Register;
use kvalreg_core::messages::Text;
use kvalreg_core::validation::{Context, Finding, Severity};
use kvalreg_core::value::Record;
use kvalreg_store::{Filter, Scope, Status, StoreError};
use uuid::Uuid;

use crate::{AppError, Platform};

pub use kvalreg_analytics::{Granularity, Report};

/// The name of the national level in results. The hospital list has no field for the
/// country, and the platform runs Norwegian registers, so it is fixed.
pub const NATION: &str = "Norge";

/// How often the follower asks the store for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// More changed registrations than this in one register in one poll reload the register.
pub const RELOAD_THRESHOLD: usize = 1000;

/// Registrations read per page at start and on reload.
const PAGE: u32 = 5000;

/// Changes read per request from the change sequence.
const CHANGES_PAGE: u32 = 10_000;

/// Each register's complete and locked registrations as columns, kept current.
pub struct IndicatorColumns {
    platform: Arc<Platform>,
    /// The follower's own state: records by id and the last change applied.
    working: tokio::sync::Mutex<Working>,
    /// What reports read: each register's columns as of the last refresh.
    published: RwLock<HashMap<String, Arc<Columns>>>,
    /// Reports already computed: a dashboard asks for the same report again and again until
    /// a registration or the hospital list changes.
    cache: std::sync::Mutex<Vec<CachedReport>>,
}

/// Reports kept at most; the oldest goes first.
const CACHED_REPORTS: usize = 32;

/// One computed report and what it was computed from.
struct CachedReport {
    key: ReportKey,
    columns: Arc<Columns>,
    hospitals: Vec<kvalreg_store::Hospital>,
    report: Report,
}

/// What a report is asked for with.
type ReportKey = (String, Date, Granularity, Option<String>);

struct Working {
    seq: i64,
    records: HashMap<String, HashMap<Uuid, Record>>,
}

impl IndicatorColumns {
    /// Reads every register's complete and locked registrations and builds their columns,
    /// without following later changes (a one-shot report).
    pub async fn load(platform: Arc<Platform>) -> Result<IndicatorColumns, AppError> {
        // The change number is taken before the registrations are read: a write made while
        // they are read is applied again by the follower, which is harmless.
        let started = std::time::Instant::now();
        let seq = latest_change(&platform).await?;
        let hospitals = platform.hospital_codes().await?;
        let mut records = HashMap::new();
        let mut published = HashMap::new();
        for register in platform.registers() {
            let by_id = read_register(&platform, register, &hospitals).await?;
            published.insert(register.id.clone(), Arc::new(build(register, &by_id)?));
            records.insert(register.id.clone(), by_id);
        }
        let counted: usize = records.values().map(HashMap::len).sum();
        tracing::info!(
            "indicators: {counted} registrations read and built into columns in {:.3} s",
            started.elapsed().as_secs_f64()
        );
        Ok(IndicatorColumns {
            platform,
            working: tokio::sync::Mutex::new(Working { seq, records }),
            published: RwLock::new(published),
            cache: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// As [`IndicatorColumns::load`], then follows the store's changes in a background task
    /// (on the current tokio runtime) until the last handle is dropped.
    pub async fn start(platform: Arc<Platform>) -> Result<Arc<IndicatorColumns>, AppError> {
        let columns = Arc::new(IndicatorColumns::load(platform).await?);
        let follower = Arc::downgrade(&columns);
        tokio::spawn(follow(follower));
        Ok(columns)
    }

    /// The number of registrations counted for a register's indicators now.
    pub fn len(&self, register: &str) -> Result<usize, AppError> {
        Ok(self.columns(register)?.len())
    }

    /// Every indicator of a register at the report date, per hospital, health trust, health
    /// region and nation, per period, narrowed by an optional filter condition (e.g.
    /// `sex = 'F'`). The shape is the machine-readable output of issue 4. A report asked for
    /// again comes from the cache while the columns and the hospital list are unchanged.
    pub async fn report(
        &self,
        register: &str,
        as_of: Date,
        granularity: Granularity,
        filter: Option<&str>,
    ) -> Result<Report, AppError> {
        let columns = self.columns(register)?;
        let definition = self.platform.register(register)?;
        let mut query = Query::new(as_of, granularity);
        if let Some(text) = filter {
            query.filter = Some(check_filter(definition, text).map_err(|message| bad_filter(text, &message))?);
        }
        let hospitals = self.platform.store.hospitals().await?;
        let key: ReportKey = (register.to_owned(), as_of, granularity, filter.map(str::to_owned));
        if let Some(hit) = self.cached(&key, &columns, &hospitals) {
            return Ok(hit);
        }
        let units = units_of(hospitals.clone());
        let platform = Arc::clone(&self.platform);
        let register = register.to_string();
        let computed_from = Arc::clone(&columns);
        let report = tokio::task::spawn_blocking(move || {
            let definition = platform.register(&register)?;
            Ok::<_, AppError>(compute(definition, &columns, &units, &query))
        })
        .await
        .map_err(|e| AppError::Format(format!("the indicator computation failed: {e}")))??;
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.retain(|c| c.key != key);
        if cache.len() >= CACHED_REPORTS {
            cache.remove(0);
        }
        cache.push(CachedReport {
            key,
            columns: computed_from,
            hospitals,
            report: report.clone(),
        });
        Ok(report)
    }

    /// The cached report for `key`, if it was computed from these columns and hospitals.
    fn cached(&self, key: &ReportKey, columns: &Arc<Columns>, hospitals: &[kvalreg_store::Hospital]) -> Option<Report> {
        let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .iter()
            .find(|c| &c.key == key && Arc::ptr_eq(&c.columns, columns) && c.hospitals == hospitals)
            .map(|c| c.report.clone())
    }

    /// Award status per hospital and quarter from the followed columns (as
    /// [`crate::awards::award_status`] computes it from the database).
    pub async fn awards(&self, register: &str, as_of: Date) -> Result<Vec<kvalreg_analytics::AwardResult>, AppError> {
        let columns = self.columns(register)?;
        let definition = self.platform.register(register)?;
        kvalreg_analytics::awards(definition, &columns, &units(&self.platform).await?, as_of).map_err(AppError::Format)
    }

    /// Applies the changes since the last one applied: reads the changed registrations
    /// again and rebuilds the columns of each register that changed. Returns how many
    /// changes were applied.
    pub async fn catch_up(&self) -> Result<usize, AppError> {
        let mut working = self.working.lock().await;
        let changes = self.platform.store.changes_since(working.seq, CHANGES_PAGE).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(0);
        };
        let mut changed: HashMap<&str, BTreeSet<Uuid>> = HashMap::new();
        for change in &changes {
            changed
                .entry(change.register.as_str())
                .or_default()
                .insert(change.registration_id);
        }
        let started = std::time::Instant::now();
        let hospitals = self.platform.hospital_codes().await?;
        let mut rebuilt = Vec::new();
        for (register_id, ids) in changed {
            // Registrations of a register this process has not loaded are not counted here.
            let Ok(register) = self.platform.register(register_id) else {
                continue;
            };
            let by_id = working.records.entry(register.id.clone()).or_default();
            if ids.len() > RELOAD_THRESHOLD {
                *by_id = read_register(&self.platform, register, &hospitals).await?;
            } else {
                for id in ids {
                    self.reread(register, id, &hospitals, by_id).await?;
                }
            }
            rebuilt.push((register.id.clone(), Arc::new(build(register, by_id)?)));
        }
        working.seq = last;
        let mut published = self.published.write().map_err(|_| poisoned())?;
        published.extend(rebuilt);
        tracing::debug!(
            "indicators: {} change(s) applied in {:.3} s",
            changes.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(changes.len())
    }

    /// Reads one changed registration again into the records: counted if it is complete or
    /// locked, gone if it is a draft or was deleted.
    async fn reread(
        &self,
        register: &Register,
        id: Uuid,
        hospitals: &BTreeSet<String>,
        by_id: &mut HashMap<Uuid, Record>,
    ) -> Result<(), AppError> {
        match self.platform.store.get(&Scope::AllHospitals, id).await {
            Ok(stored) if stored.register == register.id && stored.status != Status::Draft => {
                let record = self.platform.stored_record(register, &stored, &Context { hospitals })?;
                by_id.insert(id, record);
            }
            Ok(_) | Err(StoreError::NotFound(_)) => {
                by_id.remove(&id);
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    fn columns(&self, register: &str) -> Result<Arc<Columns>, AppError> {
        let published = self.published.read().map_err(|_| poisoned())?;
        published
            .get(register)
            .cloned()
            .ok_or_else(|| AppError::UnknownRegister(register.to_string()))
    }
}

/// The follower: applies changes every poll interval while anyone holds the columns.
async fn follow(columns: Weak<IndicatorColumns>) {
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(columns) = columns.upgrade() else {
            return;
        };
        if let Err(e) = columns.catch_up().await {
            tracing::warn!("indicators: cannot apply the store's changes (trying again): {e}");
        }
    }
}

/// The number of the last change in the store's change sequence (0 when there is none).
async fn latest_change(platform: &Platform) -> Result<i64, AppError> {
    let mut seq = 0;
    loop {
        let changes = platform.store.changes_since(seq, CHANGES_PAGE).await?;
        match changes.last() {
            Some(last) => seq = last.seq,
            None => return Ok(seq),
        }
    }
}

/// Every complete and locked registration of a register as typed records by id, read with
/// the keyset cursor.
pub(crate) async fn read_register(
    platform: &Platform,
    register: &Register,
    hospitals: &BTreeSet<String>,
) -> Result<HashMap<Uuid, Record>, AppError> {
    let ctx = Context { hospitals };
    let mut by_id = HashMap::new();
    for status in [Status::Complete, Status::Locked] {
        let mut filter = Filter {
            register: register.id.clone(),
            status: Some(status),
            limit: PAGE,
            ..Filter::default()
        };
        loop {
            let page = platform.store.list(&Scope::AllHospitals, &filter).await?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            for stored in &page {
                by_id.insert(stored.id, platform.stored_record(register, stored, &ctx)?);
            }
            filter.after = Some(last);
        }
    }
    Ok(by_id)
}

pub(crate) fn build(register: &Register, by_id: &HashMap<Uuid, Record>) -> Result<Columns, AppError> {
    Columns::from_records(register, by_id.values())
        .map_err(|e| AppError::Format(format!("cannot build the indicator columns of `{}`: {e}", register.id)))
}

/// The hospital list as the analytics' units: hospital, health trust, health region, nation.
pub(crate) async fn units(platform: &Platform) -> Result<Units, AppError> {
    Ok(units_of(platform.store.hospitals().await?))
}

/// The hospital list as units of the indicator results.
fn units_of(hospitals: Vec<kvalreg_store::Hospital>) -> Units {
    Units::new(
        NATION,
        hospitals.into_iter().map(|h| Hospital {
            code: h.code,
            health_trust: h.health_trust,
            health_region: h.health_region,
        }),
    )
}

fn bad_filter(text: &str, message: &str) -> AppError {
    AppError::Invalid(vec![Finding::new(
        "filter",
        "expression",
        Severity::Error,
        Text::new(
            format!("Filteret «{text}» kan ikke brukes: {message}"),
            format!("The filter «{text}» cannot be used: {message}"),
        ),
    )])
}

fn poisoned() -> AppError {
    AppError::Format("the indicator columns are unusable after a failed refresh".to_string())
}
