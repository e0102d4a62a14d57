//! A register's columns as a list of chunks shared by `Arc`, so the indicator follower
//! appends a batch of changed registrations at a cost proportional to the batch, not to the
//! register: the chunks it does not touch are shared with the columns readers still hold.

use std::sync::Arc;

use crate::columns::Columns;

/// Rows a chunk built from appended batches grows to; past it a batch starts a new chunk.
/// The chunk a register is loaded into may be larger.
pub const CHUNK_ROWS: usize = 65_536;

/// The rows of one register, chunk after chunk; a row is numbered by its place in the
/// chunks joined.
#[derive(Debug, Clone, Default)]
pub struct Chunks {
    chunks: Vec<Arc<Columns>>,
}

impl From<Columns> for Chunks {
    fn from(columns: Columns) -> Chunks {
        Chunks {
            chunks: vec![Arc::new(columns)],
        }
    }
}

impl Chunks {
    /// Chunks of the given columns (each with the same variables), in order.
    pub fn new(chunks: impl IntoIterator<Item = Columns>) -> Chunks {
        Chunks {
            chunks: chunks.into_iter().map(Arc::new).collect(),
        }
    }

    pub fn chunks(&self) -> impl Iterator<Item = &Columns> {
        self.chunks.iter().map(|c| &**c)
    }

    /// The number of rows, dead ones included.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of live rows: the registrations counted.
    pub fn live_count(&self) -> usize {
        self.chunks.iter().map(|c| c.live_count()).sum()
    }

    pub fn dead_count(&self) -> usize {
        self.chunks.iter().map(|c| c.dead_count()).sum()
    }

    /// The numbers of the live rows, ascending.
    pub fn live_rows(&self) -> Vec<usize> {
        let mut rows = Vec::with_capacity(self.live_count());
        let mut start = 0;
        for chunk in &self.chunks {
            rows.extend(chunk.live().set_indices().map(|row| start + row));
            start += chunk.len();
        }
        rows
    }

    /// These rows followed by the rows of `batch`, with the rows numbered `dead` (in the
    /// joined numbering) dead. Only the chunks with a row marked dead get a new live-row
    /// mask, and the batch is joined to the last chunk when that stays within
    /// [`CHUNK_ROWS`] (else it is a chunk of its own); every other chunk is shared.
    pub fn appended(&self, batch: &Columns, dead: &[usize]) -> Result<Chunks, String> {
        let mut dead = dead.to_vec();
        dead.sort_unstable();
        let mut chunks = Vec::with_capacity(self.chunks.len() + 1);
        let mut start = 0;
        for chunk in &self.chunks {
            let end = start + chunk.len();
            let first = dead.partition_point(|&row| row < start);
            let last = dead.partition_point(|&row| row < end);
            if first == last {
                chunks.push(Arc::clone(chunk));
            } else {
                let rows: Vec<usize> = dead[first..last].iter().map(|row| row - start).collect();
                chunks.push(Arc::new(chunk.marked_dead(&rows)));
            }
            start = end;
        }
        let first = dead.partition_point(|&row| row < start);
        let batch_dead: Vec<usize> = dead[first..].iter().map(|row| row - start).collect();
        if !batch.is_empty() {
            match chunks.last_mut() {
                Some(last) if last.len() + batch.len() <= CHUNK_ROWS => {
                    let dead: Vec<usize> = batch_dead.iter().map(|row| row + last.len()).collect();
                    *last = Arc::new(last.appended(batch, &dead)?);
                }
                _ => chunks.push(Arc::new(batch.marked_dead(&batch_dead))),
            }
        }
        Ok(Chunks { chunks })
    }

    /// The live rows only, in their order (row `r` becomes the number of live rows before
    /// it); chunks without dead rows are shared, emptied chunks dropped.
    pub fn compacted(&self) -> Chunks {
        let chunks = self
            .chunks
            .iter()
            .filter(|c| c.live_count() > 0)
            .map(|c| {
                if c.dead_count() == 0 {
                    Arc::clone(c)
                } else {
                    Arc::new(c.compacted())
                }
            })
            .collect();
        Chunks { chunks }
    }

    /// Bytes held by every chunk.
    pub fn memory_size(&self) -> usize {
        self.chunks.iter().map(|c| c.memory_size()).sum()
    }
}
