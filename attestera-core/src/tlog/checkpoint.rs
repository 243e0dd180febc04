//! The body of a C2SP `tlog-checkpoint`: the origin, tree size and root hash of a log, the text that
//! a signed note (see [`super::note`]) signs.

use super::hash::{Hash, HashError, from_base64, to_base64};
use super::note::NoteVerifier;

/// CheckpointError is the reason a checkpoint body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body does not end with a newline.
    #[error("checkpoint does not end with a newline")]
    MissingFinalNewline,
    /// The body has fewer than the three lines origin, size and root hash.
    #[error("checkpoint has {0} lines, want origin, size and root hash")]
    TooFewLines(usize),
    /// The body has lines after the root hash; extension lines are not supported.
    #[error("checkpoint has {0} extension line(s) after the root hash, which are not supported")]
    ExtensionLines(usize),
    /// The origin line is empty.
    #[error("checkpoint origin is empty")]
    EmptyOrigin,
    /// The origin line contains a control character.
    #[error("checkpoint origin contains a control character")]
    ControlCharacterInOrigin,
    /// The size line is not a decimal number without sign or leading zeros that fits in 64 bits.
    #[error("checkpoint size {0:?} is not a canonical decimal number")]
    InvalidSize(String),
    /// The root hash line is not a base64 32-byte hash.
    #[error("checkpoint root hash: {0}")]
    InvalidRoot(#[from] HashError),
}

/// Checkpoint is a log's commitment to its tree of `size` records with hash `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line, a unique name of the log (C2SP recommends a schema-less URL).
    pub origin: String,
    /// The number of records in the tree.
    pub size: u64,
    /// The RFC 9162 hash of the tree.
    pub root: Hash,
}

impl Checkpoint {
    /// open_signed checks `note`'s signature with `verifier` and parses its body as a
    /// checkpoint of the log named `origin`; `None` if any of that fails.
    pub fn open_signed(verifier: &NoteVerifier, origin: &str, note: &str) -> Option<Checkpoint> {
        let body = verifier.open(note).ok()?;
        Checkpoint::parse(body).ok().filter(|c| c.origin == origin)
    }

    /// body returns the C2SP tlog-checkpoint text "origin\nsize\nbase64(root)\n", without extension
    /// lines; it parses back with [`Checkpoint::parse`] when the origin is valid.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            to_base64(&self.root)
        )
    }

    /// parse reads a C2SP tlog-checkpoint body strictly: exactly three newline-terminated lines,
    /// a non-empty origin without control characters, a canonical decimal size and a base64
    /// 32-byte root hash; extension lines are refused.
    pub fn parse(body: &str) -> Result<Checkpoint, CheckpointError> {
        let Some(body) = body.strip_suffix('\n') else {
            return Err(CheckpointError::MissingFinalNewline);
        };
        let lines: Vec<&str> = body.split('\n').collect();
        match lines.len() {
            n if n < 3 => return Err(CheckpointError::TooFewLines(n)),
            n if n > 3 => return Err(CheckpointError::ExtensionLines(n - 3)),
            _ => {}
        }
        let (origin, size, root) = (lines[0], lines[1], lines[2]);
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if origin.chars().any(char::is_control) {
            return Err(CheckpointError::ControlCharacterInOrigin);
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: from_base64(root)?,
        })
    }
}

/// Parses a decimal size with no sign, no leading zeros (except "0" itself) and no overflow.
fn parse_size(s: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize(s.to_owned());
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err(invalid());
    }
    s.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::empty_tree_hash;

    const ROOT: &str = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";

    fn example() -> Checkpoint {
        Checkpoint {
            origin: "example.com/log".into(),
            size: 8,
            root: from_base64(ROOT).unwrap(),
        }
    }

    #[test]
    fn body_and_parse_round_trip() {
        let cp = example();
        assert_eq!(cp.body(), format!("example.com/log\n8\n{ROOT}\n"));
        assert_eq!(Checkpoint::parse(&cp.body()), Ok(cp));
        let empty = Checkpoint {
            origin: "attestera.example/log ünïcode".into(),
            size: 0,
            root: empty_tree_hash(),
        };
        assert_eq!(Checkpoint::parse(&empty.body()), Ok(empty));
        let max = Checkpoint {
            size: u64::MAX,
            ..example()
        };
        assert_eq!(Checkpoint::parse(&max.body()), Ok(max));
    }

    #[test]
    fn rejections() {
        use CheckpointError::*;
        let p = |s: &str| Checkpoint::parse(s);
        assert_eq!(
            p(&format!("example.com/log\n8\n{ROOT}")),
            Err(MissingFinalNewline)
        );
        assert_eq!(p(""), Err(MissingFinalNewline));
        assert_eq!(p("example.com/log\n8\n"), Err(TooFewLines(2)));
        assert_eq!(p("\n"), Err(TooFewLines(1)));
        assert_eq!(
            p(&format!("example.com/log\n8\n{ROOT}\nextension\n")),
            Err(ExtensionLines(1))
        );
        assert_eq!(
            p(&format!("example.com/log\n8\n{ROOT}\n\n")),
            Err(ExtensionLines(1))
        );
        assert_eq!(p(&format!("\n8\n{ROOT}\n")), Err(EmptyOrigin));
        assert_eq!(
            p(&format!("example.com/log\r\n8\n{ROOT}\n")),
            Err(ControlCharacterInOrigin)
        );
        assert_eq!(
            p(&format!("exa\tmple\n8\n{ROOT}\n")),
            Err(ControlCharacterInOrigin)
        );
        for size in [
            "08",
            "00",
            "+8",
            "-8",
            "",
            " 8",
            "8 ",
            "0x8",
            "18446744073709551616",
            "８",
        ] {
            assert_eq!(
                p(&format!("example.com/log\n{size}\n{ROOT}\n")),
                Err(InvalidSize(size.into())),
                "{size:?}"
            );
        }
        for root in [
            "",
            "ZG9uJ3QgY2FyZSAy",
            "not base64!",
            &ROOT[..ROOT.len() - 1],
        ] {
            assert!(matches!(
                p(&format!("example.com/log\n8\n{root}\n")),
                Err(InvalidRoot(_))
            ));
        }
        assert!(matches!(
            p(&format!("example.com/log\n8\n{ROOT}\r\n")),
            Err(InvalidRoot(_))
        ));
    }
}
