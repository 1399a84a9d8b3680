//! The flow's steps, each a function over the ports it needs: accept a request, rebalance,
//! check and submit a batch, fail a batch, finalize a job, apply an execution report,
//! answer the read API. Lambda handlers and the embedded orchestrator call these.
//!
//! Every step may be run again after a crash anywhere in it: it finds what the first run
//! wrote and does only what is left, so a retry never writes an order twice.

use std::collections::{BTreeMap, HashMap};

use ballast_core::{rebalance, Account, AccountOutcome, EngineException, Reference, SecurityKind, VenueStatus};
use ballast_refcache::{ReferenceCache, ReferenceSource, Snapshot};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

use crate::health::{route, Route};
use crate::model::{
    trade_key, AccountTrades, BatchManifest, BatchStatus, BatchSummary, CheckedTrade, ExecutionReport, Job, JobStatus,
    JobView, Order, OrderMessage, OrderState, TradeFilter, TradePage, TradeState, TradeView,
};
use crate::ports::{
    AccountStore, JobStore, KeyClaim, OrderGateway, OrderInsert, OrderStore, PortError, ReadModel, ReportEffect,
    VenueHealthStore, Workflow,
};
use crate::report::{validate, ReportError};
use crate::request::{digest, ApiError, RebalanceRequest};

/// Why a step failed. Step Functions retries `Transient` with back-off and sends
/// `Permanent` to the Catch that marks the batch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("transient: {0}")]
    Transient(#[from] PortError),
    #[error("{0}")]
    Permanent(String),
}

impl StepError {
    /// The error name Step Functions matches in Retry and Catch.
    pub fn name(&self) -> &'static str {
        match self {
            StepError::Transient(_) => "Ballast.Transient",
            StepError::Permanent(_) => "Ballast.Permanent",
        }
    }
}

impl From<ballast_refcache::SourceError> for StepError {
    fn from(e: ballast_refcache::SourceError) -> Self {
        StepError::Transient(PortError::new("reference data", e))
    }
}

/// The answer to `POST /rebalances`.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub job: Job,
    /// False when the idempotency key named a job that already existed.
    pub created: bool,
    pub execution: String,
}

/// Longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 128;

/// The order id: the same job, account, security and side always give the same id, so a
/// retried submit finds the order it wrote.
pub fn order_id(job_id: &str, account: &str, security: &str, side: ballast_core::Side) -> String {
    format!("ord-{}", digest(&[job_id, account, security, side.as_str()], 32))
}

fn port(e: PortError) -> ApiError {
    tracing::error!(error = %e, "store or queue failed");
    ApiError::unavailable(format!(
        "the platform could not complete the request ({e}); retry with the same Idempotency-Key"
    ))
}

