//! Audits run in the background, so that a page can start one and show how
//! far it has come. The registry is small and bounded: at most one audit
//! runs at a time (a second request is shown the running one), a finished
//! audit is kept for [`KEEP`] and at most [`MAX_FINISHED`] of them, and a
//! job is named by a random id that cannot be guessed from another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

use super::audit::{AuditProgress, AuditReport};
use super::{Service, ServiceError};

/// How long a finished audit's report stays readable.
pub const KEEP: Duration = Duration::from_secs(15 * 60);
/// The most finished audits kept; the oldest goes first.
pub const MAX_FINISHED: usize = 8;

/// What a background audit has come to.
#[derive(Debug, Clone)]
pub enum AuditJob {
    /// Still replaying (or checking after the replay): `done` of `total` entries.
    Running { done: u64, total: u64 },
    /// Finished with a report (which may list problems).
    Done(Arc<AuditReport>),
    /// The audit could not run to its end: the store failed (the error),
    /// or the audit task itself stopped (`None`, a bug; it is logged).
    Failed(Option<Arc<ServiceError>>),
}

type Outcome = Result<Arc<AuditReport>, Option<Arc<ServiceError>>>;

struct Job {
    progress: Arc<AuditProgress>,
    /// Set when the audit ends: its outcome and when.
    finished: Option<(Instant, Outcome)>,
}

/// The background audits of one service.
#[derive(Default)]
pub struct AuditJobs {
    jobs: Mutex<HashMap<String, Job>>,
}

impl AuditJobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Job>> {
        // A panic elsewhere while holding the lock leaves the map usable.
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The running job's id, or a new job's id and its progress counter.
    fn begin(&self) -> Result<(String, Option<Arc<AuditProgress>>), ServiceError> {
        let mut jobs = self.lock();
        forget_old(&mut jobs, Instant::now());
        if let Some((id, _)) = jobs.iter().find(|(_, j)| j.finished.is_none()) {
            return Ok((id.clone(), None));
        }
        let id = random_id()?;
        let progress = Arc::new(AuditProgress::default());
        jobs.insert(
            id.clone(),
            Job {
                progress: progress.clone(),
                finished: None,
            },
        );
        Ok((id, Some(progress)))
    }

    fn finish(&self, id: &str, outcome: Outcome) {
        if let Some(job) = self.lock().get_mut(id) {
            job.finished = Some((Instant::now(), outcome));
        }
    }

    /// The job `id`, if it exists and has not been forgotten.
    pub fn get(&self, id: &str) -> Option<AuditJob> {
        let mut jobs = self.lock();
        forget_old(&mut jobs, Instant::now());
        let job = jobs.get(id)?;
        Some(match &job.finished {
            None => {
                let (done, total) = job.progress.get();
                AuditJob::Running { done, total }
            }
            Some((_, Ok(report))) => AuditJob::Done(report.clone()),
            Some((_, Err(e))) => AuditJob::Failed(e.clone()),
        })
    }
}

/// Drops finished jobs older than [`KEEP`], then the oldest beyond [`MAX_FINISHED`].
fn forget_old(jobs: &mut HashMap<String, Job>, now: Instant) {
    jobs.retain(|_, j| {
        j.finished
            .as_ref()
            .is_none_or(|(at, _)| now.duration_since(*at) < KEEP)
    });
    let mut finished: Vec<(Instant, String)> = jobs
        .iter()
        .filter_map(|(id, j)| j.finished.as_ref().map(|(at, _)| (*at, id.clone())))
        .collect();
    if finished.len() > MAX_FINISHED {
        finished.sort();
        for (_, id) in &finished[..finished.len() - MAX_FINISHED] {
            jobs.remove(id);
        }
    }
}

/// 128 random bits in hex: a job's id.
fn random_id() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServiceError::NoRandomness)?;
    Ok(hex::encode(bytes))
}

impl Service {
    /// Starts the audit in the background (or finds the one already
    /// running) and returns its id for [`Service::audit_job`].
    pub fn start_audit(self: &Arc<Self>) -> Result<String, ServiceError> {
        let (id, progress) = self.audit_jobs.begin()?;
        let Some(progress) = progress else {
            return Ok(id);
        };
        let service = self.clone();
        let job = id.clone();
        tokio::spawn(async move {
            let runner = service.clone();
            let run =
                tokio::spawn(async move { runner.audit_with_progress(&progress).await }).await;
            // A panicking audit still ends its job, so that another can start.
            let outcome = match run {
                Ok(result) => result.map(Arc::new).map_err(|e| Some(Arc::new(e))),
                Err(e) => {
                    tracing::error!(error = %e, "the audit stopped");
                    Err(None)
                }
            };
            service.audit_jobs.finish(&job, outcome);
        });
        Ok(id)
    }

    /// A background audit by its id.
    pub fn audit_job(&self, id: &str) -> Option<AuditJob> {
        self.audit_jobs.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished_at(at: Instant) -> Job {
        Job {
            progress: Arc::new(AuditProgress::default()),
            finished: Some((at, Err(None))),
        }
    }

    #[test]
    fn only_one_audit_runs_at_a_time() {
        let jobs = AuditJobs::default();
        let (first, progress) = jobs.begin().unwrap();
        assert!(progress.is_some());
        let (again, progress) = jobs.begin().unwrap();
        assert_eq!(again, first);
        assert!(progress.is_none(), "no second audit is started");
        assert!(matches!(jobs.get(&first), Some(AuditJob::Running { .. })));
        jobs.finish(&first, Err(Some(Arc::new(ServiceError::NoCheckpoint))));
        assert!(matches!(jobs.get(&first), Some(AuditJob::Failed(_))));
        let (next, progress) = jobs.begin().unwrap();
        assert_ne!(next, first);
        assert!(progress.is_some());
        assert_eq!(next.len(), 32);
    }

    #[test]
    fn finished_audits_are_forgotten_after_a_while_and_beyond_a_number() {
        // "Now" is set ahead of a real instant rather than the old job
        // behind it, so that the old job is there on every machine (an
        // Instant before boot may not exist).
        let old = Instant::now();
        let now = old + KEEP + Duration::from_secs(101);
        let mut jobs = HashMap::new();
        jobs.insert("old".to_string(), finished_at(old));
        let kept_longest = finished_at(now - KEEP + Duration::from_secs(1));
        assert!(
            forget_old_keeps(kept_longest, now),
            "just younger than KEEP stays"
        );
        for i in 0..MAX_FINISHED + 2 {
            jobs.insert(
                format!("job{i}"),
                finished_at(now - Duration::from_secs(100 - i as u64)),
            );
        }
        jobs.insert(
            "running".into(),
            Job {
                progress: Arc::new(AuditProgress::default()),
                finished: None,
            },
        );
        forget_old(&mut jobs, now);
        assert!(!jobs.contains_key("old"));
        assert!(!jobs.contains_key("job0") && !jobs.contains_key("job1"));
        assert!(jobs.contains_key(&format!("job{}", MAX_FINISHED + 1)));
        assert!(jobs.contains_key("running"));
        assert_eq!(jobs.len(), MAX_FINISHED + 1);
    }

    /// Whether `job` alone survives `forget_old` at `now`.
    fn forget_old_keeps(job: Job, now: Instant) -> bool {
        let mut jobs = HashMap::from([("j".to_string(), job)]);
        forget_old(&mut jobs, now);
        jobs.contains_key("j")
    }

    #[test]
    fn an_unknown_id_is_no_job() {
        assert!(AuditJobs::default().get("nope").is_none());
    }
}
