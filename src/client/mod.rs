//! The CLI as a client of a remote attestera service that trusts nothing it
//! is told: it pins the log's public key (given, or kept from first use),
//! remembers the last checkpoint it verified, and checks every checkpoint
//! signature, consistency proof, inclusion proof, entry, signature and
//! certificate itself. A rewritten, forked or rolled-back log is reported.
//!
//! Two ways to know what the log holds. [`ProvenView`] (verify, block,
//! approve): only the entries the server names for one document, each with
//! its inclusion proof, O(log n) apiece, replayed through the rules; it
//! cannot tell whether the server left an entry out (an approval, a
//! revocation). [`Remote::replay`] (audit, `verify --full-replay`): every
//! entry, checked against the root and replayed, O(n) on first contact,
//! which nothing left out escapes.

use std::path::{Path, PathBuf};

mod proven;
mod replay;
mod state;

pub use proven::ProvenView;
pub use replay::Replay;
pub use state::default_state_dir;
use state::{TrustState, save_state, state_file, state_json, write_atomic};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::wire::log::{ConsistencyQuery, Page, ProofQuery};
use crate::wire::{ConsistencyProof, InclusionProof, ServedEntry};
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::pki;
use attestera_core::rules::{self, Projection};
use attestera_core::tlog::{self, Checkpoint, NoteVerifier};

/// Why a remote answer cannot be accepted.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("servern {0} svarar inte: {1}")]
    Unreachable(String, String),
    #[error("{detail}")]
    Problem {
        status: u16,
        code: String,
        detail: String,
    },
    #[error("servern svarade med något oväntat: {0}")]
    Protocol(String),
    #[error(
        "loggens nyckel {served} är inte den betrodda {pinned}. Om servern verkligen har \
         installerats om med en ny logg: kontrollera den nya nyckeln med organisationen och ange \
         den med --log-key, eller ta bort klientens minne av den gamla ({})",
        state.display()
    )]
    LogKeyMismatch {
        served: String,
        pinned: String,
        /// The file that holds the trusted key.
        state: PathBuf,
    },
    #[error("kontrollpunkten är inte signerad med loggens betrodda nyckel: {0}")]
    CheckpointInvalid(String),
    #[error(
        "loggen har rullats tillbaka: servern visar storlek {served}, men {remembered} har redan verifierats"
    )]
    RolledBack { served: u64, remembered: u64 },
    #[error(
        "loggen har skrivits om eller förgrenats: storlek {served} är inte en förlängning av den verifierade storleken {remembered}"
    )]
    Forked { served: u64, remembered: u64 },
    #[error("inklusionsbeviset för loggpost {0} stämmer inte med kontrollpunkten")]
    ProofInvalid(u64),
    #[error("loggpost {0} är inte vad servern påstår")]
    EntryMismatch(u64),
    #[error("loggen är förfalskad: {}", crate::messages::say(.0))]
    LogTime(#[from] attestera_core::logtime::TimeError),
    #[error("kunde inte spara klientens tillstånd i {0}: {1}")]
    State(PathBuf, String),
}

impl ClientError {
    /// The code of an answer that shows the server's log cannot be trusted
    /// (as opposed to a refusal or an unreachable server).
    pub fn untrusted_code(&self) -> Option<&'static str> {
        Some(match self {
            ClientError::LogKeyMismatch { .. } => "log_key_mismatch",
            ClientError::CheckpointInvalid(_) => "checkpoint_invalid",
            ClientError::RolledBack { .. } => "log_rolled_back",
            ClientError::Forked { .. } => "log_forked",
            ClientError::ProofInvalid(_) => "inclusion_proof_failed",
            ClientError::EntryMismatch(_) => "entry_mismatch",
            ClientError::LogTime(e) => e.code(),
            _ => return None,
        })
    }

    pub fn code(&self) -> String {
        if let Some(code) = self.untrusted_code() {
            return code.into();
        }
        match self {
            ClientError::Problem { code, .. } => code.clone(),
            ClientError::Unreachable(..) => "server_unreachable".into(),
            ClientError::State(..) => "client_state_error".into(),
            _ => "server_protocol".into(),
        }
    }

    /// 1 when the server lied or refused, 2 when it could not be asked.
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::Unreachable(..) | ClientError::State(..) => 2,
            ClientError::Problem { status, .. } if *status >= 500 => 2,
            ClientError::Problem { code, .. }
                if attestera_core::document::canonical::TextError::has_code(code) =>
            {
                2
            }
            _ => 1,
        }
    }
}