/// `POST /rebalances`: validates the request, resolves its scope, writes the job and its
/// batch manifests, and starts the workflow. The same key and body give the same job;
/// the same key with another body is refused (422).
#[allow(clippy::too_many_arguments)]
pub async fn accept_rebalance(
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    workflow: &impl Workflow,
    views: &impl ReadModel,
    body: &[u8],
    key: Option<&str>,
    now: DateTime<Utc>,
    trade_date: NaiveDate,
) -> Result<Accepted, ApiError> {
    let request = RebalanceRequest::parse(body)?;
    let hash = request.hash();
    let job_id = match key {
        Some(k) => {
            if k.is_empty() || k.len() > MAX_KEY_LEN || k.chars().any(char::is_control) {
                return Err(ApiError::bad_request(
                    "INVALID_IDEMPOTENCY_KEY",
                    format!("the Idempotency-Key header must be 1 to {MAX_KEY_LEN} printable characters"),
                ));
            }
            // The key and the body make the id: a key reused for another request after
            // its claim expired can never name (and overwrite) the old job.
            let job_id = format!("job-{}", digest(&["idempotency", k, &hash], 24));
            match jobs.claim_key(k, &hash, &job_id, now).await.map_err(port)? {
                KeyClaim::Claimed => {}
                KeyClaim::Existing { request_hash, .. } if request_hash != hash => {
                    return Err(ApiError::unprocessable(
                        "IDEMPOTENCY_KEY_REUSED",
                        "this Idempotency-Key was used with a different request body; use a new key for a new request",
                    ));
                }
                KeyClaim::Existing { job_id, .. } => {
                    if let Some(job) = jobs.job(&job_id).await.map_err(port)? {
                        // The first attempt may have stopped before the read side heard of
                        // the job or before the workflow started: both are repeatable.
                        if views.job_view(&job.id).await.map_err(port)?.is_none() {
                            views.put_job(&job).await.map_err(port)?;
                        }
                        let seqs: Vec<u32> = (0..job.batch_count).collect();
                        let execution = workflow.start(&job, &seqs).await.map_err(port)?;
                        return Ok(Accepted { job, created: false, execution });
                    }
                    // Claimed, but the job was never written: carry on with the same id.
                }
            }
            job_id
        }
        None => format!("job-{}", digest(&[&hash, &now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)], 24)),
    };

    let scope = resolve_scope(accounts, &request).await?;
    let batches: Vec<BatchManifest> = scope
        .chunks(request.batch_size as usize)
        .enumerate()
        .map(|(seq, ids)| BatchManifest {
            job_id: job_id.clone(),
            seq: seq as u32,
            accounts: ids.to_vec(),
            status: BatchStatus::Pending,
            error: None,
        })
        .collect();
    let job = Job {
        id: job_id,
        status: JobStatus::Accepted,
        request,
        request_hash: hash,
        idempotency_key: key.map(str::to_string),
        created_at: now,
        trade_date,
        batch_count: batches.len() as u32,
        account_count: scope.len() as u32,
    };
    jobs.create_job(&job, &batches).await.map_err(port)?;
    views.put_job(&job).await.map_err(port)?;
    let seqs: Vec<u32> = batches.iter().map(|b| b.seq).collect();
    let execution = workflow.start(&job, &seqs).await.map_err(port)?;
    tracing::info!(job = %job.id, accounts = job.account_count, batches = job.batch_count, "job accepted");
    Ok(Accepted { job, created: true, execution })
}

/// Every account the request names, directly or through a household or model; unknown
/// ids are a 422 naming them.
async fn resolve_scope(accounts: &impl AccountStore, r: &RebalanceRequest) -> Result<Vec<String>, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    if !r.account_ids.is_empty() {
        let known = accounts.known_accounts(&r.account_ids).await.map_err(port)?;
        if known.len() < r.account_ids.len() {
            let known: std::collections::HashSet<&String> = known.iter().collect();
            let unknown: Vec<&str> = r.account_ids.iter().filter(|a| !known.contains(a)).map(String::as_str).collect();
            return Err(ApiError::unprocessable(
                "UNKNOWN_ACCOUNT",
                format!("{} account id(s) are not known: {}", unknown.len(), listing(&unknown)),
            ));
        }
        ids.extend(r.account_ids.iter().cloned());
    }
    for (list, code, what) in
        [(&r.household_ids, "UNKNOWN_HOUSEHOLD", "household"), (&r.model_ids, "UNKNOWN_MODEL", "model")]
    {
        for id in list {
            let found = if what == "household" {
                accounts.household_accounts(id).await
            } else {
                accounts.model_accounts(id).await
            }
            .map_err(port)?;
            if found.is_empty() {
                return Err(ApiError::unprocessable(code, format!("no account belongs to {what} {id:?}")));
            }
            ids.extend(found);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn listing(ids: &[&str]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).copied().collect();
    if ids.len() > 5 {
        format!("{} and {} more", shown.join(", "), ids.len() - 5)
    } else {
        shown.join(", ")
    }
}

/// What a batch step did, for logs and the state machine's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepReport {
    pub job_id: String,
    pub batch: u32,
    /// The step had already run: nothing was done again.
    pub skipped: bool,
    pub accounts: u32,
    pub trades: u32,
    pub blocked: u32,
    pub orders_sent: u32,
    /// Orders written but held: their market center is halted.
    #[serde(default)]
    pub orders_held: u32,
}

