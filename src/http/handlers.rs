//! Request handlers: check access, call the service, shape the answer.

use crate::wire::schema;
use attestera_core::Hash;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::{AsAdmin, AsApprover, AsAuditor, AsRegistrar, Authorized, Reader};
use super::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson, RawBody};
use super::openapi::Problems;
use super::problem::Problem;
use crate::service::listing::{DocumentFilter, SignatureFilter};
use crate::wire::log::{ConsistencyQuery, IndexQuery, Page, ProofQuery, RegistrationQuery};
use crate::wire::{
    ApprovalReceipt, ApprovalRequest, Certified, CertifyRequest, ConsistencyProof, DocumentIndexes,
    DocumentInfo, Imported, InclusionProof, Registered, RegistrationIndexes, RevokeRequest,
    Revoked, ServedEntry, SignatureRow,
};
use attestera_core::statement::Statement;
use serde::Deserialize;

type ApiResult<T> = Result<T, Problem>;

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn operator(p: &crate::service::access::Principal) -> String {
    p.operator()
}

/// Date filters must be real `YYYY-MM-DD` dates (a typo must not silently match nothing).
fn check_dates(dates: &[&Option<String>]) -> ApiResult<()> {
    for d in dates.iter().filter_map(|d| d.as_deref()) {
        if !crate::service::listing::is_date(d) {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_range",
                format!("Datumet \"{d}\" ska skrivas ÅÅÅÅ-MM-DD."),
            ));
        }
    }
    Ok(())
}

/// A certificate is named by the SHA-256 of its DER, as the log writes it.
fn fingerprint_of(fingerprint: &str) -> ApiResult<Hash> {
    if let Ok(h) = Hash::from_hex(fingerprint) {
        Ok(h)
    } else {
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_fingerprint",
            "Certifikatets fingeravtryck är SHA-256 av dess DER: 64 små hextecken.",
        ))
    }
}

/// A document id from a path: decoded here, once.
fn doc_id(id: &str) -> ApiResult<Hash> {
    if let Ok(h) = Hash::from_hex(id) {
        Ok(h)
    } else {
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_document_id",
            "Dokument-id är SHA-256 av den kanoniska texten: 64 små hextecken.",
        ))
    }
}

#[utoipa::path(get, path = "/healthz", tag = "drift",
    responses((status = 200, description = "Processen lever", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

#[utoipa::path(get, path = "/readyz", tag = "drift",
    responses((status = 200, description = "Databasen svarar, kan skrivas och nycklarna är laddade", body = String, content_type = "text/plain"),
        (status = 503, description = "Inte redo (`not_ready`): databasen svarar inte, eller kan inte skrivas (full disk, skrivskydd)", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(s): State<AppState>) -> ApiResult<&'static str> {
    s.service
        .readiness()
        .await
        .map_err(|detail| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", detail))?;
    Ok("ready\n")
}

#[utoipa::path(get, path = "/metrics", tag = "drift",
    responses((status = 200, description = "Mätvärden i Prometheus/OpenMetrics-format", body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.service.metrics.render(),
    )
        .into_response()
}

#[utoipa::path(post, path = "/documents", tag = "documents",
    description = "Registrerar ett färdigställt dokument. Roll: registrar.",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Dokumentets råa byte (text, UTF-8)"),
    responses((status = 201, description = "Registrerat och loggat", body = Registered), Problems),
    security(("bearer" = [])))]
pub async fn register(
    State(s): State<AppState>,
    Authorized(p, _): Authorized<AsRegistrar>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let r = s.service.register(&body, &operator(&p)).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(post, path = "/imports", tag = "documents",
    description = "Tar över ett historiskt dokument med dess block: registrering och ett överfört godkännande per rad. Roll: registrar.",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Dokumentet med sitt block"),
    responses((status = 201, description = "Registrerat med överförda godkännanden", body = Imported), Problems),
    security(("bearer" = [])))]
pub async fn import(
    State(s): State<AppState>,
    Authorized(p, _): Authorized<AsRegistrar>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let r = s.service.import(&body, &operator(&p)).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/documents", tag = "documents",
    description = "Söker registrerade dokument. Offentlig (om inte läsning är stängd).",
    params(DocumentFilter),
    responses((status = 200, description = "Träffar, äldst först", body = Vec<schema::DocumentRow>), Problems),
    security((), ("bearer" = [])))]
