//! A large import as one transaction fed a chunk at a time, so the caller never holds a whole
//! file of registrations in memory and a refused file still leaves nothing written.

use uuid::Uuid;

use crate::record::Pending;
use crate::{Result, Status, StoreError, Write};

/// An import under way: every chunk added is written inside one transaction that only
/// [`Import::commit`] makes visible. Dropping it, or any error, rolls everything back; after
/// an error the import must be dropped.
#[async_trait::async_trait]
pub trait Import: Send {
    /// Writes version 1 of each write, audited as `registration.import`. A hospital not in
    /// the hospital list is refused (UnknownHospital). A person with a reservation against
    /// the register is refused (Reserved, its index counted over every write added to this
    /// import) here or at the latest by `commit`.
    async fn add(&mut self, writes: Vec<Write>) -> Result<()>;
    /// Commits every write added; returns how many there were.
    async fn commit(self: Box<Self>) -> Result<usize>;
}

/// `error` with a Reserved index counted from the start of the import, not of the chunk.
pub(crate) fn counted_from(error: StoreError, added_before: usize) -> StoreError {
    match error {
        StoreError::Reserved { register, index } => StoreError::Reserved {
            register,
            index: index + added_before,
        },
        other => other,
    }
}

/// What an import must still record when it commits, a few bytes a registration: the change
/// entry and the audit entry of each written registration, with repeated texts (register,
/// hospital, actor) kept once.
#[derive(Debug, Default)]
pub(crate) struct ImportLog {
    texts: Vec<String>,
    entries: Vec<LoggedWrite>,
}

#[derive(Debug, Clone, Copy)]
struct LoggedWrite {
    id: Uuid,
    register: u32,
    hospital: u32,
    actor: u32,
    status: Status,
}

impl ImportLog {
    fn text(&mut self, text: &str) -> u32 {
        let found = self.texts.iter().rposition(|t| t == text);
        let index = found.unwrap_or_else(|| {
            self.texts.push(text.to_owned());
            self.texts.len() - 1
        });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    pub(crate) fn push(&mut self, pending: &Pending) {
        let entry = LoggedWrite {
            id: pending.id,
            register: self.text(&pending.write.register),
            hospital: self.text(&pending.write.hospital),
            actor: self.text(&pending.write.actor),
            status: pending.write.status,
        };
        self.entries.push(entry);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The position in the import of the registration `id`.
    pub(crate) fn index_of(&self, id: Uuid) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// The logged writes, `size` at a time, each as (id, register, hospital, actor, status).
    pub(crate) fn chunks(&self, size: usize) -> impl Iterator<Item = Vec<(Uuid, &str, &str, &str, Status)>> {
        let text = |i: u32| self.texts.get(i as usize).map_or("", String::as_str);
        self.entries.chunks(size).map(move |chunk| {
            chunk
                .iter()
                .map(|e| (e.id, text(e.register), text(e.hospital), text(e.actor), e.status))
                .collect()
        })
    }
}
