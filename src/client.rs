//! The CLI as a client of a remote attestera service that trusts nothing it
//! is told: it pins the log's public key (given, or kept from first use),
//! remembers the last checkpoint it verified, and checks every checkpoint
//! signature, consistency proof, inclusion proof, entry, signature and
//! certificate itself. A rewritten, forked or rolled-back log is reported.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::service::ServiceError;
use crate::service::verify::{CertificateFacts, LogView, LoggedApproval};
use crate::wire::log::{ConsistencyQuery, Page, ProofQuery};
use crate::wire::{ConsistencyProof, InclusionProof, ServedEntry};
use attestera_core::document::Version;
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::pki;
use attestera_core::rules::{self, ApprovalRow, DocumentRow, Projection};
use attestera_core::tlog::{self, Checkpoint, Hash, NoteVerifier};
use attestera_core::verdict::Problem;

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

/// What the client remembers about one log, keyed by its verifier key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TrustState {
    log_key: String,
    /// The last checkpoint note this client verified, verbatim.
    checkpoint: Option<String>,
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

fn state_file(state_dir: &Path, log_key: &str) -> PathBuf {
    let id = hex::encode(&Sha256::digest(log_key.as_bytes())[..8]);
    state_dir.join(format!("log-{id}.json"))
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
        if let Some(old_note) = self.state.checkpoint.clone() {
            let old = self
                .verifier
                .open(&old_note)
                .ok()
                .and_then(|b| Checkpoint::parse(b).ok())
                .ok_or_else(|| {
                    ClientError::State(
                        self.state_path.clone(),
                        "sparad kontrollpunkt är ogiltig".into(),
                    )
                })?;
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
        let newer_cp = newer
            .checkpoint
            .as_deref()
            .and_then(|n| self.verifier.open(n).ok())
            .and_then(|b| Checkpoint::parse(b).ok())
            .ok_or_else(|| {
                ClientError::State(
                    self.state_path.clone(),
                    "sparad kontrollpunkt är ogiltig".into(),
                )
            })?;
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
        let size = |s: &TrustState| {
            s.checkpoint
                .as_deref()
                .and_then(|n| self.verifier.open(n).ok())
                .and_then(|b| Checkpoint::parse(b).ok())
                .map(|c| c.size)
        };
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
        let size_of = |state: &TrustState| {
            state
                .checkpoint
                .as_deref()
                .and_then(|n| self.verifier.open(n).ok())
                .and_then(|b| Checkpoint::parse(b).ok())
                .map(|c| c.size)
        };
        save_state(&self.state_path, &self.state, size_of)
            .map_err(|e| ClientError::State(self.state_path.clone(), e.to_string()))
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

/// A state file's text.
fn state_json(state: &TrustState) -> Vec<u8> {
    serde_json::to_vec_pretty(state).unwrap_or_default()
}

/// Saves `state` at `path` unless the stored state has verified a larger
/// tree (by `size_of`): read, compare and write happen under an exclusive
/// lock, so that of two clients the one with the smaller tree cannot write last.
/// Writes `state` unless the stored one has a larger tree (another process
/// verified more meanwhile); then returns the stored one, for the caller to
/// prove its own checkpoint consistent with.
fn save_state(
    path: &Path,
    state: &TrustState,
    size_of: impl Fn(&TrustState) -> Option<u64>,
) -> std::io::Result<Option<TrustState>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))?;
    lock.lock()?;
    if let Ok(text) = std::fs::read_to_string(path)
        && let Ok(stored) = serde_json::from_str::<TrustState>(&text)
        && size_of(&stored) > size_of(state)
    {
        return Ok(Some(stored));
    }
    write_atomic(path, &state_json(state)).map(|()| None)
    // The lock is released when `lock` is dropped.
}

/// Writes a file all at once: into a temporary file of a unique name in the
/// same directory (readable by the user only), synced, renamed over `path`,
/// and the directory synced. A reader sees the old file or the new one,
/// never half of one, and two writers never share a temporary file.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".attestera-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
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

/// The log as the client replayed it.
pub struct Replay {
    /// The organisation CA certificate (entry 0), DER.
    pub ca: Vec<u8>,
    pub entries: Vec<Entry>,
    pub state: Projection,
    /// Entries the rules refuse: (index, code, message).
    pub problems: Vec<(u64, &'static str, String)>,
    /// The size of the checkpoint replayed.
    pub checkpoint_size: u64,
}

impl Replay {
    /// A document and its approvals (oldest first) with their entries.
    pub fn document(
        &self,
        text_sha256: &Hash,
    ) -> Option<(DocumentRow, Vec<(ApprovalRow, &Entry)>)> {
        let d = self.state.documents.get(text_sha256)?.clone();
        let approvals = self
            .state
            .approvals
            .values()
            .filter(|a| a.document == *text_sha256)
            .filter_map(|a| {
                Some((
                    a.clone(),
                    self.entries.get(usize::try_from(a.log_index).ok()?)?,
                ))
            })
            .collect();
        Some((d, approvals))
    }

    /// The revocation (index, time) of a certificate, if any.
    pub fn revocation(&self, fingerprint: &Hash) -> Option<(u64, jiff::Timestamp)> {
        let c = self.state.certificates.get(fingerprint)?;
        Some((c.revoked_index?, c.revoked_at?))
    }