pub async fn search(
    State(s): State<AppState>,
    _: Reader,
    ApiQuery(f): ApiQuery<DocumentFilter>,
) -> ApiResult<Response> {
    check_dates(&[&f.from, &f.to])?;
    Ok(Json(s.service.search(&f).await?).into_response())
}

#[utoipa::path(get, path = "/documents/{id}", tag = "documents",
    description = "Ett dokument med dess godkännanden. Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Dokumentet", body = DocumentInfo), Problems),
    security((), ("bearer" = [])))]
pub async fn document(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    Ok(Json(s.service.document_info(&id).await?).into_response())
}

#[utoipa::path(get, path = "/documents/{id}/block", tag = "documents",
    description = "Attesteringsblocket för dokumentets godkännanden, som text. Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Blocket", body = String, content_type = "text/plain"), Problems),
    security((), ("bearer" = [])))]
pub async fn block(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    Ok(text(s.service.block_of(&id).await?))
}

#[utoipa::path(get, path = "/documents/{id}/attested", tag = "documents",
    description = "Det attesterade dokumentet: den registrerade filen med blocket för dess godkännanden. En text får blocket sist; en PDF behåller sina byte oförändrade och får blocket på en tillagd sida (inkrementell uppdatering). Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Det attesterade dokumentet (text/plain eller application/pdf)", body = Vec<u8>, content_type = "application/octet-stream"), Problems),
    security((), ("bearer" = [])))]
pub async fn attested(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    match s.service.attested_document(&id).await? {
        Some(a) => Ok(attested_file(a)),
        None => Err(crate::service::ServiceError::FileNotKept(id).into()),
    }
}

#[utoipa::path(post, path = "/attest", tag = "documents",
    description = "Attesterar en kopia: en registrerad text eller PDF utan block får blocket för dokumentets godkännanden (en PDF som inkrementell uppdatering, originalets byte oförändrade). Inget skrivs i loggen. Offentlig.",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Kopian (text, UTF-8, eller PDF)"),
    responses((status = 200, description = "Den attesterade kopian (text/plain eller application/pdf)", body = Vec<u8>, content_type = "application/octet-stream"), Problems),
    security((), ("bearer" = [])))]
pub async fn attest(
    State(s): State<AppState>,
    _: Reader,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    Ok(attested_file(s.service.attest_copy(&body).await?))
}

fn attested_file(a: crate::service::Attested) -> Response {
    let media = a.media_type();
    let bytes = match a {
        crate::service::Attested::Text(t) => t.into_bytes(),
        crate::service::Attested::Pdf(b) => b,
    };
    ([(header::CONTENT_TYPE, media)], bytes).into_response()
}

#[utoipa::path(get, path = "/documents/{id}/approvals", tag = "approvals",
    description = "Dokumentets godkännanden, äldst först. Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Godkännandena", body = Vec<schema::ApprovalRow>), Problems),
    security((), ("bearer" = [])))]
pub async fn approvals(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    Ok(Json(s.service.document_info(&id).await?.approvals).into_response())
}

