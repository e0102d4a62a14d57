//! Research extracts downloaded over the web: a researcher gets only their own projects'
//! files, a register admin those of their register; every download is checked for
//! k-anonymity like the command line's and audited as `research.extract` (via web).

use kvalreg_store::{AuditEntry, ResearchProject, Role};
use serde_json::Value as Json;

use crate::access::Principal;
use crate::research::{ExtractFormat, codebook_csv};
use crate::{AppError, Platform};

/// One file of a project's extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractFile {
    /// The codebook (CSV), the same for every format.
    Codebook,
    /// The extract in one format.
    Extract(ExtractFormat),
}

impl ExtractFile {
    /// The codebook, then the extract in every format.
    pub fn all() -> Vec<ExtractFile> {
        std::iter::once(ExtractFile::Codebook)
            .chain(ExtractFormat::ALL.iter().map(|f| ExtractFile::Extract(*f)))
            .collect()
    }

    /// The last part of the file's address: `codebook.csv`, `extract.csv`, `extract.xlsx`.
    pub fn name(self) -> String {
        match self {
            ExtractFile::Codebook => "codebook.csv".to_owned(),
            ExtractFile::Extract(format) => format!("extract.{}", format.name()),
        }
    }

    /// The file a name stands for, if any.
    pub fn parse(name: &str) -> Option<ExtractFile> {
        Self::all().into_iter().find(|f| f.name() == name)
    }

    /// The format named in the audit log.
    fn format_name(self) -> &'static str {
        match self {
            ExtractFile::Codebook => "codebook",
            ExtractFile::Extract(format) => format.name(),
        }
    }
}

/// A file ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    /// e.g. `P2026-01-extract.xlsx`.
    pub file_name: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Whether `principal` may download the project's extracts: its researcher, or an admin of
/// its register.
fn may_download(principal: &Principal, project: &ResearchProject) -> bool {
    project.researcher == principal.name || principal.has(Role::RegisterAdmin, Some(&project.register), None)
}

impl Platform {
    /// The projects `principal` may download, ordered by id.
    pub async fn downloadable_projects(&self, principal: &Principal) -> Result<Vec<ResearchProject>, AppError> {
        let mut projects = self.research_projects().await?;
        projects.retain(|p| may_download(principal, p));
        Ok(projects)
    }

    /// One file of a project's extract for `principal`, or None when there is no such
    /// project or it is not theirs (the same answer, so project ids do not leak). Refused
    /// (ExtractRefused, naming the combination) like the command line's extract. Audited as
    /// `research.extract` with project, rows, format and `via` before the bytes are returned.
    pub async fn download_research_file(
        &self,
        principal: &Principal,
        project_id: &str,
        file: ExtractFile,
        via: &str,
    ) -> Result<Option<Download>, AppError> {
        let Some(project) = self
            .store
            .research_project(project_id)
            .await?
            .filter(|p| may_download(principal, p))
        else {
            return Ok(None);
        };
        let extract = self.research_extract(&project.id).await?;
        let (bytes, media_type) = match file {
            ExtractFile::Codebook => (codebook_csv(&extract)?, "text/csv; charset=utf-8"),
            ExtractFile::Extract(format) => (format.encode(&extract)?, format.media_type()),
        };
        let mut entry = AuditEntry::new(&principal.name, "research.extract");
        entry.register = Some(project.register.clone());
        entry.detail.insert("project".into(), Json::from(project.id.as_str()));
        entry.detail.insert("rows".into(), Json::from(extract.rows.len()));
        entry.detail.insert("format".into(), Json::from(file.format_name()));
        entry.detail.insert("via".into(), Json::from(via));
        self.store.audit(entry).await?;
        Ok(Some(Download {
            file_name: format!("{}-{}", project.id, file.name()),
            media_type,
            bytes,
        }))
    }
}
