//! Nightly ETF classification (ARCHITECTURE.md, flows 3 and 4) as services over ports.
//!
//! Each night [`Nightly::classify`] takes the ETF reference feed, picks the ETFs that are
//! new or whose text changed since their last decision, asks the classifier for a
//! category and complex-product flags, and either approves the result (high confidence,
//! no flag, clean input) or puts it in front of a reviewer with a short rationale. The
//! workflow then waits on a task token ([`await_review`]) until the last review is
//! decided ([`decide`]) or the wait times out ([`review_overdue`]), and [`publish`] ends
//! the run. Approved classifications overlay the security master
//! ([`apply_approvals`], [`WithEtfApprovals`]), so the next check run sees the flags.
//!
//! Flags never depend on the model alone: the text rules of [`ballast_ml::etf::detect`]
//! run here again on every ETF and can only add flags, whatever the endpoint answered. A
//! bad row (no summary, a duplicate symbol, a row the endpoint refuses) goes to review
//! with its reason; it never stops the run. Every classification and every reviewer
//! decision is written to the training log (Aurora) for the next training run.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::str::FromStr;

use ballast_core::{ProductFlags, Security};
use ballast_ml::etf::{detect, EtfClassification, EtfRecord, Flags, ReviewReason};
use ballast_refcache::{Part, PartData, ReferenceSource, SourceError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::ports::{PortError, PortResult};

/// Who approved a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalSource {
    /// Confident, unflagged, clean input: approved without a person.
    Auto,
    /// Approved or overridden by a reviewer.
    Reviewer,
    /// Still waiting for a reviewer when the run was published: the flags the text raised
    /// apply until someone decides, the category does not.
    Provisional,
}

/// The classification of one ETF that the security master uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approved {
    pub symbol: String,
    pub category_group: Option<String>,
    pub category: Option<String>,
    pub flags: Flags,
    pub source: ApprovalSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer_id: Option<String>,
    /// [`input_hash`] of the text it was decided on.
    pub input_hash: String,
    pub run_id: String,
    pub model_version: String,
    pub decided_at: DateTime<Utc>,
}

/// The short explanation a reviewer reads beside the proposal. Advisory only: it never
/// changes a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rationale {
    pub text: String,
    /// `deterministic`, or `bedrock:<model id>`.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Overridden,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Overridden => "overridden",
        }
    }
}

/// One ETF waiting for (or decided by) a reviewer. A symbol has at most one current
/// review; a later run replaces it only when the ETF's text changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub run_id: String,
    pub symbol: String,
    /// What the classifier read (what the reviewer should read too).
    pub etf: EtfRecord,
    pub input_hash: String,
    pub proposal: EtfClassification,
    pub reason: ReviewReason,
    pub rationale: Rationale,
    pub status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ReviewDecision>,
    pub created_at: DateTime<Utc>,
}

/// A reviewer's decision on one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewDecision {
    pub reviewer_id: String,
    /// Why, in the reviewer's words (kept for the audit trail and the next training run).
    pub reason: String,
    pub verdict: Verdict,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Verdict {
    /// The proposal as it stands.
    Approve,
    /// The reviewer's own category and flags.
    Override { category_group: Option<String>, category: Option<String>, flags: Flags },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    AwaitingReview,
    Overdue,
    Published,
}

/// One nightly run: what the workflow's later steps need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtfRun {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub status: RunStatus,
    /// The workflow's task token while it waits for the reviews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_token: Option<String>,
    pub report: NightlyReport,
}

/// What the classification step did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NightlyReport {
    pub run_id: String,
    /// ETFs in the feed (after duplicates).
    pub etfs: usize,
    /// Already decided on the same text.
    pub unchanged: usize,
    pub classified: usize,
    pub auto_approved: usize,
    pub pending_reviews: usize,
    /// Rows the feed could not use, duplicates, refusals: each with its reason.
    pub issues: Vec<String>,
}

/// A classification as the training log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classified {
    pub run_id: String,
    pub etf: EtfRecord,
    pub input_hash: String,
    pub proposal: EtfClassification,
    /// `auto_approved` or `pending_review`.
    pub status: String,
    pub classified_at: DateTime<Utc>,
}

/// The ETF reference feed: every listed ETF's descriptive data.
pub trait EtfFeed: Send + Sync {
    fn etfs(&self) -> impl Future<Output = PortResult<FeedRead>> + Send;
}