#[utoipa::path(post, path = "/documents/{id}/approvals", tag = "approvals",
    description = "Lämnar ett godkännande: uttalandet signerat med godkännarens egen nyckel, med certifikatet från organisationens CA. Roll: approver. Svaret kommer först när posten är skriven, med inklusionsbevis och kontrollpunkt.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    request_body(content = ApprovalRequest, content_type = "application/json"),
    responses((status = 201, description = "Godkännandet är loggat", body = ApprovalReceipt), Problems),
    security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    _: Authorized<AsApprover>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ApprovalRequest>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    let statement = Statement::parse(&req.statement).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.code(),
            crate::messages::say(&e),
        )
    })?;
    if statement.document != id {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "statement_document_mismatch",
            "Godkännandet gäller ett annat dokument än det i sökvägen.",
        ));
    }
    let (approval, note) = s
        .service
        .submit_approval_noted(
            &req.statement,
            req.algorithm,
            &req.signature,
            &req.certificate,
        )
        .await?;
    // The approval is committed: from here a failure must not answer as if it were not.
    let proof = s
        .service
        .inclusion_proof(approval.log_index, Some(approval.checkpoint_size))
        .await;
    let (inclusion_proof, checkpoint) = match proof {
        Ok(p) => (Some(p), Some(note)),
        Err(e) => {
            tracing::error!(index = approval.log_index, error = %e, "receipt without proof");
            (None, None)
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(ApprovalReceipt {
            approval,
            inclusion_proof,
            checkpoint,
        }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/verify", tag = "verify",
    description = "Verifierar en kopia av ett dokument med block. Offentlig.",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Kopian"),
    responses((status = 200, description = "Utlåtandet (status, dokument, godkännanden, fynd)", body = schema::Verdict), Problems),
    security((), ("bearer" = [])))]
pub async fn verify(
    State(s): State<AppState>,
    _: Reader,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    Ok(Json(s.service.verify(&body).await?).into_response())
}

#[utoipa::path(get, path = "/verify/{id}", tag = "verify",
    description = "Kontrollerar ett registrerat dokuments godkännanden utan kopia (inget block att jämföra med). Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Utlåtandet", body = schema::Verdict), Problems),
    security((), ("bearer" = [])))]
pub async fn verify_digest(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    Ok(Json(s.service.verify_digest(&id).await?).into_response())
}

#[utoipa::path(post, path = "/certificates", tag = "certificates",
    description = "Utfärdar ett godkännarcertifikat från organisationens CA för en publik nyckel. Roll: admin.",
    request_body(content = CertifyRequest, content_type = "application/json"),
    responses((status = 201, description = "Certifikatet, loggat", body = Certified), Problems),
    security(("bearer" = [])))]
pub async fn certify(
    State(s): State<AppState>,
    Authorized(p, _): Authorized<AsAdmin>,
    ApiJson(req): ApiJson<CertifyRequest>,
) -> ApiResult<Response> {
    let days = req.days.unwrap_or(730);
    let r = s
        .service
        .certify_public_key(
            &req.name,
            &req.role,
            &req.public_key,
            days,
            &operator(&p),
            req.confirm_lookalike,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/certificates", tag = "certificates",
    description = "Alla utfärdade certifikat med återkallelser. Offentlig.",
    responses((status = 200, description = "Certifikaten", body = Vec<schema::CertificateRow>), Problems),
    security((), ("bearer" = [])))]
pub async fn certificates(State(s): State<AppState>, _: Reader) -> ApiResult<Response> {
    Ok(Json(s.service.certificates().await?).into_response())
}

#[utoipa::path(post, path = "/certificates/{fingerprint}/revoke", tag = "certificates",
    description = "Återkallar ett certifikat: godkännanden före återkallelsen står sig, senare vägras. Roll: admin.",
    params(("fingerprint" = String, Path, description = "SHA-256 av certifikatets DER, 64 små hextecken", pattern = "^[0-9a-f]{64}$")),
    request_body(content = Option<RevokeRequest>, content_type = "application/json"),
    responses((status = 200, description = "Återkallelsen, loggad", body = Revoked), Problems),
    security(("bearer" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    Authorized(p, _): Authorized<AsAdmin>,
    ApiPath(fingerprint): ApiPath<String>,
    OptionalJson(body): OptionalJson<RevokeRequest>,
) -> ApiResult<Response> {
    let fingerprint = fingerprint_of(&fingerprint)?;
    let reason = body.map(|b| b.reason).unwrap_or_default();
    Ok(Json(
        s.service
            .revoke_fingerprint(&fingerprint, &reason, &operator(&p))
            .await?,
    )
    .into_response())
}

#[utoipa::path(get, path = "/log/checkpoint", tag = "log",
    description = "Senaste kontrollpunkten: en C2SP signed note (tlog-checkpoint), ordagrant. Offentlig.",
    responses((status = 200, description = "Den signerade kontrollpunkten", body = String, content_type = "text/plain"), Problems),
    security((), ("bearer" = [])))]