/// A connection to a remote service, with its pinned key.
pub struct Remote {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    verifier: NoteVerifier,
    state: TrustState,
    state_path: PathBuf,
    /// Notices for the user (e.g. trust on first use).
    pub notices: Vec<String>,
}

impl Remote {
    /// Connects, fetches the served log key and checks it against the pin
    /// (`--log-key`) or, without one, against the key kept from first use.
    pub async fn connect(
        base: &str,
        token: Option<String>,
        pinned_key: Option<&str>,
        state_dir: &Path,
    ) -> Result<Remote, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Unreachable(base.clone(), e.to_string()))?;
        let served = send(
            &base,
            token.as_deref(),
            http.get(format!("{base}/api/v1/log/public-key")),
        )
        .await?
        .text()
        .await
        .map_err(|e| ClientError::Protocol(e.to_string()))?
        .trim()
        .to_string();
        let key = match pinned_key {
            Some(pinned) if pinned.trim() != served => {
                return Err(ClientError::LogKeyMismatch {
                    served,
                    pinned: pinned.trim().into(),
                    state: state_dir.to_path_buf(),
                });
            }
            Some(pinned) => pinned.trim().to_string(),
            None => served.clone(),
        };
        // Trust on first use is bound to the server: a later key change is an
        // error, not a new first use.
        let server_path = state_dir.join(format!(
            "server-{}.json",
            hex::encode(&Sha256::digest(base.as_bytes())[..8])
        ));
        if pinned_key.is_none()
            && let Ok(text) = std::fs::read_to_string(&server_path)
        {
            let known: TrustState = serde_json::from_str(&text)
                .map_err(|e| ClientError::State(server_path.clone(), e.to_string()))?;
            if known.log_key != key {
                return Err(ClientError::LogKeyMismatch {
                    served: key,
                    pinned: known.log_key,
                    state: server_path,
                });
            }
        }
        let verifier =
            NoteVerifier::parse(&key).map_err(|e| ClientError::CheckpointInvalid(e.to_string()))?;
        if !server_path.exists() {
            let known = TrustState {
                log_key: key.clone(),
                checkpoint: None,
            };
            write_atomic(&server_path, &state_json(&known))
                .map_err(|e| ClientError::State(server_path.clone(), e.to_string()))?;
        }
        let mut remote = Remote {
            base,
            token,
            http,
            verifier,
            state: TrustState::default(),
            state_path: state_file(state_dir, &key),
            notices: Vec::new(),
        };
        match std::fs::read_to_string(&remote.state_path) {
            Ok(text) => {
                remote.state = serde_json::from_str(&text)
                    .map_err(|e| ClientError::State(remote.state_path.clone(), e.to_string()))?;
            }
            Err(_) => {
                if pinned_key.is_none() {
                    remote.notices.push(format!(
                        "OBS: första kontakten med loggen {}. Dess nyckel {key} betros från och med nu; \
                         jämför den med den som organisationen publicerat, eller ange --log-key.",
                        remote.verifier.name()
                    ));
                }
                remote.state = TrustState {
                    log_key: key,
                    checkpoint: None,
                };
            }
        }
        Ok(remote)
    }

    /// The log's origin: the name of its verifier key.
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    /// The pinned verifier key.
    pub fn log_key(&self) -> &str {
        &self.state.log_key
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        send(&self.base, self.token.as_deref(), req).await
    }

    async fn get_text(&self, path: &str) -> Result<String, ClientError> {
        self.send(self.http.get(self.url(path)))
            .await?
            .text()
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// GETs `path` and decodes the answer into its wire type.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let resp = self.send(self.http.get(self.url(path))).await?;
        decoded(path, resp).await
    }

    /// POSTs raw bytes and decodes the answer into its wire type.
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, ClientError> {
        let resp = self.send(self.http.post(self.url(path)).body(body)).await?;
        decoded(path, resp).await
    }

    /// POSTs a wire type as JSON and decodes the answer into its wire type.
    pub async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let resp = self.send(self.http.post(self.url(path)).json(body)).await?;
        decoded(path, resp).await
    }

    /// Fetches the latest checkpoint, checks its signature against the
    /// pinned key and its consistency with the last one verified, and
    /// remembers it.
    pub async fn checkpoint(&mut self) -> Result<(Checkpoint, String), ClientError> {
        // What any process verified last, not only what this one loaded at connect.
        self.reload_state();
        let note = self.get_text("/api/v1/log/checkpoint").await?;
        let cp = self
            .verifier
            .open(&note)
            .map_err(|e| ClientError::CheckpointInvalid(e.to_string()))
            .and_then(|body| {
                Checkpoint::parse(body).map_err(|e| ClientError::CheckpointInvalid(e.to_string()))
            })?;
        if self.state.checkpoint.is_some() {
            let old = self.remembered_or_invalid(&self.state)?;
            if cp.size < old.size {
                return Err(ClientError::RolledBack {
                    served: cp.size,
                    remembered: old.size,
                });
            }
            let consistent = if cp.size == old.size {
                cp.root == old.root
            } else {
                let proof = self.consistency(old.size, cp.size).await?;
                proof.verify(&old.root, &cp.root)
            };
            if !consistent {
                return Err(ClientError::Forked {
                    served: cp.size,
                    remembered: old.size,
                });
            }
        }
        self.state.checkpoint = Some(note.clone());
        if let Some(newer) = self.save()? {
            self.prove_older(&cp, newer).await?;
        }
        Ok((cp, note))
    }

    /// Another process verified a larger tree while this one checked `cp`:
    /// `cp` must be a prefix of it, or the server showed the two a fork.
    async fn prove_older(&mut self, cp: &Checkpoint, newer: TrustState) -> Result<(), ClientError> {
        let newer_cp = self.remembered_or_invalid(&newer)?;
        let proof = self.consistency(cp.size, newer_cp.size).await?;
        if !proof.verify(&cp.root, &newer_cp.root) {
            return Err(ClientError::Forked {
                served: cp.size,
                remembered: newer_cp.size,
            });
        }
        self.state = newer;
        Ok(())
    }

    /// Takes the stored state if it is this log's and holds a larger tree.
    fn reload_state(&mut self) {
        let size = |s: &TrustState| self.remembered(s).map(|c| c.size);
        if let Ok(text) = std::fs::read_to_string(&self.state_path)
            && let Ok(stored) = serde_json::from_str::<TrustState>(&text)
            && stored.log_key == self.state.log_key
            && size(&stored) > size(&self.state)
        {
            self.state = stored;
        }
    }

    /// Remembers the checkpoint, unless another client has verified a larger
    /// tree meanwhile (then returns that one).
    fn save(&self) -> Result<Option<TrustState>, ClientError> {
        let size_of = |state: &TrustState| self.remembered(state).map(|c| c.size);
        save_state(&self.state_path, &self.state, size_of)
            .map_err(|e| ClientError::State(self.state_path.clone(), e.to_string()))
    }

    /// The checkpoint a state remembers, if its note opens under the pinned key.
    fn remembered(&self, state: &TrustState) -> Option<Checkpoint> {
        let body = self.verifier.open(state.checkpoint.as_deref()?).ok()?;
        Checkpoint::parse(body).ok()
    }

    /// Like [`Remote::remembered`], for a state that must hold one.
    fn remembered_or_invalid(&self, state: &TrustState) -> Result<Checkpoint, ClientError> {
        self.remembered(state).ok_or_else(|| {
            ClientError::State(
                self.state_path.clone(),
                "sparad kontrollpunkt är ogiltig".into(),
            )
        })
    }

    /// Entry `index`, proved to be in the checkpoint `cp`.
    pub async fn proven_entry(
        &self,
        cp: &Checkpoint,
        index: u64,
    ) -> Result<(Vec<u8>, Entry), ClientError> {
        let served: ServedEntry = self.get(&format!("/api/v1/log/entries/{index}")).await?;
        let data = served.data.into_bytes();
        let proof = self.proven_inclusion(cp, index, cp.size).await?;
        if served.index != index || proof.leaf_hash != tlog::record_hash(&data) {
            return Err(ClientError::EntryMismatch(index));
        }
        let entry = Entry::decode(&data).map_err(|_| ClientError::EntryMismatch(index))?;
        Ok((data, entry))
    }

    /// The server's inclusion proof of entry `index` in the tree of size
    /// `size` ≤ `cp.size`, checked against that tree's root before it is
    /// returned: `cp.root`, or for an older size the root recomputed from the
    /// entries verified against `cp`.
    pub async fn proven_inclusion(
        &self,
        cp: &Checkpoint,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, ClientError> {
        let proof: InclusionProof = self
            .get(&with_query(
                &format!("/api/v1/log/proof/{index}"),
                &ProofQuery {
                    tree_size: Some(size),
                    leaf_hash: None,
                },
            ))
            .await?;
        let root = if size == cp.size {
            cp.root
        } else {
            self.roots_at(cp, &[size]).await?[0]
        };
        // The proof must be of what was asked, not of another entry or tree.
        if proof.leaf_index != index || proof.tree_size != size || !proof.verify(&root) {
            return Err(ClientError::ProofInvalid(index));
        }
        Ok(proof)
    }

    /// The roots of the trees of the given sizes (each ≤ `cp.size`),
    /// recomputed from all entries of `cp`, which are checked against its root.
    pub async fn roots_at(
        &self,
        cp: &Checkpoint,
        sizes: &[u64],
    ) -> Result<Vec<tlog::Hash>, ClientError> {
        let mut tree = tlog::MemoryHashes::new();
        for e in self.all_entries(cp).await? {
            tree.append(&e);
        }
        sizes
            .iter()
            .map(|&n| tlog::tree_hash(n, &tree).map_err(|_| ClientError::ProofInvalid(n)))
            .collect()
    }

    /// The server's consistency proof between two sizes (unchecked; see `log consistency`).
    pub async fn consistency(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, ClientError> {
        let proof: ConsistencyProof = self
            .get(&with_query(
                "/api/v1/log/consistency",
                &ConsistencyQuery {
                    old: old_size,
                    new: new_size,
                },
            ))
            .await?;
        if (proof.old_size, proof.new_size) != (old_size, new_size) {
            return Err(ClientError::Protocol(format!(
                "konsistensbeviset gäller {}–{}, inte {old_size}–{new_size}",
                proof.old_size, proof.new_size
            )));
        }
        Ok(proof)
    }

    /// The whole log of checkpoint `cp`, downloaded, checked against its
    /// root, and replayed through the same rules as the local audit. What
    /// the client then knows of documents, approvals and revocations comes
    /// from entries it verified, so a server cannot hide an approval or a
    /// revocation by leaving it out of an answer. Downloads only entries not
    /// verified before; the replay itself is O(n).
    pub async fn replay(&self, cp: &Checkpoint) -> Result<Replay, ClientError> {
        let data = self.all_entries(cp).await?;
        let mut entries = Vec::with_capacity(data.len());
        for (index, bytes) in (0u64..).zip(&data) {
            entries.push(Entry::decode(bytes).map_err(|_| ClientError::EntryMismatch(index))?);
        }
        // Times first: the rules below do arithmetic on them.
        attestera_core::logtime::check(entries.iter().map(|e| e.logged_at), crate::service::now())?;
        let ca = match entries.first().map(|e| &e.body) {
            Some(EntryBody::CertificateIssued { certificate, .. }) => {
                pki::parse_certificate_pem(certificate)
                    .map_err(|_| ClientError::EntryMismatch(0))?
            }
            _ => return Err(ClientError::EntryMismatch(0)),
        };
        let mut state = Projection::default();
        let mut problems = Vec::new();
        for (index, entry) in (0u64..).zip(&entries) {
            let facts = state.facts(&rules::fact_keys(&entry.body));
            match rules::check(index, entry, &ca, &facts) {
                Ok(change) => state.apply(change),
                Err(r) => problems.push((index, r.code(), crate::messages::say(&r))),
            }
        }
        Ok(Replay {
            ca,
            entries,
            state,
            problems,
            checkpoint_size: cp.size,
        })
    }

    /// All entries of the checkpoint's tree, checked against its root. The
    /// entries verified last time are kept in the state directory, so only
    /// the new ones are downloaded; a kept prefix that no longer leads to the
    /// served root is dropped and the whole log fetched again before the
    /// server is blamed.
    pub async fn all_entries(&self, cp: &Checkpoint) -> Result<Vec<Vec<u8>>, ClientError> {
        let mut kept = self.kept_entries();
        kept.truncate(usize::try_from(cp.size).unwrap_or(usize::MAX));
        let from_cache = kept.len();
        let forked = ClientError::Forked {
            served: cp.size,
            remembered: cp.size,
        };
        let (entries, fetched_again) = match self.entries_after(kept, cp).await? {
            Some(all) => (all, false),
            None if from_cache > 0 => (
                self.entries_after(Vec::new(), cp).await?.ok_or(forked)?,
                true,
            ),
            None => return Err(forked),
        };
        if fetched_again || entries.len() > from_cache {
            self.keep_entries(&entries)?;
        }
        Ok(entries)
    }

    /// Downloads the entries after `known` up to the checkpoint's size, and
    /// returns all of them if they hash to its root (None if they do not).
    async fn entries_after(
        &self,
        known: Vec<Vec<u8>>,
        cp: &Checkpoint,
    ) -> Result<Option<Vec<Vec<u8>>>, ClientError> {
        // No capacity from the server's numbers: a lying size must not allocate.
        let mut out = known;
        let mut tree = tlog::MemoryHashes::new();
        for e in &out {
            tree.append(e);
        }
        while (out.len() as u64) < cp.size {
            let page: Vec<ServedEntry> = self
                .get(&with_query(
                    "/api/v1/log/entries",
                    &Page {
                        start: out.len() as u64,
                        limit: Some(crate::service::reading::MAX_PAGE),
                    },
                ))
                .await?;
            if page.is_empty() {
                return Err(ClientError::ProofInvalid(out.len() as u64));
            }
            for e in page {
                if out.len() as u64 == cp.size {
                    break;
                }
                if e.index != out.len() as u64 {
                    return Err(ClientError::EntryMismatch(out.len() as u64));
                }
                let data = e.data.into_bytes();
                tree.append(&data);
                out.push(data);
            }
        }
        Ok(match tlog::tree_hash(cp.size, &tree) {
            Ok(root) if root == cp.root => Some(out),
            _ => None,
        })
    }

    fn entries_path(&self) -> PathBuf {
        self.state_path.with_extension("entries")
    }

    /// The entries kept from the last verified replay, one per line (entries
    /// are compact JSON, so they hold no line breaks); nothing if unreadable.
    fn kept_entries(&self) -> Vec<Vec<u8>> {
        std::fs::read(self.entries_path())
            .map(|all| {
                all.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(<[u8]>::to_vec)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Keeps the entries, readable by the user only (a closed log's entries
    /// are not for others), written atomically, so that concurrent clients
    /// never see half a file.
    fn keep_entries(&self, entries: &[Vec<u8>]) -> Result<(), ClientError> {
        let path = self.entries_path();
        if entries.iter().any(|e| e.contains(&b'\n')) {
            // Not an entry attestera writes: keep nothing rather than a wrong split.
            let _ = std::fs::remove_file(&path);
            return Ok(());
        }
        write_atomic(&path, &entries.join(&b'\n'))
            .map_err(|e| ClientError::State(path.clone(), e.to_string()))
    }
}

/// A path with its query, from the query's wire type.
fn with_query<Q: Serialize>(path: &str, query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

/// Decodes a successful answer into its wire type: strictly, so that a
/// field missing, unknown or of the wrong form is a protocol error, not a
/// guess.
async fn decoded<T: DeserializeOwned>(
    path: &str,
    resp: reqwest::Response,
) -> Result<T, ClientError> {
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Protocol(format!("svaret på {path} kunde inte läsas: {e}")))?;
    decode(path, &bytes)
}

/// Decodes the JSON answer to `path` into its wire type (see [`decoded`]).
pub fn decode<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ClientError::Protocol(format!(
            "svaret på {} har inte den väntade formen ({e})",
            printable(path)
        ))
    })
}

/// A problem document as far as the client shows it (RFC 9457): read
/// leniently, since it only explains a refusal.
#[derive(Debug, Default, Deserialize)]
struct ProblemBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// Sends a request (with the token, if any) and turns error answers into problems.
async fn send(
    base: &str,
    token: Option<&str>,
    req: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ClientError> {
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    let resp = req
        .send()
        .await
        .map_err(|e| ClientError::Unreachable(base.to_string(), why_unreachable(&e)))?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let body: ProblemBody = resp.json().await.unwrap_or_default();
    let mut detail = printable(
        body.detail
            .as_deref()
            .unwrap_or("servern svarade med ett fel"),
    );
    if status == 401 && token.is_none() {
        detail.push_str(" Ange en token med --token eller ATTESTERA_TOKEN.");
    }
    let code = body
        .code
        .as_deref()
        .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .unwrap_or("server_error");
    Err(ClientError::Problem {
        status,
        code: code.to_string(),
        detail,
    })
}

/// Text from the server as it may be shown: no control characters (no
/// terminal escapes), at most 500 characters.
fn printable(text: &str) -> String {
    attestera_core::printable::line(text)
        .chars()
        .take(500)
        .collect()
}

/// Why a request did not reach the server, in Swedish for the common cases.
fn why_unreachable(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "tidsgränsen gick ut".into()
    } else if e.is_connect() {
        "det gick inte att ansluta (är tjänsten igång, och är adressen rätt?)".into()
    } else if e.is_builder() {
        format!("adressen kan inte användas: {e}")
    } else {
        format!("förbindelsen bröts: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attestera_core::Hash;

    #[test]
    fn a_hostile_answer_is_a_protocol_error_not_a_panic() {
        let good = r#"{"old_size":1,"new_size":2,"hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}"#;
        let proof: ConsistencyProof = decode("/log/consistency", good.as_bytes()).unwrap();
        assert_eq!(proof.hashes, [Hash::default()]);
        for bad in [
            r#"{"old_size":1,"new_size":2,"hashes":[],"extra":true}"#,
            r#"{"old_size":1,"hashes":[]}"#,
            r#"{"old_size":1,"new_size":2,"hashes":["not base64"]}"#,
            r#"{"old_size":-1,"new_size":2,"hashes":[]}"#,
            r#"[1,2,3]"#,
            "",
        ] {
            match decode::<ConsistencyProof>("/log/consistency", bad.as_bytes()) {
                Err(ClientError::Protocol(m)) => {
                    assert!(m.contains("har inte den väntade formen"), "{m}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let entry = r#"{"index":0,"leaf_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","data":"{}","more":1}"#;
        assert!(matches!(
            decode::<ServedEntry>("/log/entries/0", entry.as_bytes()),
            Err(ClientError::Protocol(_))
        ));
    }
}