/// A read of the feed: the usable rows and why the others were not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedRead {
    pub etfs: Vec<EtfRecord>,
    pub issues: Vec<String>,
}

/// Why the classifier gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// The endpoint refused the input (a 4xx): retrying the same rows will not help.
    #[error("the classifier refused the input: {0}")]
    Rejected(String),
    /// The endpoint could not be reached or failed: the step may be retried.
    #[error(transparent)]
    Unavailable(#[from] PortError),
}

/// The classifier endpoint (SageMaker in AWS, the model in process locally).
pub trait EtfClassifier: Send + Sync {
    fn classify(
        &self,
        etfs: &[EtfRecord],
    ) -> impl Future<Output = Result<Vec<EtfClassification>, ClassifyError>> + Send;
}

/// Writes the reviewer's rationale (Bedrock in AWS, [`TemplateRationale`] locally).
pub trait RationaleWriter: Send + Sync {
    fn rationale(
        &self,
        etf: &EtfRecord,
        proposal: &EtfClassification,
        reason: &ReviewReason,
    ) -> impl Future<Output = PortResult<Rationale>> + Send;
}

/// Approvals, reviews and runs.
pub trait EtfStore: Send + Sync {
    /// Every symbol's current approval.
    fn approvals(&self) -> impl Future<Output = PortResult<Vec<Approved>>> + Send;
    /// Writes approvals, replacing a symbol's previous one.
    fn put_approvals(&self, approvals: &[Approved]) -> impl Future<Output = PortResult<()>> + Send;
    /// Writes review items, replacing a symbol's review only when it is not pending in
    /// the same run (a retried step writes nothing new).
    fn put_reviews(&self, items: &[ReviewItem]) -> impl Future<Output = PortResult<()>> + Send;
    /// Current reviews, optionally of one status.
    fn reviews(&self, status: Option<ReviewStatus>) -> impl Future<Output = PortResult<Vec<ReviewItem>>> + Send;
    /// The symbol's current review, if it has one.
    fn review(&self, symbol: &str) -> impl Future<Output = PortResult<Option<ReviewItem>>> + Send;
    /// Records a decision if the symbol's review is pending (and of `run_id` when given):
    /// the decided item, or `None` when there was nothing pending to decide.
    fn decide(
        &self,
        symbol: &str,
        run_id: Option<&str>,
        decision: &ReviewDecision,
    ) -> impl Future<Output = PortResult<Option<ReviewItem>>> + Send;
    fn put_run(&self, run: &EtfRun) -> impl Future<Output = PortResult<()>> + Send;
    fn run(&self, run_id: &str) -> impl Future<Output = PortResult<Option<EtfRun>>> + Send;
}

/// Resumes the nightly workflow waiting on a task token (Step Functions SendTaskSuccess).
pub trait ReviewWorkflow: Send + Sync {
    fn resume(&self, task_token: &str, output: &Value) -> impl Future<Output = PortResult<()>> + Send;
}

/// The training store (Aurora): every classification and every reviewer decision.
pub trait TrainingLog: Send + Sync {
    fn record_classifications(&self, rows: &[Classified]) -> impl Future<Output = PortResult<()>> + Send;
    /// A decided review item (its `decision` is set).
    fn record_review(&self, item: &ReviewItem) -> impl Future<Output = PortResult<()>> + Send;
}