async fn job_and_batch(jobs: &impl JobStore, job_id: &str, seq: u32) -> Result<(Job, BatchManifest), StepError> {
    let job = jobs.job(job_id).await?.ok_or_else(|| StepError::Permanent(format!("no job {job_id}")))?;
    let batch = jobs
        .batch(job_id, seq)
        .await?
        .ok_or_else(|| StepError::Permanent(format!("job {job_id} has no batch {seq}")))?;
    Ok((job, batch))
}

fn report(batch: &BatchManifest, skipped: bool) -> StepReport {
    StepReport {
        job_id: batch.job_id.clone(),
        batch: batch.seq,
        skipped,
        accounts: batch.accounts.len() as u32,
        ..Default::default()
    }
}

/// The accounts of a batch, in manifest order; an account gone since the job was accepted
/// is reported as invalid, never silently dropped.
async fn batch_accounts(
    accounts: &impl AccountStore,
    batch: &BatchManifest,
) -> Result<(Vec<Account>, Vec<String>), StepError> {
    let found = accounts.accounts(&batch.accounts).await?;
    let missing = if found.len() < batch.accounts.len() {
        let ids: std::collections::HashSet<&str> = found.iter().map(|a| a.id.as_str()).collect();
        batch.accounts.iter().filter(|a| !ids.contains(a.as_str())).cloned().collect()
    } else {
        Vec::new()
    };
    Ok((found, missing))
}

/// Step 1: the engine proposes each account's trades.
pub async fn rebalance_batch<S: ReferenceSource>(
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    reference: &ReferenceCache<S>,
    job_id: &str,
    seq: u32,
) -> Result<StepReport, StepError> {
    let (job, batch) = job_and_batch(jobs, job_id, seq).await?;
    if batch.status != BatchStatus::Pending {
        return Ok(report(&batch, true));
    }
    if job.status == JobStatus::Accepted {
        jobs.set_job_status(job_id, JobStatus::Running).await?;
    }
    let snapshot = reference.snapshot(job.trade_date).await?;
    let (found, missing) = batch_accounts(accounts, &batch).await?;
    let mut results: Vec<AccountTrades> = found
        .iter()
        .map(|a| {
            let r = rebalance(&snapshot.reference, a, &job.request.options);
            AccountTrades {
                account: a.id.clone(),
                outcome: r.outcome,
                exceptions: r.exceptions,
                trades: r.trades.into_iter().map(|trade| CheckedTrade { trade, outcomes: Vec::new() }).collect(),
                checked: false,
                may_reroute: !a.profile.directed_routing,
            }
        })
        .collect();
    results.extend(missing.into_iter().map(|id| AccountTrades {
        exceptions: vec![EngineException::new("account_not_found", format!("account {id} no longer exists"))],
        account: id,
        outcome: AccountOutcome::Invalid,
        trades: Vec::new(),
        checked: false,
        may_reroute: true,
    }));
    jobs.put_trades(job_id, seq, &results).await?;
    jobs.move_batch(job_id, seq, BatchStatus::Pending, BatchStatus::Rebalanced, None).await?;
    let mut r = report(&batch, false);
    r.trades = results.iter().map(|a| a.trades.len() as u32).sum();
    Ok(r)
}