pub async fn checkpoint(State(s): State<AppState>, _: Reader) -> ApiResult<Response> {
    Ok(text(s.service.checkpoint().await?.1))
}

#[utoipa::path(get, path = "/log/public-key", tag = "log",
    description = "Loggens verifieringsnyckel (C2SP `namn+nyckel-id+base64`). Offentlig.",
    responses((status = 200, description = "Nyckeln", body = String, content_type = "text/plain"), Problems),
    security((), ("bearer" = [])))]
pub async fn public_key(State(s): State<AppState>, _: Reader) -> ApiResult<Response> {
    Ok(text(s.service.public_key() + "\n"))
}

#[utoipa::path(get, path = "/log/entries", tag = "log",
    description = "Loggposter från `start`, högst `limit` (standard 100, högst 1000). Offentlig.",
    params(Page),
    responses((status = 200, description = "Posterna, ordagranna", body = Vec<ServedEntry>), Problems),
    security((), ("bearer" = [])))]
pub async fn entries(
    State(s): State<AppState>,
    _: Reader,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult<Response> {
    Ok(Json(s.service.entries(p.start, p.limit.unwrap_or(100)).await?).into_response())
}

#[utoipa::path(get, path = "/log/entries/{index}", tag = "log",
    description = "En loggpost. Offentlig.",
    params(("index" = u64, Path, description = "Postens index, från 0", minimum = 0)),
    responses((status = 200, description = "Posten, ordagrann", body = ServedEntry), Problems),
    security((), ("bearer" = [])))]
pub async fn entry(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(index): ApiPath<u64>,
) -> ApiResult<Response> {
    let mut page = s.service.entries(index, 1).await?;
    match page.pop() {
        Some(e) if e.index == index => Ok(Json(e).into_response()),
        _ => {
            let size = s.service.checkpoint().await?.0;
            Err(crate::service::ServiceError::NoSuchEntry { index, size }.into())
        }
    }
}

#[utoipa::path(get, path = "/log/proof/{index}", tag = "log",
    description = "Inklusionsbevis (RFC 9162) för post `index` i trädet av storlek `tree_size` (standard: senaste kontrollpunkten). Offentlig.",
    params(("index" = u64, Path, description = "Postens index, från 0", minimum = 0), ProofQuery),
    responses((status = 200, description = "Beviset, hashar i base64", body = InclusionProof), Problems),
    security((), ("bearer" = [])))]
pub async fn proof(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(index): ApiPath<u64>,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.service.inclusion_proof(index, q.tree_size).await?).into_response())
}

#[utoipa::path(get, path = "/log/proof", tag = "log",
    description = "Inklusionsbevis för posten med lövhashen `leaf_hash` (base64). Offentlig.",
    params(ProofQuery),
    responses((status = 200, description = "Beviset", body = InclusionProof), Problems),
    security((), ("bearer" = [])))]
pub async fn proof_by_hash(
    State(s): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> ApiResult<Response> {
    let hash = q.leaf_hash.ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_range",
            "Ange leaf_hash (base64).",
        )
    })?;
    Ok(Json(
        s.service
            .inclusion_proof_by_hash(&hash, q.tree_size)
            .await?,
    )
    .into_response())
}

#[utoipa::path(get, path = "/log/consistency", tag = "log",
    description = "Konsistensbevis (RFC 9162) mellan trädstorlekarna `old` och `new`. Offentlig.",
    params(ConsistencyQuery),
    responses((status = 200, description = "Beviset, hashar i base64", body = ConsistencyProof), Problems),
    security((), ("bearer" = [])))]
pub async fn consistency(
    State(s): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.service.consistency_proof(q.old, q.new).await?).into_response())
}