/// The fingerprint of what the classifier reads: name, summary and family. An ETF whose
/// fingerprint differs from its last decision's is classified again.
pub fn input_hash(etf: &EtfRecord) -> String {
    let mut h = Sha256::new();
    for part in [Some(etf.name.as_str()), etf.summary.as_deref(), etf.family.as_deref()] {
        h.update(part.unwrap_or("").trim().as_bytes());
        h.update([0x1f]);
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Settings of the nightly run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NightlyConfig {
    /// Confidence of the category group from which an unflagged ETF with clean input is
    /// approved without a person.
    pub auto_approve_confidence: f64,
    /// ETFs per classifier request.
    pub batch_size: usize,
}

impl Default for NightlyConfig {
    fn default() -> Self {
        NightlyConfig { auto_approve_confidence: 0.7, batch_size: 100 }
    }
}

/// Everything the classification step needs.
pub struct Nightly<'a, F, C, R, S, L> {
    pub feed: &'a F,
    pub classifier: &'a C,
    pub rationale: &'a R,
    pub store: &'a S,
    pub log: &'a L,
    pub config: NightlyConfig,
}

impl<F: EtfFeed, C: EtfClassifier, R: RationaleWriter, S: EtfStore, L: TrainingLog> Nightly<'_, F, C, R, S, L> {
    /// The classification step of run `run_id`. Running it again for the same run (a
    /// retry) decides nothing twice.
    pub async fn classify(&self, run_id: &str, now: DateTime<Utc>) -> PortResult<NightlyReport> {
        // The run's record is written last: when it exists, an earlier attempt of this
        // step wrote everything, and a retry only gives back what it reported.
        if let Some(done) = self.store.run(run_id).await? {
            return Ok(done.report);
        }
        let feed = self.feed.etfs().await?;
        let mut report = NightlyReport { run_id: run_id.to_string(), issues: feed.issues, ..Default::default() };
        let etfs = dedupe(feed.etfs, &mut report.issues);
        report.etfs = etfs.len();

        // An automatic approval written by an interrupted attempt of this same run is not
        // an earlier decision: the retry classifies that ETF again and reports it the same.
        let decided: BTreeMap<String, String> = self
            .store
            .approvals()
            .await?
            .into_iter()
            .filter(|a| !(a.run_id == run_id && a.source == ApprovalSource::Auto))
            .map(|a| (a.symbol, a.input_hash))
            .collect();
        let pending: BTreeMap<String, (String, String)> = self
            .store
            .reviews(Some(ReviewStatus::Pending))
            .await?
            .into_iter()
            .map(|r| (r.symbol, (r.input_hash, r.run_id)))
            .collect();
        let mut todo = Vec::new();
        for (etf, notes) in etfs {
            let hash = input_hash(&etf);
            let same_as_decided = decided.get(&etf.symbol) == Some(&hash);
            // A review still pending on the same text belongs to an earlier run, unless
            // this is a retry of the run that created it.
            let pending_elsewhere = pending.get(&etf.symbol).is_some_and(|(h, r)| *h == hash && r != run_id);
            if (same_as_decided || pending_elsewhere) && notes.is_empty() {
                report.unchanged += 1;
            } else {
                todo.push((etf, hash, notes));
            }
        }

        let mut approvals = Vec::new();
        let mut reviews = Vec::new();
        let mut log = Vec::new();
        for chunk in todo.chunks(self.config.batch_size.max(1)) {
            let records: Vec<EtfRecord> = chunk.iter().map(|(e, _, _)| e.clone()).collect();
            let answers = self.classify_isolating_refusals(&records).await?;
            for ((etf, hash, notes), answer) in chunk.iter().zip(answers) {
                let refused = answer.is_err();
                let mut proposal = match answer {
                    Ok(c) => c,
                    Err(why) => unclassified(etf, why),
                };
                proposal.issues.extend(notes.iter().cloned());
                with_text_evidence(etf, &mut proposal);
                report.classified += 1;
                let mut reason = proposal.needs_review(self.config.auto_approve_confidence);
                if refused && !proposal.flags.any() {
                    // Without an answer there is no label either; the reviewer should read
                    // why the classifier gave none, not that no reviewed ETF names a cluster.
                    reason = Some(ReviewReason::InputIssues { issues: proposal.issues.clone() });
                }
                let status = match reason {
                    None => {
                        approvals.push(Approved {
                            symbol: etf.symbol.clone(),
                            category_group: proposal.category_group.clone(),
                            category: proposal.category.clone(),
                            flags: proposal.flags.clone(),
                            source: ApprovalSource::Auto,
                            reviewer_id: None,
                            input_hash: hash.clone(),
                            run_id: run_id.to_string(),
                            model_version: proposal.model_version.clone(),
                            decided_at: now,
                        });
                        "auto_approved"
                    }
                    Some(reason) => {
                        let rationale = match self.rationale.rationale(etf, &proposal, &reason).await {
                            Ok(r) => r,
                            Err(e) => {
                                tracing::warn!(symbol = %etf.symbol, error = %e, "rationale service failed; the deterministic rationale is used");
                                template_rationale(etf, &proposal, &reason)
                            }
                        };
                        reviews.push(ReviewItem {
                            run_id: run_id.to_string(),
                            symbol: etf.symbol.clone(),
                            etf: etf.clone(),
                            input_hash: hash.clone(),
                            proposal: proposal.clone(),
                            reason,
                            rationale,
                            status: ReviewStatus::Pending,
                            decision: None,
                            created_at: now,
                        });
                        "pending_review"
                    }
                };
                log.push(Classified {
                    run_id: run_id.to_string(),
                    etf: etf.clone(),
                    input_hash: hash.clone(),
                    proposal,
                    status: status.to_string(),
                    classified_at: now,
                });
            }
        }
        report.auto_approved = approvals.len();
        report.pending_reviews = reviews.len();
        self.store.put_approvals(&approvals).await?;
        self.store.put_reviews(&reviews).await?;
        self.log.record_classifications(&log).await?;
        let status = if reviews.is_empty() { RunStatus::Published } else { RunStatus::AwaitingReview };
        let previous = self.store.run(run_id).await?;
        let run = EtfRun {
            run_id: run_id.to_string(),
            started_at: previous.as_ref().map_or(now, |r| r.started_at),
            status,
            task_token: previous.and_then(|r| r.task_token),
            report: report.clone(),
        };
        self.store.put_run(&run).await?;
        Ok(report)
    }

    /// One answer per record. A refused request is split until the refused rows are
    /// alone; each of those gets its refusal as the reason, the others their answers.
    async fn classify_isolating_refusals(
        &self,
        records: &[EtfRecord],
    ) -> PortResult<Vec<Result<EtfClassification, String>>> {
        let mut out: Vec<Option<Result<EtfClassification, String>>> = vec![None; records.len()];
        let mut stack = vec![(0usize, records.len())];
        while let Some((from, to)) = stack.pop() {
            match self.classifier.classify(&records[from..to]).await {
                Ok(answers) => {
                    let mut by_symbol: BTreeMap<String, EtfClassification> =
                        answers.into_iter().map(|c| (c.symbol.clone(), c)).collect();
                    for i in from..to {
                        out[i] = Some(
                            by_symbol
                                .remove(&records[i].symbol)
                                .ok_or_else(|| "the classifier returned no result for it".to_string()),
                        );
                    }
                }
                Err(ClassifyError::Rejected(why)) if to - from == 1 => {
                    out[from] = Some(Err(format!("the classifier refused it: {why}")));
                }
                Err(ClassifyError::Rejected(_)) => {
                    let mid = from + (to - from) / 2;
                    stack.push((mid, to));
                    stack.push((from, mid));
                }
                Err(ClassifyError::Unavailable(e)) => return Err(e),
            }
        }
        Ok(out.into_iter().map(|o| o.expect("every range answered")).collect())
    }
}