/// Step 2: every proposed trade through the pre-trade checks; the read side learns of
/// each trade here (blocked, or passed and waiting to be sent).
pub async fn check_batch<S: ReferenceSource>(
    jobs: &impl JobStore,
    accounts: &impl AccountStore,
    reference: &ReferenceCache<S>,
    views: &impl ReadModel,
    job_id: &str,
    seq: u32,
) -> Result<StepReport, StepError> {
    let (job, batch) = job_and_batch(jobs, job_id, seq).await?;
    match batch.status {
        BatchStatus::Rebalanced => {}
        BatchStatus::Checked | BatchStatus::Submitted => return Ok(report(&batch, true)),
        other => return Err(StepError::Permanent(format!("batch {seq} is {} and cannot be checked", other.as_str()))),
    }
    let snapshot = reference.snapshot(job.trade_date).await?;
    let mut results = jobs.trades(job_id, seq).await?;
    let (found, _) = batch_accounts(accounts, &batch).await?;
    let by_id: BTreeMap<&str, &Account> = found.iter().map(|a| (a.id.as_str(), a)).collect();
    for at in results.iter_mut().filter(|a| !a.trades.is_empty()) {
        let Some(account) = by_id.get(at.account.as_str()) else {
            return Err(StepError::Permanent(format!(
                "account {} of batch {seq} disappeared during the job",
                at.account
            )));
        };
        let trades: Vec<_> = at.trades.iter().map(|t| t.trade.clone()).collect();
        for (t, outcomes) in
            at.trades.iter_mut().zip(snapshot.checks.check_account(&snapshot.reference, account, &trades))
        {
            t.outcomes = outcomes.into_iter().map(Into::into).collect();
        }
        at.checked = true;
    }
    jobs.put_trades(job_id, seq, &results).await?;

    let mut summary = BatchSummary {
        batch: seq,
        accounts: batch.accounts.len() as u32,
        status: BatchStatus::Checked,
        error: None,
        trades: BTreeMap::new(),
        not_traded: BTreeMap::new(),
    };
    let mut views_out = Vec::new();
    for at in &results {
        if at.trades.is_empty() {
            *summary.not_traded.entry(outcome_name(at.outcome).to_string()).or_insert(0) += 1;
        }
        for t in &at.trades {
            let state = if t.blocked() { TradeState::Blocked } else { TradeState::Passed };
            *summary.trades.entry(state).or_insert(0) += 1;
            views_out.push(TradeView {
                job_id: job_id.to_string(),
                batch: seq,
                account: at.account.clone(),
                security: t.trade.security.clone(),
                side: t.trade.side,
                quantity: t.trade.quantity,
                price: t.trade.price,
                amount: t.trade.amount,
                reason: t.trade.reason,
                state,
                order_id: None,
                filled: Default::default(),
                average_price: None,
                outcomes: t.outcomes.clone(),
            });
        }
    }
    views.record_batch(job_id, &summary, &views_out).await?;
    jobs.move_batch(job_id, seq, BatchStatus::Rebalanced, BatchStatus::Checked, None).await?;
    let mut r = report(&batch, false);
    r.trades = views_out.len() as u32;
    r.blocked = summary.trades.get(&TradeState::Blocked).copied().unwrap_or(0) as u32;
    Ok(r)
}

fn outcome_name(o: AccountOutcome) -> &'static str {
    match o {
        AccountOutcome::Rebalanced => "rebalanced",
        AccountOutcome::NoTradesNeeded => "no_trades_needed",
        AccountOutcome::Skipped => "skipped",
        AccountOutcome::Invalid => "invalid",
    }
}

/// The market center an order goes to: the security's venue, or the usual one for its
/// kind when the security master names none.
pub fn venue_of(reference: &Reference, security: &str) -> String {
    let Some(i) = reference.security_index(security) else { return "XNYS".into() };
    let s = reference.security(i);
    if !s.profile.venue.is_empty() {
        return s.profile.venue.clone();
    }
    match s.kind {
        SecurityKind::MutualFund => "FUNDSERV",
        SecurityKind::Bond => "TRACE",
        _ => "XNYS",
    }
    .into()
}

