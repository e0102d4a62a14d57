//! Quality indicators kept current from the store (issue 4): each register's complete and
//! locked registrations held as typed columns, built at start and kept current from the
//! store's change sequence, so a write is counted within a second in every process sharing
//! the database (each process runs its own follower).
//!
//! How it works (docs/indicators.md, "The follower"): at start every complete and locked
//! registration is read through the platform's read path (national id decrypted, so `age`
//! can be derived from it), page by page with the keyset cursor, and pushed straight into
//! the column builder; the columns are the only copy, beside a map from registration id to
//! its row. A background task asks the store for changes every [`POLL_INTERVAL`]. Each
//! changed registration is read again: its old row is marked dead in the columns' live-row
//! mask (which the engine ANDs into what it counts), and, when it is complete or locked, it
//! is appended as a new row (a draft or a deleted registration only leaves its dead row).
//! The columns are chunks shared by `Arc` ([`Chunks`]). One poll's changes of a register make
//! one batch: the new rows are built into columns of their own (derived variables included)
//! and joined to the last chunk while it stays small, else added as a chunk; only the chunks
//! holding a dead row get a new live-row mask, every other chunk is shared, so a batch costs
//! in proportion to the batch, not the register. The chunks are published to readers by
//! `Arc` (a report being computed keeps the chunks it started with). When dead rows pass
//! [`COMPACT_SHARE`] of a register's rows the chunks holding them are compacted. A burst of more than [`RELOAD_THRESHOLD`] changed
//! registrations that is also more than a tenth of the register (an import into a small
//! register) reloads the register page by page instead of one read per registration.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use kvalreg_analytics::{
    AwardResult, Chunks, Columns, ColumnsBuilder, Hospital, Query, Units, awards_of_chunks, check_filter,
    compute_chunks,
};
use kvalreg_core::definition::Register;
use kvalreg_core::messages::Text;
use kvalreg_core::validation::{Context, Finding, Severity};
use kvalreg_store::{Filter, Scope, Status, StoreError};
use uuid::Uuid;

use crate::{AppError, Platform};

pub use kvalreg_analytics::{Granularity, Report};

/// The name of the national level in results. The hospital list has no field for the
/// country, and the platform runs Norwegian registers, so it is fixed.
pub const NATION: &str = "Norge";

/// How often the follower asks the store for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// More changed registrations than this in one register in one poll (and more than a tenth
/// of the register) reload the register.
pub const RELOAD_THRESHOLD: usize = 1000;

/// The share of dead rows past which a register's columns are compacted to the live rows.
pub const COMPACT_SHARE: f64 = 0.25;

/// Registrations read per page at start and on reload.
const PAGE: u32 = 5000;

/// Changes read per request from the change sequence.
const CHANGES_PAGE: u32 = 10_000;

/// Reports kept at most; the least recently asked for goes first.
const CACHED_REPORTS: usize = 64;

/// Reports computed again by the follower right after a change, before anyone asks: the
/// most recently asked for.
const PREPARED_REPORTS: usize = 4;

/// Each register's complete and locked registrations as columns, kept current.
pub struct IndicatorColumns {
    platform: Arc<Platform>,
    /// The follower's own state: where each registration's row is, and the last change
    /// applied.
    working: tokio::sync::Mutex<Working>,
    /// What reports read: each register's columns as of the last refresh.
    published: RwLock<HashMap<String, Arc<Chunks>>>,
    /// Reports and award lists already computed: a dashboard asks for the same again and
    /// again until a registration or the hospital list changes. Most recently used last.
    cache: std::sync::Mutex<Vec<Cached>>,
    /// Registers changed since their reports were last prepared.
    unprepared: std::sync::Mutex<BTreeSet<String>>,
    /// Held while reports are prepared, so one task prepares at a time.
    preparing: tokio::sync::Mutex<()>,
    /// The number of the last change applied and published.
    applied: AtomicI64,
}

/// One computed result and what it was computed from.
struct Cached {
    key: CacheKey,
    columns: Arc<Chunks>,
    hospitals: Vec<kvalreg_store::Hospital>,
    value: CachedValue,
}

/// What a cached result was asked for with.
#[derive(Clone, PartialEq)]
enum CacheKey {
    Report(String, Date, Granularity, Option<String>),
    Awards(String, Date),
}

#[derive(Clone)]
enum CachedValue {
    Report(Arc<Report>),
    Awards(Arc<Vec<AwardResult>>),
}

struct Working {
    seq: i64,
    /// Per register, the row of each counted registration.
    rows: HashMap<String, HashMap<Uuid, usize>>,
}

