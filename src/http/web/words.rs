//! The Swedish words pages use for the verdict's codes: statuses,
//! indications, kinds of approval, match levels and severities, and the
//! one sentence that says a verdict. In one place, so that every page (and
//! a later one) says the same thing the same way; the sentences of single
//! findings come from the message catalogue.

use attestera_core::rules::ApprovalKind;
use attestera_core::verdict::{Indication, Severity, Status, Verdict};

/// The word a verdict's heading and title begin with.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Verified => "Verifierat",
        Status::Failed => "Ej verifierat",
        Status::Indeterminate => "Kunde inte kontrolleras",
    }
}

/// The CSS class of the verdict's frame (the word says it; colour adds to it).
pub fn status_class(status: Status) -> &'static str {
    match status {
        Status::Verified => "verdict-valid",
        Status::Failed => "verdict-invalid",
        Status::Indeterminate => "verdict-indeterminate",
    }
}

/// Whether a finding with this code was made anywhere in the verdict.
fn found(v: &Verdict, code: &str) -> bool {
    v.findings.iter().any(|f| f.code == code)
}

/// The verdict in one plain sentence, beginning with [`status_word`]. A
/// changed document and one that could not be checked are never said
/// alike: the latter says it is no sign of forgery.
pub fn verdict_sentence(v: &Verdict) -> String {
    let rest = match v.status {
        Status::Verified => {
            "dokumentet är det som registrerades och godkännandena stämmer med loggen"
        }
        Status::Indeterminate => {
            "filen kunde inte läsas som text, vilket inte tyder på förfalskning"
        }
        Status::Failed if found(v, "content_changed") => {
            "dokumentet har ändrats sedan det registrerades"
        }
        Status::Failed if !v.document.registered => "dokumentet finns inte registrerat i loggen",
        Status::Failed if found(v, "block_missing") => {
            "texten är registrerad, men dokumentet saknar attesteringsblock"
        }
        Status::Failed if found(v, "block_unreadable") => {
            "texten är registrerad, men dokumentets attesteringsblock kunde inte läsas"
        }
        Status::Failed
            if v.approvals
                .iter()
                .all(|a| a.indication != Indication::TotalFailed) =>
        {
            "texten är registrerad, men godkännandena kunde inte bekräftas mot loggen"
        }
        Status::Failed => "texten är registrerad, men godkännandena stämmer inte med loggen",
    };
    format!("{}: {rest}.", status_word(v.status))
}

/// An approval's result in words.
pub fn indication_word(i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => "Bekräftat i loggen",
        Indication::TotalFailed => "Stämmer inte",
        Indication::Indeterminate => "Kunde inte kontrolleras",
    }
}

/// The tag class of an approval's result. Green only when the whole
/// verdict holds: a genuine approval of a document whose copy does not
/// match is not shown as good.
pub fn indication_tag(i: Indication, status: Status) -> &'static str {
    match (i, status) {
        (Indication::TotalPassed, Status::Verified) => "tag-ok",
        (Indication::TotalFailed, _) => "tag-bad",
        _ => "tag-unknown",
    }
}

/// How an approval came into the log.
pub fn kind_word(kind: ApprovalKind) -> &'static str {
    match kind {
        ApprovalKind::Signed => "signerat",
        ApprovalKind::Imported => "överfört från arkivet",
    }
}

/// The summary's row about what matched, as (term, words): "Matchade på"
/// and the level when the verdict has one (`match_level`); else why
/// nothing matched. A copy that could not be read was compared with
/// nothing, which is not a mismatch.
pub fn match_summary(level: Option<&str>, status: Status) -> (&'static str, &'static str) {
    match (level, status) {
        (Some(level), _) => ("Matchade på", matched_on(level)),
        (None, Status::Indeterminate) => (
            "Överensstämmelse",
            "Inte jämförd: filen kunde inte läsas som text",
        ),
        (None, _) => (
            "Överensstämmelse",
            "Ingen registrerad text stämmer med filen",
        ),
    }
}

/// A match level (`file`, `text-v2`, `text-v1`, `text-pdf-v1`, `skeleton`) in words.
pub fn matched_on(level: &str) -> &'static str {
    use attestera_core::document::pdf::{PDF_RULES, SKELETON};
    match level {
        "file" => "Exakt fil: de registrerade byten, oförändrade",
        "text-v2" => "Dokumentets text (kanonisk text, version 2)",
        "text-v1" => "Dokumentets text (kanonisk text, version 1, äldre regler)",
        PDF_RULES => "PDF-filens text",
        SKELETON => "Bara bokstäver och siffror (layouten skiljer sig)",
        _ => "Dokumentets text",
    }
}

pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Fel",
        Severity::Warning => "Varning",
        Severity::Notice => "Upplysning",
    }
}

/// What a visitor can do next, for this verdict.
pub fn advice(v: &Verdict) -> &'static [&'static str] {
    match v.status {
        Status::Verified => &[
            "Du kan lita på att texten och godkännandena är de som registrerades och loggades.",
            "Skriv ut sidan eller ladda ner rapporten om du behöver spara kontrollen, till exempel i ärendet.",
        ],
        Status::Indeterminate => &[
            "Kontrollera att du valde rätt fil: en textfil (.txt) med dokumentets text och dess attesteringsblock.",
            "Har du dokumentet som PDF eller Word-fil, be den som skickade det om textfilen; de formaten kan inte kontrolleras ännu.",
            "Att filen inte kunde kontrolleras säger ingenting om att den skulle vara ändrad eller förfalskad.",
        ],
        Status::Failed if !v.document.registered => &[
            "Lita inte på att texten är den som beslutades. Be den som skickade dokumentet om originalet, eller jämför med diariet.",
            "Om du har dokumentets id kan du söka fram det registrerade dokumentet på startsidan och jämföra.",
            "Misstänker du att någon har ändrat ett dokument, kontakta registratorn hos den nämnd som står i dokumentet.",
        ],
        Status::Failed if found(v, "block_missing") => &[
            "Texten är den som registrerades, men dokumentet har inget attesteringsblock: det kan vara så att ingen har godkänt det ännu.",
            "Öppna dokumentets sida (sök på dess id på startsidan) för att se om och av vem det är godkänt, eller be registratorn om det attesterade dokumentet.",
        ],
        Status::Failed => &[
            "Lita inte på godkännandena i dokumentet. Se i tabellen vilka som inte stämmer och varför.",
            "Be registratorn om ett nytt attesterat dokument; det har alltid det block som loggen visar.",
            "Misstänker du att någon har ändrat blocket, kontakta registratorn hos den nämnd som står i dokumentet.",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attestera_core::Hash;
    use attestera_core::verdict::{DocumentReport, Finding};

    fn verdict(status: Status, registered: bool, codes: &[&'static str]) -> Verdict {
        Verdict {
            status,
            document: DocumentReport {
                text_sha256: None,
                file_sha256: Hash::sha256(b"f"),
                registered,
                match_level: None,
                title: None,
                dnr: None,
                log_index: None,
            },
            approvals: Vec::new(),
            findings: codes
                .iter()
                .map(|c| Finding::told(c, Severity::Error, String::new()))
                .collect(),
            checkpoint_size: None,
        }
    }

    #[test]
    fn each_verdict_sentence_begins_with_its_status_and_is_one_sentence() {
        for (v, start) in [
            (verdict(Status::Verified, true, &[]), "Verifierat: "),
            (verdict(Status::Failed, false, &[]), "Ej verifierat: "),
            (
                verdict(Status::Indeterminate, false, &[]),
                "Kunde inte kontrolleras: ",
            ),
        ] {
            let s = verdict_sentence(&v);
            assert!(s.starts_with(start), "{s}");
            assert_eq!(s.matches('.').count(), 1, "{s}");
            assert!(s.ends_with('.'), "{s}");
        }
    }

    #[test]
    fn a_changed_document_and_one_that_could_not_be_checked_are_said_apart() {
        let changed = verdict_sentence(&verdict(Status::Failed, false, &["content_changed"]));
        assert!(changed.contains("har ändrats"), "{changed}");
        let unreadable = verdict_sentence(&verdict(Status::Indeterminate, false, &[]));
        assert!(
            unreadable.contains("inte tyder på förfalskning"),
            "{unreadable}"
        );
        assert!(!unreadable.contains("ändrats"), "{unreadable}");
        let unregistered = verdict_sentence(&verdict(Status::Failed, false, &[]));
        assert!(unregistered.contains("inte registrerat"), "{unregistered}");
        let block = verdict_sentence(&verdict(Status::Failed, true, &["block_missing"]));
        assert!(block.contains("saknar attesteringsblock"), "{block}");
    }

    #[test]
    fn only_a_verified_document_has_green_rows() {
        assert_eq!(
            indication_tag(Indication::TotalPassed, Status::Verified),
            "tag-ok"
        );
        for status in [Status::Failed, Status::Indeterminate] {
            assert_ne!(indication_tag(Indication::TotalPassed, status), "tag-ok");
        }
        assert_eq!(
            indication_tag(Indication::TotalFailed, Status::Verified),
            "tag-bad"
        );
    }

    #[test]
    fn every_match_level_has_words() {
        let levels = ["file", "text-v2", "text-v1", "text-pdf-v1", "skeleton"];
        let words: Vec<_> = levels.iter().map(|l| matched_on(l)).collect();
        for (i, w) in words.iter().enumerate() {
            assert!(!w.is_empty());
            assert!(!words[..i].contains(w), "{w} said for two levels");
        }
        assert_eq!(
            matched_on("file"),
            "Exakt fil: de registrerade byten, oförändrade"
        );
        assert_eq!(matched_on("text-pdf-v1"), "PDF-filens text");
        assert!(matched_on("skeleton").contains("bokstäver och siffror"));
        assert_eq!(
            match_summary(Some("text-pdf-v1"), Status::Verified),
            ("Matchade på", "PDF-filens text")
        );
        assert_eq!(match_summary(Some("file"), Status::Failed).0, "Matchade på");
        assert_eq!(match_summary(None, Status::Failed).0, "Överensstämmelse");
        assert!(
            match_summary(None, Status::Indeterminate)
                .1
                .starts_with("Inte jämförd")
        );
    }

    #[test]
    fn advice_fits_the_verdict() {
        assert!(
            advice(&verdict(Status::Indeterminate, false, &[]))
                .iter()
                .any(|a| a.contains("inte"))
        );
        assert_ne!(
            advice(&verdict(Status::Failed, false, &[])),
            advice(&verdict(Status::Failed, true, &[]))
        );
        assert_ne!(
            advice(&verdict(Status::Failed, true, &["block_missing"])),
            advice(&verdict(Status::Failed, true, &[]))
        );
    }
}

/// How an approval came into the log, capitalised, for a table cell;
/// a kind the log does not know (a later version's) says so.
pub fn kind_word_capitalised(kind: &str) -> &'static str {
    let known = [ApprovalKind::Signed, ApprovalKind::Imported];
    match known.into_iter().find(|k| k.as_str() == kind) {
        Some(ApprovalKind::Signed) => "Signerat",
        Some(ApprovalKind::Imported) => "Överfört från arkivet",
        None => "Okänt slag",
    }
}

/// An instant as people in Swedish municipalities read it, to the minute
/// in Stockholm time (summer time included), "2026-12-02 06:49": every page
/// shows times this one way.
pub fn local_time(ts: jiff::Timestamp) -> String {
    attestera_core::stockholm::minute(ts)
}

#[cfg(test)]
mod time_and_kind_tests {
    use super::*;

    #[test]
    fn local_time_is_stockholm_time_in_winter_and_in_summer() {
        let at = |s: &str| local_time(s.parse().unwrap());
        // Winter: CET, UTC+1 (and the day changes at midnight Stockholm time).
        assert_eq!(at("2026-12-02T05:49:10Z"), "2026-12-02 06:49");
        assert_eq!(at("2026-12-31T23:30:00Z"), "2027-01-01 00:30");
        // Summer: CEST, UTC+2.
        assert_eq!(at("2026-07-01T04:49:59Z"), "2026-07-01 06:49");
        // Both sides of the spring change (2026-03-29 01:00 UTC).
        assert_eq!(at("2026-03-29T00:59:00Z"), "2026-03-29 01:59");
        assert_eq!(at("2026-03-29T01:00:00Z"), "2026-03-29 03:00");
    }

    #[test]
    fn kind_words_are_the_same_words_capitalised() {
        for kind in [ApprovalKind::Signed, ApprovalKind::Imported] {
            let code = kind.as_str();
            let capital = kind_word_capitalised(code);
            let mut lower = kind_word(kind).chars();
            let first = lower.next().unwrap().to_uppercase().collect::<String>();
            assert_eq!(capital, first + lower.as_str(), "{code}");
        }
        assert_eq!(kind_word_capitalised("handskrivet"), "Okänt slag");
    }
}