/// Step 3: each passing trade becomes one order, written once and sent once, to a market
/// center chosen by its health: a healthy venue takes its orders; a degraded or halted one
/// passes them to its healthy alternative where the account allows; otherwise a halted
/// venue's orders are held (written, not sent) until [`release_held_orders`] sends them.
/// An order is routed once, when it is first written: a retry sends it where it was
/// routed, so it can never reach two venues.
pub async fn submit_batch<S: ReferenceSource>(
    jobs: &impl JobStore,
    orders: &(impl OrderStore + VenueHealthStore),
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    reference: &ReferenceCache<S>,
    job_id: &str,
    seq: u32,
) -> Result<StepReport, StepError> {
    let (job, batch) = job_and_batch(jobs, job_id, seq).await?;
    match batch.status {
        BatchStatus::Checked => {}
        BatchStatus::Submitted => return Ok(report(&batch, true)),
        other => {
            return Err(StepError::Permanent(format!("batch {seq} is {} and cannot be submitted", other.as_str())))
        }
    }
    let mut r = report(&batch, false);
    if !job.request.dry_run {
        let snapshot: Arc<Snapshot> = reference.snapshot(job.trade_date).await?;
        let health = venue_statuses(orders).await?;
        let results = jobs.trades(job_id, seq).await?;
        if results.iter().any(|a| !a.trades.is_empty() && !a.checked) {
            return Err(StepError::Permanent(format!("batch {seq} holds trades that were never checked")));
        }
        // 1. Write every order (conditional): a retry finds the ones written before.
        let mut to_send: Vec<Order> = Vec::new();
        let mut settled: Vec<Order> = Vec::new();
        for at in &results {
            for t in at.trades.iter().filter(|t| !t.blocked()) {
                let mut order = Order {
                    id: order_id(job_id, &at.account, &t.trade.security, t.trade.side),
                    job_id: job_id.to_string(),
                    batch: seq,
                    account: at.account.clone(),
                    security: t.trade.security.clone(),
                    side: t.trade.side,
                    quantity: t.trade.quantity,
                    price: t.trade.price,
                    venue: venue_of(&snapshot.reference, &t.trade.security),
                    state: OrderState::New,
                    filled: Default::default(),
                    average_price: None,
                    last_report: 0,
                    reason: None,
                    rerouted_from: None,
                    held_for: None,
                    may_reroute: at.may_reroute,
                };
                apply_route(&mut order, &snapshot.reference, &health);
                match orders.insert_order(&order).await? {
                    OrderInsert::Inserted if order.state == OrderState::Held => settled.push(order),
                    OrderInsert::Inserted => to_send.push(order),
                    // Written by an earlier attempt that stopped before sending it.
                    OrderInsert::Exists(o) if o.state == OrderState::New => to_send.push(*o),
                    OrderInsert::Exists(o) => settled.push(*o),
                }
            }
        }
        r.orders_held = settled.iter().filter(|o| o.state == OrderState::Held).count() as u32;
        r.orders_sent = send_orders(orders, gateway, views, to_send).await?;
        for o in settled {
            views.advance_trade(job_id, &trade_key(&o.account, &o.security, o.side), &o).await?;
        }
    }
    views.set_batch_status(job_id, seq, batch.accounts.len() as u32, BatchStatus::Submitted, None).await?;
    jobs.move_batch(job_id, seq, BatchStatus::Checked, BatchStatus::Submitted, None).await?;
    Ok(r)
}

/// Each venue's effective status (a venue without a record is healthy).
async fn venue_statuses(venues: &impl VenueHealthStore) -> Result<HashMap<String, VenueStatus>, StepError> {
    Ok(venues.venue_health().await?.into_iter().map(|h| (h.venue.clone(), h.effective())).collect())
}

/// Routes a new order: to its venue, to the venue's alternative, or held for its venue.
fn apply_route(order: &mut Order, reference: &Reference, health: &HashMap<String, VenueStatus>) {
    let status = |v: &str| health.get(v).copied().unwrap_or_default();
    let alternative = reference.venue(&order.venue).and_then(|v| v.alternative.as_deref());
    match route(&order.venue, status, alternative, order.may_reroute) {
        Route::Send { venue, rerouted_from } => {
            order.venue = venue;
            order.rerouted_from = rerouted_from;
        }
        Route::Hold { reason } => {
            order.state = OrderState::Held;
            order.held_for = Some(order.venue.clone());
            order.reason = Some(reason);
        }
    }
}