impl IndicatorColumns {
    /// Reads every register's complete and locked registrations and builds their columns,
    /// without following later changes (a one-shot report).
    pub async fn load(platform: Arc<Platform>) -> Result<IndicatorColumns, AppError> {
        // The change number is taken before the registrations are read: a write made while
        // they are read is applied again by the follower, which is harmless.
        let started = Instant::now();
        let seq = latest_change(&platform).await?;
        let hospitals = platform.hospital_codes().await?;
        let mut rows = HashMap::new();
        let mut published = HashMap::new();
        let mut counted = 0;
        let mut bytes = 0;
        for register in platform.registers() {
            let (columns, by_id) = read_register(&platform, register, &hospitals).await?;
            counted += columns.live_count();
            bytes += columns.memory_size() + row_map_size(&by_id);
            published.insert(register.id.clone(), Arc::new(Chunks::from(columns)));
            rows.insert(register.id.clone(), by_id);
        }
        tracing::info!(
            "indicators: {counted} registrations read and built into columns in {:.3} s ({} MiB held)",
            started.elapsed().as_secs_f64(),
            bytes >> 20
        );
        Ok(IndicatorColumns {
            platform,
            working: tokio::sync::Mutex::new(Working { seq, rows }),
            published: RwLock::new(published),
            cache: std::sync::Mutex::new(Vec::new()),
            unprepared: std::sync::Mutex::new(BTreeSet::new()),
            preparing: tokio::sync::Mutex::new(()),
            applied: AtomicI64::new(seq),
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

    /// Whether every change the store holds now is applied to the published columns.
    pub async fn caught_up(&self) -> Result<bool, AppError> {
        let after = self.applied.load(Ordering::Acquire);
        Ok(self.platform.store.changes_since(after, 1).await?.is_empty())
    }

    /// The number of registrations counted for a register's indicators now.
    pub fn len(&self, register: &str) -> Result<usize, AppError> {
        Ok(self.columns(register)?.live_count())
    }

    /// A register's chunks of columns now (dead rows included, marked in the live-row masks).
    pub fn columns(&self, register: &str) -> Result<Arc<Chunks>, AppError> {
        let published = self.published.read().map_err(|_| poisoned())?;
        published
            .get(register)
            .cloned()
            .ok_or_else(|| AppError::UnknownRegister(register.to_string()))
    }

    /// Bytes held for a register: its columns and the map from registration to row.
    pub async fn memory_size(&self, register: &str) -> Result<usize, AppError> {
        let columns = self.columns(register)?;
        let working = self.working.lock().await;
        Ok(columns.memory_size() + working.rows.get(register).map_or(0, row_map_size))
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
        Ok((*self.shared_report(register, as_of, granularity, filter).await?).clone())
    }

    /// As [`IndicatorColumns::report`], shared with the cache instead of copied.
    pub async fn shared_report(
        &self,
        register: &str,
        as_of: Date,
        granularity: Granularity,
        filter: Option<&str>,
    ) -> Result<Arc<Report>, AppError> {
        let key = CacheKey::Report(register.to_owned(), as_of, granularity, filter.map(str::to_owned));
        match self.cached_or_computed(key).await? {
            CachedValue::Report(report) => Ok(report),
            CachedValue::Awards(_) => Err(AppError::Format("the report cache mixed up its entries".into())),
        }
    }

    /// Award status per hospital and quarter from the followed columns (as
    /// [`crate::awards::award_status`] computes it from the database), cached as reports are.
    pub async fn awards(&self, register: &str, as_of: Date) -> Result<Arc<Vec<AwardResult>>, AppError> {
        match self
            .cached_or_computed(CacheKey::Awards(register.to_owned(), as_of))
            .await?
        {
            CachedValue::Awards(awards) => Ok(awards),
            CachedValue::Report(_) => Err(AppError::Format("the award cache mixed up its entries".into())),
        }
    }

    /// The cached result for `key` if it was computed from the current columns and hospital
    /// list, else computed now (on a blocking thread) and cached.
    async fn cached_or_computed(&self, key: CacheKey) -> Result<CachedValue, AppError> {
        let register = match &key {
            CacheKey::Report(register, ..) | CacheKey::Awards(register, _) => register.clone(),
        };
        let columns = self.columns(&register)?;
        let definition = self.platform.register(&register)?;
        let query = match &key {
            CacheKey::Report(_, as_of, granularity, filter) => {
                let mut query = Query::new(*as_of, *granularity);
                if let Some(text) = filter {
                    let checked = check_filter(definition, text).map_err(|message| bad_filter(text, &message))?;
                    if checked.variables().contains(&definition.person_variable.as_str()) {
                        return Err(bad_filter(text, "the national id is not kept for indicators"));
                    }
                    query.filter = Some(checked);
                }
                Some(query)
            }
            CacheKey::Awards(..) => None,
        };
        let hospitals = self.platform.store.hospitals().await?;
        if let Some(hit) = self.cached(&key, &columns, &hospitals) {
            return Ok(hit);
        }
        let units = units_of(hospitals.clone());
        let platform = Arc::clone(&self.platform);
        let computed_from = Arc::clone(&columns);
        let as_of = match &key {
            CacheKey::Report(_, as_of, ..) | CacheKey::Awards(_, as_of) => *as_of,
        };
        let value = tokio::task::spawn_blocking(move || {
            let definition = platform.register(&register)?;
            Ok::<_, AppError>(match query {
                Some(query) => CachedValue::Report(Arc::new(compute_chunks(definition, &columns, &units, &query))),
                None => CachedValue::Awards(Arc::new(
                    awards_of_chunks(definition, &columns, &units, as_of).map_err(AppError::Format)?,
                )),
            })
        })
        .await
        .map_err(|e| AppError::Format(format!("the indicator computation failed: {e}")))??;
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.retain(|c| c.key != key);
        if cache.len() >= CACHED_REPORTS {
            cache.remove(0);
        }
        cache.push(Cached {
            key,
            columns: computed_from,
            hospitals,
            value: value.clone(),
        });
        Ok(value)
    }

    /// The cached result for `key`, if it was computed from these columns and hospitals
    /// (then moved to the most recently used end).
    fn cached(
        &self,
        key: &CacheKey,
        columns: &Arc<Chunks>,
        hospitals: &[kvalreg_store::Hospital],
    ) -> Option<CachedValue> {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = cache
            .iter()
            .position(|c| &c.key == key && Arc::ptr_eq(&c.columns, columns) && c.hospitals == hospitals)?;
        let hit = cache.remove(at);
        let value = hit.value.clone();
        cache.push(hit);
        Some(value)
    }

    /// Computes again the most recently asked for reports and award lists of the registers
    /// changed since, so the first reader after a change finds them ready; until no register
    /// is left unprepared. Returns at once when another task is preparing.
    async fn prepare(&self) {
        let Ok(_preparing) = self.preparing.try_lock() else {
            return;
        };
        loop {
            let changed: Vec<String> = std::mem::take(
                &mut *self
                    .unprepared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
            .into_iter()
            .collect();
            if changed.is_empty() {
                return;
            }
            self.prepare_registers(&changed).await;
        }
    }

    async fn prepare_registers(&self, changed: &[String]) {
        let keys: Vec<CacheKey> = {
            let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            cache
                .iter()
                .rev()
                .map(|c| c.key.clone())
                .filter(|key| match key {
                    CacheKey::Report(register, ..) | CacheKey::Awards(register, _) => changed.contains(register),
                })
                .take(PREPARED_REPORTS)
                .collect()
        };
        for key in keys.into_iter().rev() {
            if let Err(e) = self.cached_or_computed(key).await {
                tracing::warn!("indicators: cannot prepare a report after a change: {e}");
            }
        }
    }

    /// Applies the changes since the last one applied: each changed registration's old row
    /// is marked dead and, when it is counted, its current state appended (or the register
    /// reloaded after a burst). Returns how many changes were applied.
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
        let started = Instant::now();
        let hospitals = self.platform.hospital_codes().await?;
        let mut refreshed = Vec::new();
        for (register_id, ids) in changed {
            // Registrations of a register this process has not loaded are not counted here.
            let Ok(register) = self.platform.register(register_id) else {
                continue;
            };
            let current = self.columns(register_id).unwrap_or_default();
            let rows = working.rows.entry(register.id.clone()).or_default();
            let mut next = if ids.len() > RELOAD_THRESHOLD && ids.len() > current.live_count() / 10 {
                let (columns, by_id) = read_register(&self.platform, register, &hospitals).await?;
                *rows = by_id;
                Chunks::from(columns)
            } else {
                self.append(register, &current, &ids, rows, &hospitals).await?
            };
            if next.dead_count() as f64 > next.len() as f64 * COMPACT_SHARE {
                next = compact(&next, rows);
            }
            // Published register by register, with its row map already updated: a failure
            // in a later register leaves this one consistent, and the changes are applied
            // again (harmlessly) on the next poll.
            self.published
                .write()
                .map_err(|_| poisoned())?
                .insert(register.id.clone(), Arc::new(next));
            refreshed.push(register.id.clone());
        }
        working.seq = last;
        self.applied.store(last, Ordering::Release);
        drop(working);
        tracing::debug!(
            "indicators: {} change(s) applied in {:.3} s",
            changes.len(),
            started.elapsed().as_secs_f64()
        );
        self.unprepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(refreshed);
        Ok(changes.len())
    }

    /// The current columns with one batch of changed registrations applied: each one's old
    /// row marked dead, and its current state appended when it is complete or locked. The
    /// row map is updated only when the new columns are built.
    async fn append(
        &self,
        register: &Register,
        current: &Chunks,
        ids: &BTreeSet<Uuid>,
        rows: &mut HashMap<Uuid, usize>,
        hospitals: &BTreeSet<String>,
    ) -> Result<Chunks, AppError> {
        let started = Instant::now();
        let mut batch = ColumnsBuilder::for_register(register);
        let mut dead = Vec::new();
        let mut added = Vec::new();
        let first_new = current.len();
        for &id in ids {
            dead.extend(rows.get(&id).copied());
            match self.platform.store.get(&Scope::AllHospitals, id).await {
                Ok(stored) if stored.register == register.id && stored.status != Status::Draft => {
                    let record = self.platform.stored_record(register, &stored, &Context { hospitals })?;
                    added.push((id, first_new + batch.len()));
                    batch.push(&record).map_err(|e| column_error(register, &e))?;
                }
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        let read = started.elapsed();
        let batch = finished(register, batch);
        let next = current
            .appended(&batch, &dead)
            .map_err(|e| column_error(register, &e))?;
        tracing::debug!(
            "indicators: {} registration(s) of `{}` read in {:.3} s, appended to {} rows in {:.3} s",
            ids.len(),
            register.id,
            read.as_secs_f64(),
            first_new,
            (started.elapsed() - read).as_secs_f64()
        );
        for id in ids {
            rows.remove(id);
        }
        rows.extend(added);
        Ok(next)
    }
}

/// The chunks' live rows only, with the row map renumbered to match.
fn compact(columns: &Chunks, rows: &mut HashMap<Uuid, usize>) -> Chunks {
    let mut renumbered = vec![usize::MAX; columns.len()];
    for (new, old) in columns.live_rows().into_iter().enumerate() {
        renumbered[old] = new;
    }
    for row in rows.values_mut() {
        *row = renumbered.get(*row).copied().unwrap_or(usize::MAX);
    }
    columns.compacted()
}

/// Bytes held by a map from registration id to row (an estimate: the entries and the
/// table's control bytes).
fn row_map_size(rows: &HashMap<Uuid, usize>) -> usize {
    rows.capacity() * (std::mem::size_of::<(Uuid, usize)>() + 1)
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
        match columns.catch_up().await {
            Ok(0) => {}
            // Prepared beside the follower, so preparing never delays the next change.
            Ok(_) => {
                tokio::spawn(async move { columns.prepare().await });
            }
            Err(e) => tracing::warn!("indicators: cannot apply the store's changes (trying again): {e}"),
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

/// Every complete and locked registration of a register as columns, read with the keyset
/// cursor and pushed into the columns page by page, and the row of each registration.
pub(crate) async fn read_register(
    platform: &Platform,
    register: &Register,
    hospitals: &BTreeSet<String>,
) -> Result<(Columns, HashMap<Uuid, usize>), AppError> {
    let ctx = Context { hospitals };
    let mut builder = ColumnsBuilder::for_register(register);
    let mut rows = HashMap::new();
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
                let record = platform.stored_record(register, stored, &ctx)?;
                rows.insert(stored.id, builder.len());
                builder.push(&record).map_err(|e| column_error(register, &e))?;
            }
            filter.after = Some(last);
        }
    }
    Ok((finished(register, builder), rows))
}

/// The columns of the pushed registrations with the derived variables added and the
/// national id removed: the indicators need only what is derived from it (`age`), so the
/// clear ids are not held in memory, nor copied with every batch.
fn finished(register: &Register, builder: ColumnsBuilder) -> Columns {
    let mut columns = builder.finish();
    columns.add_derived(register);
    columns.remove(&register.person_variable);
    columns
}

fn column_error(register: &Register, error: &dyn std::fmt::Display) -> AppError {
    AppError::Format(format!(
        "cannot build the indicator columns of `{}`: {error}",
        register.id
    ))
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
