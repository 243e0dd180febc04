//! The one printer: every command returns a value that is both serde JSON
//! (for `--json`) and Swedish text for people ([`Report::human`]); the
//! printer chooses, so no command decides between the two itself.
//!
//! Text from outside (a document, the database, a server) goes through
//! [`shown`] (or `attestera_core::printable`) in every `human`, so that a
//! terminal never receives control characters it would act on.

use std::io::Write;

use serde::Serialize;

use super::Failure;

/// A command's result, printable for people and for machines.
pub trait Report: Serialize {
    /// The Swedish text for people (stdout). Writes into a buffer, so it
    /// fails only if the renderer does.
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()>;

    /// A line for people on stderr before the text (not with `--json`),
    /// for output whose stdout must stay exactly the data.
    fn label(&self) -> Option<String> {
        None
    }

    /// The process exit code this result means (0 done or verified).
    fn exit_code(&self) -> i32 {
        0
    }
}

/// Prints reports as text or, with `--json`, as JSON.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
}

impl Printer {
    pub fn new(json: bool) -> Printer {
        Printer { json }
    }

    /// Prints the report in the chosen form and returns its exit code.
    pub fn print(&self, report: &impl Report) -> i32 {
        if self.json {
            print_json(report);
        } else {
            if let Some(label) = report.label() {
                eprintln!("{label}");
            }
            let mut text = Vec::new();
            // Writing into a Vec does not fail; a renderer that does prints what it has.
            let _ = report.human(&mut text);
            write_bytes(&text);
        }
        report.exit_code()
    }

    /// A failed command: its JSON error body with `--json`, and always a
    /// line on stderr with its code. Returns its exit code.
    pub fn failure(&self, e: &Failure) -> i32 {
        if self.json {
            print_json(&ErrorBody {
                error: ErrorDetail {
                    code: &e.code,
                    message: e.message.clone(),
                },
            });
        }
        eprintln!("attestera: {} [{}]", shown(&e.message), shown(&e.code));
        e.exit
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

/// JSON on stdout, with the control characters JSON leaves raw escaped.
pub(crate) fn print_json<T: Serialize>(value: &T) {
    outln!("{}", json_text(value));
}

/// The JSON form of a value as printed: pretty, control characters escaped.
pub(crate) fn json_text<T: Serialize>(value: &T) -> String {
    attestera_core::printable::json(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// Writes a JSON value as its human form (for results that are JSON either way).
pub(crate) fn json_as_human<T: Serialize>(value: &T, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", json_text(value))
}

/// Text from a document, the database or a server, as it may be printed for people.
pub(crate) fn shown(text: &str) -> String {
    attestera_core::printable::line(text)
}

/// Writes to standard output. A closed pipe ends the process with status
/// 141 (128 + SIGPIPE, what a shell shows for a tool killed by SIGPIPE);
/// any other failure is reported, with exit code 2.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    exit_on_error(std::io::stdout().lock().write_fmt(args));
}

/// Like [`write_stdout`], for bytes already rendered.
fn write_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    exit_on_error(out.write_all(bytes).and_then(|()| out.flush()));
}

fn exit_on_error(result: std::io::Result<()>) {
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("attestera: kunde inte skriva utdata: {e} [io_error]");
            std::process::exit(2);
        }
        std::process::exit(141);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with one value from outside, as a command's result is.
    #[derive(Serialize)]
    struct Named {
        name: String,
    }

    impl Report for Named {
        fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
            writeln!(out, "Namn: {}", shown(&self.name))
        }
    }

    fn human_text(r: &impl Report) -> String {
        let mut out = Vec::new();
        r.human(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn outside_text_reaches_a_terminal_without_control_characters() {
        let r = Named {
            name: "Eva\u{1b}[2J\u{7}".into(),
        };
        let text = human_text(&r);
        assert!(text.starts_with("Namn: Eva"), "{text:?}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }

    #[test]
    fn the_json_form_is_the_serde_of_the_same_value_with_controls_escaped() {
        let r = Named {
            name: "Eva\u{1b}".into(),
        };
        let json = json_text(&r);
        assert_eq!(json, "{\n  \"name\": \"Eva\\u001b\"\n}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, serde_json::to_value(&r).unwrap());
    }
}