/// Sends new orders (the queue drops a message whose deduplication id, the order id, it
/// has seen), then records that they went and shows it on the read side.
async fn send_orders(
    orders: &impl OrderStore,
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    to_send: Vec<Order>,
) -> Result<u32, StepError> {
    let messages: Vec<OrderMessage> = to_send.iter().map(OrderMessage::from).collect();
    gateway.send(&messages).await?;
    let mut sent = 0;
    for mut o in to_send {
        orders.mark_sent(&o.id).await?;
        o.state = OrderState::Sent;
        o.held_for = None;
        views.advance_trade(&o.job_id, &trade_key(&o.account, &o.security, o.side), &o).await?;
        sent += 1;
    }
    Ok(sent)
}

/// What releasing a venue's held orders did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseReport {
    pub venue: String,
    pub released: u32,
    pub rerouted: u32,
    /// Still held: their venue is still halted and they may not go elsewhere.
    pub still_held: u32,
}

/// Sends the orders held for `venue` wherever routing now allows (its own venue once it
/// is no longer halted, or a healthy alternative). Safe to repeat and to run after a crash
/// at any point: an order released but not yet marked sent is sent again to the same
/// venue, whose queue drops the duplicate.
pub async fn release_held_orders<S: ReferenceSource>(
    orders: &(impl OrderStore + VenueHealthStore),
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    reference: &ReferenceCache<S>,
    trade_date: chrono::NaiveDate,
    venue: &str,
) -> Result<ReleaseReport, StepError> {
    let mut report = ReleaseReport { venue: venue.to_string(), ..Default::default() };
    let held = orders.held_orders(venue).await?;
    if held.is_empty() {
        return Ok(report);
    }
    let snapshot = reference.snapshot(trade_date).await?;
    let health = venue_statuses(orders).await?;
    let mut to_send = Vec::new();
    for mut o in held {
        if o.state == OrderState::Held {
            let mut routed = o.clone();
            routed.state = OrderState::New;
            apply_route(&mut routed, &snapshot.reference, &health);
            if routed.state == OrderState::Held {
                report.still_held += 1;
                continue;
            }
            if !orders.release_order(&o.id, &routed.venue, routed.rerouted_from.as_deref()).await? {
                // Released by a concurrent run: read what it decided.
                match orders.order(&o.id).await? {
                    Some(current) if current.state == OrderState::New => o = current,
                    _ => continue,
                }
            } else {
                o = routed;
            }
        }
        report.rerouted += u32::from(o.rerouted_from.is_some());
        to_send.push(o);
    }
    report.released = send_orders(orders, gateway, views, to_send).await?;
    Ok(report)
}

/// The Catch path: the batch is marked failed with the error, its accounts untraded.
pub async fn fail_batch(
    jobs: &impl JobStore,
    views: &impl ReadModel,
    job_id: &str,
    seq: u32,
    error: &str,
) -> Result<(), StepError> {
    let (_, batch) = job_and_batch(jobs, job_id, seq).await?;
    if batch.status == BatchStatus::Submitted || batch.status == BatchStatus::Failed {
        return Ok(());
    }
    jobs.move_batch(job_id, seq, batch.status, BatchStatus::Failed, Some(error)).await?;
    views.set_batch_status(job_id, seq, batch.accounts.len() as u32, BatchStatus::Failed, Some(error)).await?;
    tracing::warn!(job = job_id, batch = seq, error, "batch failed");
    Ok(())
}

/// The job's status once every batch has run: completed when nothing is left working.
async fn settle(jobs: &impl JobStore, views: &impl ReadModel, job: &Job) -> Result<JobStatus, StepError> {
    let Some(view) = views.job_view(&job.id).await? else {
        return Err(StepError::Permanent(format!("job {} has no read-side view", job.id)));
    };
    let ran = view.batches.done + view.batches.failed;
    if ran < job.batch_count {
        return Ok(job.status);
    }
    let working = view.trades.iter().any(|(state, &n)| n > 0 && !state.is_final());
    let status = if view.batches.failed == job.batch_count && job.batch_count > 0 {
        JobStatus::Failed
    } else if working {
        JobStatus::Submitted
    } else if view.batches.failed > 0 {
        JobStatus::CompletedWithFailures
    } else {
        JobStatus::Completed
    };
    if status != job.status {
        jobs.set_job_status(&job.id, status).await?;
        let mut updated = job.clone();
        updated.status = status;
        views.put_job(&updated).await?;
    }
    Ok(status)
}