    /// The look-alike names confirmed when a certificate was issued (its entry says).
    /// Certificate holders whose other name reads as `name` (for an imported approval).
    pub fn holder_lookalikes(&self, name: &str) -> Vec<String> {
        attestera_core::pki::name::lookalikes(
            name,
            self.state
                .certificates
                .values()
                .filter_map(|c| c.name.as_deref()),
        )
    }

    pub fn lookalike_of(&self, fingerprint: &Hash) -> Vec<String> {
        self.state
            .certificates
            .get(fingerprint)
            .and_then(|c| self.entries.get(usize::try_from(c.issued_index).ok()?))
            .map(|e| match &e.body {
                EntryBody::CertificateIssued { lookalike_of, .. } => lookalike_of.clone(),
                _ => Vec::new(),
            })
            .unwrap_or_default()
    }
}

/// The replay as a view for verification: what it knows comes from entries
/// verified against the checkpoint, so it finds no problems of its own
/// beyond what the rules found replaying them.
impl LogView for Replay {
    fn ca_der(&self) -> &[u8] {
        &self.ca
    }

    fn checkpoint_size(&self) -> Option<u64> {
        Some(self.checkpoint_size)
    }

    async fn registration(
        &self,
        text_sha256: &Hash,
    ) -> Result<Option<(DocumentRow, Version)>, ServiceError> {
        let Some(row) = self.state.documents.get(text_sha256) else {
            return Ok(None);
        };
        let version = usize::try_from(row.log_index)
            .ok()
            .and_then(|i| self.entries.get(i))
            .and_then(|e| match &e.body {
                EntryBody::Registration { document, .. } => {
                    Version::of_record(document.canonical.as_deref())
                }
                _ => None,
            })
            .unwrap_or(Version::V2);
        Ok(Some((row.clone(), version)))
    }

    async fn proven_document(
        &self,
        row: DocumentRow,
    ) -> Result<(DocumentRow, Vec<Problem>), ServiceError> {
        Ok((row, Vec::new()))
    }

    async fn checked_document(&self, row: DocumentRow) -> Result<DocumentRow, ServiceError> {
        Ok(row)
    }

    async fn approvals(&self, document: &Hash) -> Result<Vec<LoggedApproval>, ServiceError> {
        let approvals = self.document(document).map(|(_, a)| a).unwrap_or_default();
        Ok(approvals
            .into_iter()
            .map(|(row, entry)| LoggedApproval {
                row,
                entry: Some(entry.clone()),
                problems: Vec::new(),
            })
            .collect())
    }

    async fn certificate(&self, fingerprint: &Hash) -> Result<CertificateFacts, ServiceError> {
        Ok(CertificateFacts {
            revocation: self.revocation(fingerprint),
            lookalike_of: self.lookalike_of(fingerprint),
            problems: Vec::new(),
        })
    }

    async fn holder_lookalikes(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        Ok(Replay::holder_lookalikes(self, name))
    }

    async fn similar(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        Ok(self
            .state
            .documents
            .values()
            .filter(|d| attestera_core::verdict::is_similar(d, dnr, title))
            .cloned()
            .collect())
    }
}

/// The client's state directory: `$ATTESTERA_STATE_DIR`, else `$XDG_STATE_HOME/attestera`,
/// else `~/.local/state/attestera`.
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ATTESTERA_STATE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(d).join("attestera");
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".local/state/attestera"))
        .unwrap_or_else(|| PathBuf::from(".attestera-state"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state whose "checkpoint" is just its tree size, for the tests.
    fn state(size: u64) -> TrustState {
        TrustState {
            log_key: "k".into(),
            checkpoint: Some(size.to_string()),
        }
    }

    fn size_of(s: &TrustState) -> Option<u64> {
        s.checkpoint.as_deref()?.parse().ok()
    }

    #[test]
    fn concurrent_writers_never_leave_a_torn_or_older_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log-x.json");
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Two clients verifying growing trees, one the even sizes, one the odd.
            let writers: Vec<_> = [0u64, 1]
                .into_iter()
                .map(|parity| {
                    let path = &path;
                    scope.spawn(move || {
                        for n in (1..=300u64).filter(|n| n % 2 == parity) {
                            save_state(path, &state(n), size_of).unwrap();
                        }
                    })
                })
                .collect();
            // A reader sees whole files only, and sizes that never go down.
            let reader = scope.spawn(|| {
                let mut seen = 0;
                let mut reads = 0u64;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        let stored: TrustState = serde_json::from_str(&text).expect("a whole file");
                        let size = size_of(&stored).unwrap();
                        assert!(size >= seen, "went back from {seen} to {size}");
                        seen = size;
                        reads += 1;
                    }
                }
            });
            for w in writers {
                w.join().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            reader.join().unwrap();
        });
        let stored: TrustState =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(size_of(&stored), Some(300));
        // A smaller tree written later does not replace it, and its writer
        // is handed the larger one to prove its own checkpoint against.
        let newer = save_state(&path, &state(7), size_of).unwrap();
        assert_eq!(newer.as_ref().and_then(size_of), Some(300));
        let stored: TrustState =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(size_of(&stored), Some(300));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

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