#[utoipa::path(get, path = "/log/indexes/documents/{id}", tag = "log",
    description = "Vilka loggposter som säger något om ett dokument: registreringen, godkännandena, godkännarnas certifikat och återkallelser, CA:t (post 0) och certifikat vars innehavare har förväxlingsbara namn. Bara index: klienten hämtar posterna med inklusionsbevis och kontrollerar dem själv. Offentlig.",
    params(("id" = String, Path, description = "Dokumentets id: SHA-256 av den kanoniska texten, 64 små hextecken", pattern = "^[0-9a-f]{64}$"), IndexQuery),
    responses((status = 200, description = "Posternas index, i loggordning", body = DocumentIndexes), Problems),
    security((), ("bearer" = [])))]
pub async fn document_indexes(
    State(s): State<AppState>,
    _: Reader,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<IndexQuery>,
) -> ApiResult<Response> {
    let id = doc_id(&id)?;
    Ok(Json(s.service.document_indexes(&id, q.tree_size).await?).into_response())
}

#[utoipa::path(get, path = "/log/indexes/registrations", tag = "log",
    description = "Vilka registreringsposter som svarar på en sökning: efter exakt fil (en PDF-kopias revisioner), efter PDF-skelett, eller efter dnr och/eller titel (liknande dokument). Bara index. Offentlig.",
    params(RegistrationQuery),
    responses((status = 200, description = "Registreringarnas index, i loggordning", body = RegistrationIndexes), Problems),
    security((), ("bearer" = [])))]
pub async fn registration_indexes(
    State(s): State<AppState>,
    _: Reader,
    ApiQuery(q): ApiQuery<RegistrationQuery>,
) -> ApiResult<Response> {
    let lookup = crate::service::indexes::RegistrationLookup::of_query(&q)?;
    Ok(Json(s.service.registration_indexes(&lookup, q.tree_size).await?).into_response())
}

/// The signature log's query: its filters and the answer's format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureQuery {
    pub person: Option<String>,
    pub person_contains: Option<String>,
    pub role: Option<String>,
    pub role_contains: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub dnr: Option<String>,
    pub format: Option<String>,
}

impl SignatureQuery {
    fn filter(&self) -> SignatureFilter {
        SignatureFilter {
            person: self.person.clone(),
            person_contains: self.person_contains.clone(),
            role: self.role.clone(),
            role_contains: self.role_contains.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            dnr: self.dnr.clone(),
        }
    }
}

#[utoipa::path(get, path = "/signatures", tag = "audit",
    description = "Signaturloggen för revisorer: varje godkännande med namn, roll, datum, titel, dnr och loggpost. CSV öppnas i Excel (UTF-8 med BOM, semikolon). Roll: auditor.",
    params(SignatureFilter, ("format" = Option<String>, Query, description = "`json` (standard) eller `csv`", pattern = "^(json|csv)$")),
    responses((status = 200, description = "Raderna", body = Vec<SignatureRow>), Problems),
    security(("bearer" = [])))]
pub async fn signatures(
    State(s): State<AppState>,
    _: Authorized<AsAuditor>,
    ApiQuery(q): ApiQuery<SignatureQuery>,
) -> ApiResult<Response> {
    check_dates(&[&q.from, &q.to])?;
    let rows = s.service.signature_log(&q.filter()).await?;
    match q.format.as_deref() {
        None | Some("json") => return Ok(Json(rows).into_response()),
        Some("csv") => {}
        Some(other) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_format",
                format!("Formatet \"{other}\" finns inte; välj json eller csv."),
            ));
        }
    }
    signatures_csv(&rows).map_err(|e| {
        tracing::error!(error = %e, "signature export failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "export_failed",
            "CSV-filen kunde inte skapas; felet är loggat hos tjänsten.",
        )
    })
}

/// The signature log as a CSV download (`wire::signatures::to_csv`): the
/// API's export, which the auditors' page links to as well.
pub(crate) fn signatures_csv(rows: &[SignatureRow]) -> Result<Response, csv::Error> {
    let body = crate::wire::signatures::to_csv(rows)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"signaturlogg.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