/// The state machine's last step.
pub async fn finalize_job(jobs: &impl JobStore, views: &impl ReadModel, job_id: &str) -> Result<JobStatus, StepError> {
    let job = jobs.job(job_id).await?.ok_or_else(|| StepError::Permanent(format!("no job {job_id}")))?;
    if job.status.is_final() {
        return Ok(job.status);
    }
    // The workflow has ended: a batch it left unfinished (its failure could not even be
    // recorded) is failed now, so the job reaches a final state.
    for b in jobs.batches(job_id).await? {
        if !matches!(b.status, BatchStatus::Submitted | BatchStatus::Failed) {
            let why = format!("the workflow ended while the batch was {}", b.status.as_str());
            jobs.move_batch(job_id, b.seq, b.status, BatchStatus::Failed, Some(&why)).await?;
            views.set_batch_status(job_id, b.seq, b.accounts.len() as u32, BatchStatus::Failed, Some(&why)).await?;
        }
    }
    let status = settle(jobs, views, &job).await?;
    tracing::info!(job = job_id, status = status.as_str(), "job finalized");
    Ok(status)
}

/// Why a report was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportFailure {
    /// Poison: retrying cannot help; the message goes to the dead-letter queue.
    #[error(transparent)]
    Rejected(#[from] ReportError),
    #[error(transparent)]
    Transient(#[from] PortError),
}

/// Applies one execution report to its order and the read side. A redelivered report
/// changes nothing, but still brings the read side up to the order (in case the first
/// delivery stopped between the two writes).
pub async fn apply_execution_report(
    jobs: &impl JobStore,
    orders: &impl OrderStore,
    views: &impl ReadModel,
    report: &ExecutionReport,
) -> Result<bool, ReportFailure> {
    validate(report)?;
    let order = match orders.apply_report(report).await? {
        None => return Err(ReportError::UnknownOrder(report.order_id.clone()).into()),
        Some(ReportEffect::Applied(o)) => *o,
        Some(ReportEffect::Duplicate) => match orders.order(&report.order_id).await? {
            Some(o) => {
                views.advance_trade(&o.job_id, &trade_key(&o.account, &o.security, o.side), &o).await?;
                return Ok(false);
            }
            None => return Err(ReportError::UnknownOrder(report.order_id.clone()).into()),
        },
    };
    views.advance_trade(&order.job_id, &trade_key(&order.account, &order.security, order.side), &order).await?;
    if order.state.is_final() {
        if let Some(job) = jobs.job(&order.job_id).await? {
            if job.status == JobStatus::Submitted {
                settle(jobs, views, &job).await.map_err(|e| match e {
                    StepError::Transient(p) => ReportFailure::Transient(p),
                    StepError::Permanent(m) => ReportFailure::Transient(PortError::new("job status", m)),
                })?;
            }
        }
    }
    Ok(true)
}

/// `GET /rebalances/{id}`.
pub async fn job_status(views: &impl ReadModel, job_id: &str) -> Result<JobView, ApiError> {
    views.job_view(job_id).await.map_err(port)?.ok_or_else(|| not_found(job_id))
}

fn not_found(job_id: &str) -> ApiError {
    ApiError::not_found("JOB_NOT_FOUND", format!("no rebalance job {job_id:?}"))
}

/// Default and largest page of `GET /rebalances/{id}/trades`.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 500;

/// `GET /rebalances/{id}/trades?account=&state=&cursor=&limit=`.
pub async fn job_trades(
    views: &impl ReadModel,
    job_id: &str,
    account: Option<&str>,
    state: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<TradePage, ApiError> {
    let limit = match limit {
        None => DEFAULT_PAGE,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "INVALID_LIMIT",
                    format!("limit {l:?} is not a number from 1 to {MAX_PAGE}"),
                ))
            }
        },
    };
    let state = match state {
        None => None,
        Some(s) => Some(TradeState::parse(s).ok_or_else(|| {
            let all: Vec<&str> = TradeState::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::bad_request("INVALID_STATE", format!("state {s:?} is not one of {}", all.join(", ")))
        })?),
    };
    if views.job_view(job_id).await.map_err(port)?.is_none() {
        return Err(not_found(job_id));
    }
    let filter = TradeFilter { account: account.map(str::to_string), state };
    views.trade_views(job_id, &filter, cursor, limit).await.map_err(port)
}

