//! One measured figure beside its reference, and the one printer for the
//! whole report (Swedish lines for people, `--json` for machines).

use std::io::Write;

use serde::Serialize;

use crate::cli::print::Report;

/// A figure: what was measured, against what, and the lower bound on the
/// ratio that the issue sets (if any). The ratio is defined so that higher
/// is better.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Stable English code (snake_case).
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// What the value is compared with, as a code.
    pub reference: String,
    pub reference_value: f64,
    pub ratio: f64,
    pub target: Option<f64>,
    /// Swedish label for people (not in the JSON).
    #[serde(skip)]
    pub label: String,
    /// Sizes and other circumstances of the measurement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// Whether a bigger or a smaller value is the better one; it decides how
/// the ratio is formed.
#[derive(Debug, Clone, Copy)]
pub enum Better {
    Higher,
    Lower,
}

impl Figure {
    /// A figure with its ratio: value / reference when higher is better,
    /// reference / value when lower is (0 when the divisor is 0).
    pub fn new(
        name: impl Into<String>,
        label: impl Into<String>,
        (value, unit): (f64, &str),
        (reference, reference_value): (&str, f64),
        better: Better,
        target: Option<f64>,
    ) -> Figure {
        let (top, bottom) = match better {
            Better::Higher => (value, reference_value),
            Better::Lower => (reference_value, value),
        };
        let ratio = if bottom > 0.0 { top / bottom } else { 0.0 };
        Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            reference: reference.into(),
            reference_value,
            ratio,
            target,
            label: label.into(),
            detail: None,
        }
    }

    /// The same figure with a detail object.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Figure {
        self.detail = Some(detail);
        self
    }

    /// Whether the ratio reaches the target (true without a target).
    pub fn met(&self) -> bool {
        self.target.is_none_or(|t| self.ratio >= t)
    }
}

/// Every figure of one run.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub figures: Vec<Figure>,
}

/// A number with a precision that suits its size.
fn number(x: f64) -> String {
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        a if a >= 1.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}

impl Report for BenchReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let width = self.figures.iter().map(|f| f.label.chars().count()).max();
        let width = width.unwrap_or(0);
        for f in &self.figures {
            let target = match f.target {
                Some(t) if f.met() => format!("mål ≥ {} uppnått", number(t)),
                Some(t) => format!("mål ≥ {} EJ uppnått", number(t)),
                None => "inget mål".to_string(),
            };
            writeln!(
                out,
                "{:<width$}  {:>10} {:<8} mot {} {} ({}): kvot {}, {target}",
                f.label,
                number(f.value),
                f.unit,
                number(f.reference_value),
                f.unit_of_reference(),
                f.reference,
                number(f.ratio),
            )?;
        }
        Ok(())
    }
}

impl Figure {
    /// The reference's unit: the figure's own unless the reference is a rate of something else.
    fn unit_of_reference(&self) -> &str {
        match self.reference.as_str() {
            "ed25519_verifications_per_second" => "verif/s",
            "fsyncs_per_second" => "fsync/s",
            _ => &self.unit,
        }
    }
}
