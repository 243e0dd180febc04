//! Facts within one append batch. The one writer reads the facts of a run
//! of entries in a few queries at the run's start and writes the run's rows
//! at its end; in between, what the run's own earlier entries changed is
//! known only here. A run may hold only entries whose changes this module
//! can account for (registrations and approvals, signed or imported):
//! certificate entries change facts (a revocation, a new holder's name)
//! that are not tracked, so they are appended one by one against the
//! database. Pure: the sequencer and its tests use it the same way.

use std::collections::HashSet;

use crate::entry::EntryBody;
use crate::rules::{Change, FactKeys, Facts};
use crate::tlog::Hash;

/// Whether `body` may be checked within a run (see the module's doc).
pub fn fits_run(body: &EntryBody) -> bool {
    match body {
        EntryBody::Registration { .. }
        | EntryBody::Approval { .. }
        | EntryBody::ImportedApproval { .. } => true,
        EntryBody::CertificateIssued { .. } | EntryBody::CertificateRevoked { .. } => false,
    }
}

/// A change that a run cannot account for reached [`RunFacts::note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a certificate change in a run of registrations and approvals")]
pub struct NotInRun;

/// What the run's accepted entries have added so far, with a mark for
/// undoing a refused group's part.
#[derive(Debug, Default)]
pub struct RunFacts {
    documents: HashSet<Hash>,
    approvals: HashSet<(Hash, String, String)>,
    /// Everything added, in order, so that a group can be undone.
    added: Vec<Added>,
}

#[derive(Debug)]
enum Added {
    Document(Hash),
    Approval((Hash, String, String)),
}

/// A place in [`RunFacts`] to undo back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark(usize);

impl RunFacts {
    /// `read`, the facts for `keys` as the database had them at the run's
    /// start, as they stand after the run's accepted entries so far.
    pub fn adjust(&self, keys: &FactKeys, mut read: Facts) -> Facts {
        if keys.document.is_some_and(|d| self.documents.contains(&d)) {
            read.document_registered = true;
        }
        if keys
            .approver
            .as_ref()
            .is_some_and(|a| self.approvals.contains(a))
        {
            read.approval_exists = true;
        }
        read
    }

    /// Adds an accepted entry's change.
    pub fn note(&mut self, change: &Change) -> Result<(), NotInRun> {
        match change {
            Change::Document(d) => {
                if self.documents.insert(d.text_sha256) {
                    self.added.push(Added::Document(d.text_sha256));
                }
            }
            Change::Approval(a) => {
                let key = (a.document, a.name.clone(), a.role.clone());
                if self.approvals.insert(key.clone()) {
                    self.added.push(Added::Approval(key));
                }
            }
            Change::Certificate(_) | Change::Revocation { .. } => return Err(NotInRun),
        }
        Ok(())
    }

    /// Where a group starts.
    pub fn mark(&self) -> Mark {
        Mark(self.added.len())
    }

    /// Forgets what was added since `mark` (a refused group).
    pub fn undo_to(&mut self, mark: Mark) {
        for added in self.added.drain(mark.0..) {
            match added {
                Added::Document(d) => {
                    self.documents.remove(&d);
                }
                Added::Approval(a) => {
                    self.approvals.remove(&a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{ApprovalKind, ApprovalRow};

    fn approval(doc: Hash, name: &str) -> Change {
        let at = jiff::Timestamp::UNIX_EPOCH;
        Change::Approval(ApprovalRow {
            log_index: 1,
            document: doc,
            kind: ApprovalKind::Imported,
            name: name.into(),
            role: "Direktör".into(),
            date: jiff::civil::date(2026, 1, 1),
            logged_at: at,
            signed_at: None,
            cert_fingerprint: None,
            operator: Some("o".into()),
        })
    }

    fn keys(doc: Hash, name: &str) -> FactKeys {
        FactKeys {
            document: Some(doc),
            approver: Some((doc, name.into(), "Direktör".into())),
            ..Default::default()
        }
    }

    #[test]
    fn an_approval_in_the_run_is_seen_by_a_later_entry_and_forgotten_when_undone() {
        let doc = Hash::from([7; 32]);
        let mut run = RunFacts::default();
        assert!(
            !run.adjust(&keys(doc, "Anna"), Facts::default())
                .approval_exists
        );
        let mark = run.mark();
        run.note(&approval(doc, "Anna")).unwrap();
        assert!(
            run.adjust(&keys(doc, "Anna"), Facts::default())
                .approval_exists
        );
        assert!(
            !run.adjust(&keys(doc, "Bo"), Facts::default())
                .approval_exists
        );
        run.undo_to(mark);
        assert!(
            !run.adjust(&keys(doc, "Anna"), Facts::default())
                .approval_exists
        );
    }

    #[test]
    fn what_the_database_said_is_kept_when_the_run_added_nothing() {
        let doc = Hash::from([1; 32]);
        let read = Facts {
            document_registered: true,
            approval_exists: true,
            ..Default::default()
        };
        let got = RunFacts::default().adjust(&keys(doc, "Anna"), read);
        assert!(got.document_registered && got.approval_exists);
    }

    #[test]
    fn undoing_keeps_what_an_earlier_group_added() {
        let (a, b) = (Hash::from([1; 32]), Hash::from([2; 32]));
        let mut run = RunFacts::default();
        run.note(&approval(a, "Anna")).unwrap();
        let mark = run.mark();
        run.note(&approval(a, "Anna")).unwrap(); // already there: nothing to undo
        run.note(&approval(b, "Anna")).unwrap();
        run.undo_to(mark);
        assert!(
            run.adjust(&keys(a, "Anna"), Facts::default())
                .approval_exists
        );
        assert!(
            !run.adjust(&keys(b, "Anna"), Facts::default())
                .approval_exists
        );
    }

    #[test]
    fn a_certificate_change_is_refused() {
        let mut run = RunFacts::default();
        let revocation = Change::Revocation {
            fingerprint: Hash::from([3; 32]),
            log_index: 2,
            revoked_at: jiff::Timestamp::UNIX_EPOCH,
            reason: "r".into(),
        };
        assert_eq!(run.note(&revocation), Err(NotInRun));
    }
}