/// Keeps the first row of each symbol. A later row of the same symbol is dropped; when its
/// text differs, the first goes to review with a note saying so.
fn dedupe(etfs: Vec<EtfRecord>, issues: &mut Vec<String>) -> Vec<(EtfRecord, Vec<String>)> {
    let mut out: Vec<(EtfRecord, Vec<String>)> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for etf in etfs {
        let symbol = etf.symbol.trim().to_string();
        if symbol.is_empty() {
            issues.push(format!("a row without a symbol was skipped (name {:?})", etf.name));
            continue;
        }
        match at.get(&symbol) {
            Some(&i) => {
                let differs = input_hash(&out[i].0) != input_hash(&etf);
                issues.push(format!(
                    "duplicate symbol {symbol}: the first row is used{}",
                    if differs { "; the rows differ, so it goes to review" } else { "" }
                ));
                if differs {
                    out[i].1.push(format!("the feed holds another, different row for {symbol}"));
                }
            }
            None => {
                at.insert(symbol.clone(), out.len());
                out.push((EtfRecord { symbol, ..etf }, Vec::new()));
            }
        }
    }
    out
}

/// What a row the classifier could not answer for becomes: no category, the text's flags,
/// and the reason, so it goes to review.
fn unclassified(etf: &EtfRecord, why: String) -> EtfClassification {
    EtfClassification {
        symbol: etf.symbol.clone(),
        category_group: None,
        category: None,
        confidence: 0.0,
        category_confidence: 0.0,
        cluster: 0,
        complex_neighbourhood: 0.0,
        flags: Flags::default(),
        evidence: Vec::new(),
        issues: vec![why],
        model_version: "none".to_string(),
    }
}

/// Runs the text rules on `etf` and adds what they found to `proposal`: flags are only
/// ever raised here, never cleared, whatever the endpoint answered.
pub fn with_text_evidence(etf: &EtfRecord, proposal: &mut EtfClassification) {
    let (flags, evidence) = detect(etf);
    let f = &mut proposal.flags;
    f.leveraged |= flags.leveraged;
    f.inverse |= flags.inverse;
    f.volatility |= flags.volatility;
    f.etn |= flags.etn;
    f.commodity_futures |= flags.commodity_futures;
    if f.leverage_factor.is_none() {
        f.leverage_factor = flags.leverage_factor;
    }
    for e in evidence {
        if !proposal.evidence.contains(&e) {
            proposal.evidence.push(e);
        }
    }
    for issue in etf.input_issues().into_iter().chain(undecodable_text(etf)) {
        if !proposal.issues.contains(&issue) {
            proposal.issues.push(issue);
        }
    }
}