/// What an operator's override did to a venue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverrideOutcome {
    pub health: crate::health::VenueHealth,
    pub transition: crate::health::Transition,
    /// Held orders sent when the venue is no longer halted.
    pub release: Option<ReleaseReport>,
    /// What the override said of the detector, recorded for the next training run.
    pub verdict: Option<crate::health::OperatorVerdict>,
}

/// Sets (`Some`) or lifts (`None`) an operator's override of a venue's health; when the
/// venue is no longer halted, its held orders go out. An override that says something of
/// the detector (`verdict`: derived from the detector's status and the operator's unless
/// the request says) is recorded in `verdicts` as the label of the decision behind it;
/// when that write fails the override stands and the caller is asked to send it again
/// (a repeat changes nothing but the verdict's time).
#[allow(clippy::too_many_arguments)]
pub async fn override_venue<S: ReferenceSource>(
    orders: &(impl OrderStore + VenueHealthStore),
    gateway: &impl OrderGateway,
    views: &impl ReadModel,
    verdicts: &impl crate::anomaly::VerdictLog,
    reference: &ReferenceCache<S>,
    trade_date: NaiveDate,
    venue: &str,
    change: Option<(crate::health::Override, crate::health::VerdictRequest)>,
) -> Result<OverrideOutcome, ApiError> {
    use crate::health::{valid_venue, OperatorVerdict, VenueHealth};
    let (change, asked) = change.unzip();
    if !valid_venue(venue) {
        return Err(ApiError::bad_request("INVALID_VENUE", format!("{venue:?} is not a market center id")));
    }
    for _ in 0..5 {
        let current = orders.venue_health().await.map_err(port)?.into_iter().find(|h| h.venue == venue);
        let mut health = current.unwrap_or_else(|| VenueHealth::new(venue));
        let transition = health.set_override(change.clone());
        if !orders.put_venue_health(&health).await.map_err(port)? {
            continue;
        }
        tracing::warn!(venue, from = ?transition.from, to = ?transition.to, by = ?health.override_.as_ref().map(|o| &o.by), "venue override");
        let release = if health.effective() != VenueStatus::Halted {
            Some(
                release_held_orders(orders, gateway, views, reference, trade_date, venue)
                    .await
                    .map_err(|e| ApiError::new(503, "UNAVAILABLE", e.to_string()))?,
            )
        } else {
            None
        };
        let verdict = change.as_ref().zip(asked).and_then(|(o, asked)| {
            let label = asked.label(health.detected, o.status)?;
            Some(OperatorVerdict {
                venue: venue.to_string(),
                at: o.at,
                label,
                operator_id: o.by.clone(),
                reason: Some(o.reason.clone()),
            })
        });
        if let Some(v) = &verdict {
            verdicts.record_verdict(v).await.map_err(|e| {
                ApiError::new(
                    503,
                    "UNAVAILABLE",
                    format!("the override of {venue} stands but the verdict was not recorded ({e}); send it again"),
                )
            })?;
        }
        return Ok(OverrideOutcome { health, transition, release, verdict });
    }
    Err(ApiError::new(503, "UNAVAILABLE", format!("the health of {venue} kept changing; try again")))
}

/// Every market center's health (`GET /venues`).
pub async fn venues_health(venues: &impl VenueHealthStore) -> Result<Vec<crate::health::VenueHealth>, ApiError> {
    venues.venue_health().await.map_err(port)
}
