//! Group commit: registration writes that arrive while a transaction is being committed wait
//! in a queue and are committed together in the next one, so concurrent writers share one
//! fsync (SQLite) or one commit (PostgreSQL). Each write keeps its own version, change entry
//! and audit entry, is checked on its own (a refused write fails alone and changes nothing),
//! and its caller is answered only after the transaction holding it has committed.
//!
//! There is no writer task to start or stop: the first caller to find the writer free takes
//! every queued write (its own among them) and commits them in a task of its own, so a
//! caller that gives up waiting cannot cut a transaction short.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::record::Pending;
use crate::{Registration, Result, Scope, StoreError, Write};

/// One registration write as a caller asked for it.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Create(Write),
    Update {
        scope: Scope,
        id: Uuid,
        expected_version: i64,
        write: Write,
    },
}

impl Job {
    fn write(&self) -> &Write {
        match self {
            Job::Create(write) | Job::Update { write, .. } => write,
        }
    }
}

/// A queued write and where its answer goes.
struct Queued {
    job: Job,
    reply: oneshot::Sender<Result<Registration>>,
}

/// A backend's transaction for a batch of registration writes.
#[async_trait::async_trait]
pub(crate) trait BatchWriter: Clone + Send + Sync + 'static {
    /// Writes every write of `jobs` that passes its checks in one transaction. `Err` means
    /// the transaction did not commit (nothing of the batch is stored); otherwise one
    /// outcome per write, in order.
    async fn commit_batch(&self, jobs: &[Job]) -> Result<Vec<Result<Registration>>>;
}

/// The queue of writes waiting for the next transaction, and the turn to commit one.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<Queued>>,
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let waiting = self.queue.lock().map_or(0, |queue| queue.len());
        f.debug_struct("GroupCommit").field("waiting", &waiting).finish()
    }
}

impl GroupCommit {
    /// Queues `job` and answers once the transaction holding it has committed (or the write
    /// was refused).
    pub(crate) async fn submit<W: BatchWriter>(&self, job: Job, writer: W) -> Result<Registration> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Queued { job, reply });
        let turn = Arc::clone(&self.writer).lock_owned().await;
        let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if !batch.is_empty() {
            tokio::spawn(async move {
                commit_and_answer(&writer, batch).await;
                drop(turn);
            });
        }
        answer.await.map_err(|_| StoreError::Interrupted)?
    }
}

/// Commits a batch and answers every write in it. If the transaction fails as a whole, each
/// write is tried again in a transaction of its own, so the write that broke the batch fails
/// by itself and the others are still stored.
async fn commit_and_answer<W: BatchWriter>(writer: &W, batch: Vec<Queued>) {
    let (jobs, replies): (Vec<Job>, Vec<_>) = batch.into_iter().map(|q| (q.job, q.reply)).unzip();
    match writer.commit_batch(&jobs).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(error) if jobs.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
        Err(_) => {
            for (job, reply) in jobs.iter().zip(replies) {
                let result = match writer.commit_batch(std::slice::from_ref(job)).await {
                    Ok(mut results) => results.pop().unwrap_or(Err(StoreError::Interrupted)),
                    Err(error) => Err(error),
                };
                let _ = reply.send(result);
            }
        }
    }
}

/// What the checks of a batch need from the database, read inside its transaction.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// The hospital codes the batch names that are in the hospital list.
    pub hospitals: BTreeSet<String>,
    /// (register, look-up key) of the batch's persons that have a reservation.
    pub reserved: BTreeSet<(String, String)>,
    /// The current rows of the registrations the batch updates (any hospital).
    pub current: HashMap<Uuid, Registration>,
}

/// The hospital codes a batch names.
pub(crate) fn hospitals_named(jobs: &[Job]) -> BTreeSet<&str> {
    jobs.iter().map(|job| job.write().hospital.as_str()).collect()
}

/// (register, look-up key) of every person a batch names.
pub(crate) fn people_named(jobs: &[Job]) -> Vec<(&str, &str)> {
    jobs.iter()
        .filter_map(|job| {
            let write = job.write();
            Some((write.register.as_str(), write.person.as_ref()?.lookup_key.as_str()))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The registrations a batch updates.
pub(crate) fn updated_ids(jobs: &[Job]) -> Vec<Uuid> {
    jobs.iter()
        .filter_map(|job| match job {
            Job::Update { id, .. } => Some(*id),
            Job::Create(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Decides every write of a batch in order, as if each ran alone after the ones before it:
/// the version it would write, or why it is refused (the same refusals, in the same order of
/// checks, as a write on its own).
pub(crate) fn decide(jobs: &[Job], mut facts: Facts, at: Timestamp) -> Vec<Result<Pending>> {
    jobs.iter()
        .map(|job| {
            let pending = match job {
                Job::Create(write) => {
                    check_hospital_and_person(write, &facts)?;
                    Pending::first(write.clone(), at)
                }
                Job::Update {
                    scope,
                    id,
                    expected_version,
                    write,
                } => {
                    let before = facts
                        .current
                        .get(id)
                        .filter(|r| scope.allows(&r.hospital) && r.register == write.register)
                        .ok_or(StoreError::NotFound(*id))?;
                    if before.version != *expected_version {
                        return Err(StoreError::Conflict {
                            id: *id,
                            expected: *expected_version,
                            current: before.version,
                        });
                    }
                    if !scope.allows(&write.hospital) {
                        return Err(StoreError::OutOfScope(write.hospital.clone()));
                    }
                    check_hospital_and_person(write, &facts)?;
                    let pending = Pending::next(before, write.clone(), at);
                    facts.current.insert(*id, pending.registration());
                    pending
                }
            };
            Ok(pending)
        })
        .collect()
}

fn check_hospital_and_person(write: &Write, facts: &Facts) -> Result<()> {
    if !facts.hospitals.contains(&write.hospital) {
        return Err(StoreError::UnknownHospital(write.hospital.clone()));
    }
    if let Some(person) = &write.person
        && facts
            .reserved
            .contains(&(write.register.clone(), person.lookup_key.clone()))
    {
        return Err(StoreError::Reserved {
            register: write.register.clone(),
            index: 0,
        });
    }
    Ok(())
}