/// The text fields holding U+FFFD: the feed's bytes were not UTF-8 and were decoded
/// lossily, so the classifier and the text rules read damaged words.
fn undecodable_text(etf: &EtfRecord) -> Vec<String> {
    [("name", Some(etf.name.as_str())), ("summary", etf.summary.as_deref()), ("family", etf.family.as_deref())]
        .into_iter()
        .filter(|(_, text)| text.is_some_and(|t| t.contains('\u{fffd}')))
        .map(|(field, _)| format!("the {field} holds undecodable characters (not UTF-8 in the feed)"))
        .collect()
}

/// The rationale written without a language model: the evidence that fired, the proposal
/// and why it needs a person, all from the fund's own data.
pub fn template_rationale(etf: &EtfRecord, proposal: &EtfClassification, reason: &ReviewReason) -> Rationale {
    let mut s = String::new();
    let why = match reason {
        ReviewReason::ComplexProduct { flags } => format!("flagged {}", flags.join(", ")),
        ReviewReason::NoLabel => "no reviewed ETF names its cluster".to_string(),
        ReviewReason::InputIssues { issues } => format!("its data is incomplete ({})", issues.join("; ")),
        ReviewReason::LowConfidence { confidence, threshold } => {
            format!("confidence {confidence:.2} is below the auto-approval level {threshold:.2}")
        }
        ReviewReason::ComplexNeighbourhood { share } => {
            format!("{:.0}% of similar funds are complex products although no flag fired", share * 100.0)
        }
    };
    s.push_str(&format!("{} ({}) needs review: {why}.", etf.symbol, etf.name.trim()));
    for e in proposal.evidence.iter().take(4) {
        s.push_str(&format!(" The {} says \"{}\" ({}).", field_name(e), e.matched_text, e.rule_id));
    }
    match (&proposal.category_group, &proposal.category) {
        (Some(g), Some(c)) => s.push_str(&format!(" Proposed {g} / {c} (confidence {:.2}).", proposal.confidence)),
        (Some(g), None) => s.push_str(&format!(" Proposed {g} (confidence {:.2}).", proposal.confidence)),
        _ => s.push_str(" No category is proposed."),
    }
    Rationale { text: s, source: "deterministic".to_string() }
}

fn field_name(e: &ballast_ml::etf::Evidence) -> &'static str {
    match e.field {
        ballast_ml::etf::Field::Name => "name",
        _ => "summary",
    }
}

/// The request a language model gets for a rationale: a system instruction and the
/// fund's own text with the proposal. The answer is advisory; flags come from the rules.
pub fn rationale_prompt(etf: &EtfRecord, proposal: &EtfClassification, reason: &ReviewReason) -> (String, String) {
    let system = "You help a broker-dealer's compliance reviewer classify a newly listed ETF. \
        Write at most three sentences, grounded only in the fund's own name and summary quoted below. \
        Say whether the text supports each raised flag (leveraged, inverse, volatility-linked, ETN, \
        commodity futures) and the proposed category. Do not invent facts; if the text is silent, say so."
        .to_string();
    let summary: String = etf.summary.as_deref().unwrap_or("(no summary)").chars().take(2_000).collect();
    let user = format!(
        "Symbol: {}\nName: {}\nFamily: {}\nSummary: {}\n\nProposed category group: {}\nProposed category: {}\n\
         Confidence: {:.2}\nRaised flags: {}\nEvidence: {}\nWhy it needs review: {}",
        etf.symbol,
        etf.name,
        etf.family.as_deref().unwrap_or("(unknown)"),
        summary,
        proposal.category_group.as_deref().unwrap_or("(none)"),
        proposal.category.as_deref().unwrap_or("(none)"),
        proposal.confidence,
        if proposal.flags.any() { proposal.flags.raised().join(", ") } else { "none".to_string() },
        proposal
            .evidence
            .iter()
            .map(|e| format!("{} \"{}\"", e.rule_id, e.matched_text))
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::to_string(reason).unwrap_or_default(),
    );
    (system, user)
}

/// [`RationaleWriter`] without a model: [`template_rationale`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateRationale;

