//! `verify` and `audit`: checking a copy against the log, and the whole log.

use std::io::Write;
use std::path::Path;

use super::input::read_copy;
use super::print::{Report, shown};
use crate::service::audit::{AuditProgress, AuditReport};
use crate::service::{Service, ServiceError};
use attestera_core::verdict::{ApprovalReport, Finding, Indication, Severity, Status, Verdict};

pub async fn verify(s: &Service, file: &Path) -> Result<Verdict, ServiceError> {
    s.verify(&read_copy(file)?).await
}

/// The audit, with a progress bar on standard error when it is a terminal
/// (a long log takes minutes; the report itself goes to standard output).
pub async fn audit(s: &Service) -> Result<AuditReport, ServiceError> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return s.audit().await;
    }
    let progress = AuditProgress::default();
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "Granskar loggen {bar:40} {pos}/{len} poster ({per_sec}, {eta} kvar)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let audit = s.audit_with_progress(&progress);
    tokio::pin!(audit);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    let report = loop {
        tokio::select! {
            report = &mut audit => break report,
            _ = tick.tick() => {
                let (done, total) = progress.get();
                bar.set_length(total);
                bar.set_position(done);
            }
        }
    };
    bar.finish_and_clear();
    report
}

impl Report for Verdict {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", headline(self.status))?;
        if let Some(t) = &self.document.title {
            writeln!(
                out,
                "Dokument: {}{}",
                shown(t),
                self.document
                    .dnr
                    .as_deref()
                    .map(|d| format!(" (dnr {})", shown(d)))
                    .unwrap_or_default()
            )?;
        }
        if let Some(digest) = self.document.text_sha256 {
            writeln!(out, "Kanonisk text SHA-256: {digest}")?;
        }
        for f in &self.findings {
            finding(f, "  ", out)?;
        }
        for a in &self.approvals {
            approval(a, out)?;
        }
        Ok(())
    }

    fn exit_code(&self) -> i32 {
        self.status.exit_code()
    }
}

fn headline(status: Status) -> &'static str {
    match status {
        Status::Verified => "VERIFIERAT: dokumentet och blocket stämmer med loggen.",
        Status::Failed => "EJ VERIFIERAT: dokumentet eller blocket stämmer inte med loggen.",
        Status::Indeterminate => "KAN INTE KONTROLLERAS: dokumentet kunde inte läsas som text.",
    }
}

fn approval(a: &ApprovalReport, out: &mut dyn Write) -> std::io::Result<()> {
    // The indication is of the approval itself; whether the block shows it is said apart.
    let ok = match (a.indication, a.in_block) {
        (Indication::TotalPassed, Some(false)) => "giltigt, men visas inte i blocket",
        (Indication::TotalPassed, _) => "giltigt",
        (Indication::TotalFailed, _) => "ogiltigt",
        (Indication::Indeterminate, _) => "obestämt",
    };
    writeln!(
        out,
        "{}, {} {} – {ok} (loggpost {})",
        shown(&a.name),
        shown(&a.role),
        a.date,
        a.log_index
    )?;
    for f in &a.findings {
        finding(f, "    ", out)?;
    }
    Ok(())
}

fn finding(f: &Finding, indent: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{indent}[{}] {} ({})",
        severity_sv(f.severity),
        shown(&f.message),
        f.code
    )
}

fn severity_sv(s: Severity) -> &'static str {
    match s {
        Severity::Error => "FEL",
        Severity::Warning => "VARNING",
        Severity::Notice => "notis",
    }
}

impl Report for AuditReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Granskade {} loggposter, {} kontrollpunkter, {} dokument, {} godkännanden, {} certifikat.",
            self.entries, self.checkpoints, self.documents, self.approvals, self.certificates
        )?;
        if self.ok {
            return writeln!(
                out,
                "Allt stämmer: loggen är obruten och tabellerna följer av den."
            );
        }
        writeln!(out, "{} fel hittades:", self.problems.len())?;
        for p in &self.problems {
            writeln!(out, "  [{}] {}", p.code, shown(&p.message))?;
        }
        Ok(())
    }

    fn exit_code(&self) -> i32 {
        if self.ok { 0 } else { 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::audit::AuditProblem;

    fn report(problems: Vec<AuditProblem>) -> AuditReport {
        AuditReport {
            ok: problems.is_empty(),
            entries: 3,
            checkpoints: 2,
            documents: 1,
            approvals: 1,
            certificates: 1,
            problems,
        }
    }

    fn human_text(r: &impl Report) -> String {
        let mut out = Vec::new();
        r.human(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_audit_with_problems_exits_1_and_lists_them_escaped() {
        let r = report(vec![AuditProblem {
            code: "entry_unreadable",
            message: "post 2\u{1b}[2J".into(),
            entry: Some(2),
            checkpoint: None,
            table: None,
            key: None,
        }]);
        assert_eq!(r.exit_code(), 1);
        let text = human_text(&r);
        assert!(
            text.contains("1 fel hittades:\n  [entry_unreadable] post 2"),
            "{text:?}"
        );
        assert!(!text.contains('\u{1b}'), "{text:?}");
    }

    #[test]
    fn a_clean_audit_exits_0() {
        let r = report(Vec::new());
        assert_eq!(r.exit_code(), 0);
        assert!(human_text(&r).ends_with("tabellerna följer av den.\n"));
    }
}