impl RationaleWriter for TemplateRationale {
    async fn rationale(&self, etf: &EtfRecord, p: &EtfClassification, reason: &ReviewReason) -> PortResult<Rationale> {
        Ok(template_rationale(etf, p, reason))
    }
}

/// The workflow's wait for reviews: keeps the task token, or resumes at once when
/// nothing of the run is left to review.
pub async fn await_review(
    store: &impl EtfStore,
    workflow: &impl ReviewWorkflow,
    run_id: &str,
    task_token: &str,
    now: DateTime<Utc>,
) -> PortResult<usize> {
    let mut run = store.run(run_id).await?.unwrap_or_else(|| EtfRun {
        run_id: run_id.to_string(),
        started_at: now,
        status: RunStatus::AwaitingReview,
        task_token: None,
        report: NightlyReport { run_id: run_id.to_string(), ..Default::default() },
    });
    run.task_token = Some(task_token.to_string());
    store.put_run(&run).await?;
    let pending = pending_of(store, run_id).await?;
    if pending == 0 {
        workflow.resume(task_token, &json!({ "run_id": run_id, "pending_reviews": 0 })).await?;
    }
    Ok(pending)
}

async fn pending_of(store: &impl EtfStore, run_id: &str) -> PortResult<usize> {
    Ok(store.reviews(Some(ReviewStatus::Pending)).await?.iter().filter(|r| r.run_id == run_id).count())
}

/// A reviewer's request to decide one ETF's review.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub reviewer_id: String,
    pub reason: String,
    /// `approve` or `override`.
    pub decision: String,
    /// Only for a review of this run (else the symbol's pending review).
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub category_group: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// For an override: the flags as the reviewer decides them (all five, absent = false).
    #[serde(default)]
    pub flags: Option<Flags>,
}

/// Why a decision was not recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError {
    /// The request is incomplete or contradicts itself (400).
    #[error("{0}")]
    Invalid(String),
    /// No review of that symbol (404).
    #[error("no review of {0}")]
    NotFound(String),
    /// The review was decided before (409).
    #[error("the review of {symbol} was already decided ({status})")]
    AlreadyDecided { symbol: String, status: &'static str },
    #[error(transparent)]
    Port(#[from] PortError),
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decided {
    pub item: ReviewItem,
    pub approved: Approved,
    /// The run's pending reviews left.
    pub pending_in_run: usize,
    /// The workflow was resumed (the run's last review was decided).
    pub resumed: bool,
}

/// Records a reviewer's decision: the review is closed once, the approval goes to the
/// security master, the decision to the training log, and the workflow resumes when it was
/// the run's last pending review.
pub async fn decide(
    store: &impl EtfStore,
    workflow: &impl ReviewWorkflow,
    log: &impl TrainingLog,
    symbol: &str,
    request: DecisionRequest,
    now: DateTime<Utc>,
) -> Result<Decided, DecideError> {
    let reviewer_id = request.reviewer_id.trim();
    if reviewer_id.is_empty() {
        return Err(DecideError::Invalid("reviewer_id is required".into()));
    }
    if request.reason.trim().is_empty() {
        return Err(DecideError::Invalid("reason is required: say why, for the audit trail".into()));
    }
    let verdict = match request.decision.as_str() {
        "approve" => {
            if request.flags.is_some() || request.category.is_some() || request.category_group.is_some() {
                return Err(DecideError::Invalid(
                    "an approval takes the proposal as it is: send decision \"override\" to change the category or flags"
                        .into(),
                ));
            }
            Verdict::Approve
        }
        "override" => {
            let Some(flags) = request.flags.clone() else {
                return Err(DecideError::Invalid(
                    "an override states the flags (leveraged, inverse, volatility, etn, commodity_futures)".into(),
                ));
            };
            if let Some(f) = &flags.leverage_factor {
                if Decimal::from_str(f).is_err() {
                    return Err(DecideError::Invalid(format!("leverage_factor {f:?} is not a number")));
                }
            }
            Verdict::Override {
                category_group: request.category_group.clone(),
                category: request.category.clone(),
                flags,
            }
        }
        other => {
            return Err(DecideError::Invalid(format!("decision {other:?} is neither \"approve\" nor \"override\"")))
        }
    };
    let decision = ReviewDecision {
        reviewer_id: reviewer_id.to_string(),
        reason: request.reason.trim().to_string(),
        verdict,
        decided_at: now,
    };
    let Some(item) = store.decide(symbol, request.run_id.as_deref(), &decision).await? else {
        return Err(match store.review(symbol).await? {
            Some(r) if r.status != ReviewStatus::Pending => {
                DecideError::AlreadyDecided { symbol: symbol.to_string(), status: r.status.as_str() }
            }
            Some(r) => DecideError::NotFound(format!(
                "{symbol} in run {} (its pending review is of run {})",
                request.run_id.unwrap_or_default(),
                r.run_id
            )),
            None => DecideError::NotFound(symbol.to_string()),
        });
    };
    let (category_group, category, flags) = match &decision.verdict {
        Verdict::Approve => {
            (item.proposal.category_group.clone(), item.proposal.category.clone(), item.proposal.flags.clone())
        }
        Verdict::Override { category_group, category, flags } => {
            (category_group.clone(), category.clone(), flags.clone())
        }
    };
    let approved = Approved {
        symbol: item.symbol.clone(),
        category_group,
        category,
        flags,
        source: ApprovalSource::Reviewer,
        reviewer_id: Some(decision.reviewer_id.clone()),
        input_hash: item.input_hash.clone(),
        run_id: item.run_id.clone(),
        model_version: item.proposal.model_version.clone(),
        decided_at: now,
    };
    store.put_approvals(std::slice::from_ref(&approved)).await?;
    log.record_review(&item).await?;
    let pending_in_run = pending_of(store, &item.run_id).await?;
    let mut resumed = false;
    if pending_in_run == 0 {
        if let Some(token) = store.run(&item.run_id).await?.and_then(|r| r.task_token) {
            // The wait may have timed out already (the run is then published as overdue):
            // the decision stands either way.
            match workflow.resume(&token, &json!({ "run_id": item.run_id, "pending_reviews": 0 })).await {
                Ok(()) => resumed = true,
                Err(e) => tracing::warn!(run_id = %item.run_id, error = %e, "could not resume the nightly workflow"),
            }
        }
    }
    Ok(Decided { item, approved, pending_in_run, resumed })
}

/// The wait for reviews timed out: the run is marked overdue and its pending reviews
/// stay open (they can still be decided). Returns how many are left.
pub async fn review_overdue(store: &impl EtfStore, run_id: &str) -> PortResult<usize> {
    let pending = pending_of(store, run_id).await?;
    if let Some(mut run) = store.run(run_id).await? {
        run.status = RunStatus::Overdue;
        store.put_run(&run).await?;
    }
    tracing::warn!(run_id, pending, "ETF reviews overdue");
    Ok(pending)
}

/// What publishing a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub run_id: String,
    pub auto_approved: usize,
    pub approved: usize,
    pub overridden: usize,
    /// Still pending: their text flags apply provisionally.
    pub provisional: usize,
}

/// Ends a run. Reviews still pending get a provisional approval carrying only the flags
/// the text raised (a leveraged fund nobody has reviewed yet is still treated as
/// leveraged by the checks); a reviewer's later decision replaces it.
pub async fn publish(store: &impl EtfStore, run_id: &str, now: DateTime<Utc>) -> PortResult<Published> {
    let approvals = store.approvals().await?;
    let mut out = Published { run_id: run_id.to_string(), ..Default::default() };
    out.auto_approved = approvals.iter().filter(|a| a.run_id == run_id && a.source == ApprovalSource::Auto).count();
    let decided: BTreeSet<&str> =
        approvals.iter().filter(|a| a.source == ApprovalSource::Reviewer).map(|a| a.input_hash.as_str()).collect();
    let previous: BTreeMap<&str, &Flags> = approvals.iter().map(|a| (a.symbol.as_str(), &a.flags)).collect();
    let mut provisional = Vec::new();
    for r in store.reviews(None).await?.into_iter().filter(|r| r.run_id == run_id) {
        match r.status {
            ReviewStatus::Approved => out.approved += 1,
            ReviewStatus::Overridden => out.overridden += 1,
            ReviewStatus::Pending if !decided.contains(r.input_hash.as_str()) => {
                provisional.push(Approved {
                    symbol: r.symbol.clone(),
                    category_group: None,
                    category: None,
                    // A flag an earlier decision raised stays until a reviewer clears it.
                    flags: raised_by_either(&detect(&r.etf).0, previous.get(r.symbol.as_str()).copied()),
                    source: ApprovalSource::Provisional,
                    reviewer_id: None,
                    input_hash: String::new(),
                    run_id: run_id.to_string(),
                    model_version: r.proposal.model_version.clone(),
                    decided_at: now,
                });
            }
            ReviewStatus::Pending => {}
        }
    }
    out.provisional = provisional.len();
    store.put_approvals(&provisional).await?;
    if let Some(mut run) = store.run(run_id).await? {
        run.status = RunStatus::Published;
        run.task_token = None;
        store.put_run(&run).await?;
    }
    Ok(out)
}

fn raised_by_either(text: &Flags, earlier: Option<&Flags>) -> Flags {
    let Some(e) = earlier else { return text.clone() };
    Flags {
        leveraged: text.leveraged || e.leveraged,
        inverse: text.inverse || e.inverse,
        volatility: text.volatility || e.volatility,
        etn: text.etn || e.etn,
        commodity_futures: text.commodity_futures || e.commodity_futures,
        leverage_factor: text.leverage_factor.clone().or_else(|| e.leverage_factor.clone()),
    }
}

/// The core's product flags from a classification's flags.
pub fn product_flags(flags: &Flags) -> ProductFlags {
    ProductFlags {
        leveraged: flags.leveraged,
        inverse: flags.inverse,
        volatility: flags.volatility,
        etn: flags.etn,
        commodity_futures: flags.commodity_futures,
        leverage_factor: flags.leverage_factor.as_deref().and_then(|f| Decimal::from_str(f.trim()).ok()),
    }
}

/// Writes approved flags onto the securities they name; returns how many changed. The
/// classification is the source of truth for an ETF's complex-product flags once one
/// exists: a reviewer's override that clears a flag clears it here too.
pub fn apply_approvals(securities: &mut [Security], approvals: &[Approved]) -> usize {
    let by_symbol: BTreeMap<&str, &Approved> = approvals.iter().map(|a| (a.symbol.as_str(), a)).collect();
    let mut changed = 0;
    for s in securities.iter_mut() {
        let Some(a) = by_symbol.get(s.id.as_str()) else { continue };
        let mut flags = product_flags(&a.flags);
        let mut complex = !flags.is_plain();
        if a.source == ApprovalSource::Provisional {
            // Nobody has decided yet: what the security master already says is kept.
            let had = &s.profile.flags;
            flags = ProductFlags {
                leveraged: flags.leveraged || had.leveraged,
                inverse: flags.inverse || had.inverse,
                volatility: flags.volatility || had.volatility,
                etn: flags.etn || had.etn,
                commodity_futures: flags.commodity_futures || had.commodity_futures,
                leverage_factor: flags.leverage_factor.or(had.leverage_factor),
            };
            complex = complex || s.complex_product;
        }
        if s.profile.flags != flags || s.complex_product != complex {
            s.profile.flags = flags;
            s.complex_product = complex;
            changed += 1;
        }
    }
    changed
}

/// A security-master entry for an ETF that nothing has classified yet: plain, no flags.
pub fn unclassified_etf(symbol: &str, name: &str) -> Security {
    Security {
        id: symbol.to_string(),
        name: name.to_string(),
        kind: ballast_core::SecurityKind::Etf,
        fractional: false,
        fraction_scale: 0,
        restricted: false,
        complex_product: false,
        wash_sale_group: None,
        asset_class: "equity".to_string(),
        profile: Default::default(),
    }
}

/// A reference source whose security master carries the approved ETF classifications.
pub struct WithEtfApprovals<R, S> {
    pub inner: R,
    pub store: S,
}

impl<R: ReferenceSource, S: EtfStore + 'static> ReferenceSource for WithEtfApprovals<R, S> {
    async fn load(&self, part: Part) -> Result<PartData, SourceError> {
        match self.inner.load(part).await? {
            PartData::SecurityMaster(mut securities) => {
                let approvals = self.store.approvals().await.map_err(|e| SourceError::Unavailable {
                    part: part.as_str(),
                    message: format!("ETF classifications: {e}"),
                })?;
                apply_approvals(&mut securities, &approvals);
                Ok(PartData::SecurityMaster(securities))
            }
            other => Ok(other),
        }
    }
}

/// [`EtfClassifier`] with the model in process (the embedded default and tests).
pub struct InProcessClassifier(pub ballast_ml::etf::EtfModel);

impl EtfClassifier for InProcessClassifier {
    async fn classify(&self, etfs: &[EtfRecord]) -> Result<Vec<EtfClassification>, ClassifyError> {
        Ok(etfs.iter().map(|e| self.0.classify(e)).collect())
    }
}
