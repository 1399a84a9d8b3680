//! The DynamoDB adapter of the stores: the write table (jobs, batches, trades, orders,
//! accounts, idempotency keys) and the read table (job headers, batch summaries, trade
//! views). Values are kept whole as JSON in a `doc` attribute beside the attributes that
//! keys, indexes and conditions need. docs/DATA-MODEL.md lists every access pattern.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use ballast_core::Account;
use ballast_flow::anomaly::{AnomalyDecision, DecisionLog, TelemetryStore, VenueTelemetry, VerdictLog};
use ballast_flow::health::{OperatorVerdict, VenueHealth};
use ballast_flow::model::{
    AccountTrades, BatchManifest, BatchStatus, BatchSummary, ExecutionReport, Job, JobStatus, JobView, Order,
    OrderState, TradeFilter, TradePage, TradeState, TradeView,
};
use ballast_flow::ports::{
    AccountStore, JobStore, KeyClaim, OrderInsert, OrderStore, PortError, PortResult, ReadModel, ReportEffect,
    VenueHealthStore,
};
use ballast_flow::report::apply_to_order;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::port_error;

/// How long an idempotency key is remembered.
const KEY_RETENTION_SECONDS: i64 = 24 * 3600;
/// Attempts of an optimistic read-modify-write before giving up (the step is retried).
const CAS_ATTEMPTS: usize = 8;

/// Every store port over the two tables.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    views: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn doc(v: &impl Serialize) -> AttributeValue {
    AttributeValue::S(serde_json::to_string(v).expect("flow values serialize"))
}

fn read<T: DeserializeOwned>(item: &HashMap<String, AttributeValue>, what: &'static str) -> PortResult<T> {
    let text = item.get("doc").and_then(|v| v.as_s().ok()).ok_or_else(|| PortError::new(what, "item without a doc"))?;
    serde_json::from_str(text).map_err(|e| PortError::new(what, format!("unreadable item: {e}")))
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn job_pk(job: &str) -> String {
    format!("JOB#{job}")
}

fn batch_sk(seq: u32) -> String {
    format!("BATCH#{seq:05}")
}

fn trades_prefix(seq: u32) -> String {
    format!("TRADES#{seq:05}#")
}

/// Whether an SDK error is a failed condition (an expected outcome, not a failure).
fn condition_failed<E: std::fmt::Debug, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool {
    match e {
        aws_sdk_dynamodb::error::SdkError::ServiceError(s) => {
            let text = format!("{:?}", s.err());
            text.contains("ConditionalCheckFailed") || text.contains("ConditionalCheckFailedException")
        }
        _ => false,
    }
}

/// Whether a transaction was cancelled because one of its conditions failed.
fn transaction_condition_failed<R>(
    e: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    match e {
        aws_sdk_dynamodb::error::SdkError::ServiceError(s) => match s.err() {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => t
                .cancellation_reasons()
                .iter()
                .any(|r| r.code() == Some("ConditionalCheckFailed")),
            _ => false,
        },
        _ => false,
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, views_table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into(), views: views_table.into() }
    }

    async fn get(
        &self,
        table: &str,
        pk: String,
        sk: String,
        what: &'static str,
    ) -> PortResult<Option<HashMap<String, AttributeValue>>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(what, e))?;
        Ok(out.item)
    }

    /// Every item of a partition whose sort key starts with `prefix`, in key order.
    async fn query_prefix(
        &self,
        table: &str,
        pk: String,
        prefix: &str,
        what: &'static str,
    ) -> PortResult<Vec<HashMap<String, AttributeValue>>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| port_error(what, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Writes items in batches of 25, retrying what DynamoDB leaves unprocessed.
    async fn write_all(
        &self,
        table: &str,
        items: Vec<HashMap<String, AttributeValue>>,
        what: &'static str,
    ) -> PortResult<()> {
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder().set_item(Some(item.clone())).build().expect("an item is set"),
                        )
                        .build()
                })
                .collect();
            let mut attempt = 0;
            while !requests.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .await
                    .map_err(|e| port_error(what, e))?;
                requests = out.unprocessed_items.and_then(|mut m| m.remove(table)).unwrap_or_default();
                attempt += 1;
                if !requests.is_empty() {
                    if attempt > 10 {
                        return Err(PortError::new(what, "DynamoDB left items unprocessed after 10 attempts"));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(6))).await;
                }
            }
        }
        Ok(())
    }

    /// Reads items by key, 100 at a time, retrying unprocessed keys; `projection` limits
    /// the attributes returned.
    async fn get_many(
        &self,
        table: &str,
        keys: Vec<HashMap<String, AttributeValue>>,
        projection: Option<&str>,
        what: &'static str,
    ) -> PortResult<Vec<HashMap<String, AttributeValue>>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = KeysAndAttributes::builder().set_keys(Some(chunk.to_vec()));
            if let Some(p) = projection {
                pending = pending.projection_expression(p);
            }
            let mut request = Some(pending.build().map_err(|e| PortError::new(what, e))?);
            let mut attempt = 0;
            while let Some(r) = request.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(table, r)
                    .send()
                    .await
                    .map_err(|e| port_error(what, e))?;
                found.extend(out.responses.and_then(|mut m| m.remove(table)).unwrap_or_default());
                request = out.unprocessed_keys.and_then(|mut m| m.remove(table)).filter(|k| !k.keys().is_empty());
                attempt += 1;
                if request.is_some() {
                    if attempt > 10 {
                        return Err(PortError::new(what, "DynamoDB left keys unprocessed after 10 attempts"));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(6))).await;
                }
            }
        }
        Ok(found)
    }

    fn account_item(a: &Account) -> HashMap<String, AttributeValue> {
        let mut item = key(format!("ACCOUNT#{}", a.id), "ACCOUNT");
        item.insert("doc".into(), doc(a));
        item.insert("model".into(), s(a.model.clone()));
        // Sparse index: only accounts in a household are in it.
        if !a.household.is_empty() {
            item.insert("household".into(), s(a.household.clone()));
        }
        item
    }

    fn order_item(o: &Order) -> HashMap<String, AttributeValue> {
        let mut item = key(format!("ORDER#{}", o.id), "ORDER");
        item.insert("doc".into(), doc(o));
        item.insert("state".into(), s(o.state.as_str()));
        item.insert("last_report".into(), n(o.last_report));
        item.insert("gsi1pk".into(), s(job_pk(&o.job_id)));
        item.insert("gsi1sk".into(), s(format!("ORDER#{}", o.id)));
        // Sparse index of the orders waiting for a venue (gone once the order is sent).
        if let Some(v) = &o.held_for {
            item.insert("held_for".into(), s(v.clone()));
        }
        item
    }

    /// Every item of one partition of an index of the write table, paging through it.
    async fn index_items(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
        what: &'static str,
    ) -> PortResult<Vec<HashMap<String, AttributeValue>>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#a = :v")
                .expression_attribute_names("#a", attribute)
                .expression_attribute_values(":v", s(value))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| port_error(what, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Every order of an index partition (`by_job` or `by_held`).
    async fn orders_by_index(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
        what: &'static str,
    ) -> PortResult<Vec<Order>> {
        self.index_items(index, attribute, value, what).await?.iter().map(|i| read(i, what)).collect()
    }

    /// Puts `next` over an order if its state is still `from` (false when it moved on).
    async fn put_order_if(&self, next: &Order, from: OrderState) -> PortResult<bool> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::order_item(next)))
            .condition_expression("#state = :from")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":from", s(from.as_str()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(port_error("order", e)),
        }
    }

    async fn ids_by_index(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
        what: &'static str,
    ) -> PortResult<Vec<String>> {
        let items = self.index_items(index, attribute, value, what).await?;
        let mut ids: Vec<String> = items
            .iter()
            .filter_map(|i| text(i, "pk"))
            .map(|pk| pk.trim_start_matches("ACCOUNT#").to_string())
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    fn summary_from(item: &HashMap<String, AttributeValue>) -> PortResult<BatchSummary> {
        let batch = number(item, "batch").unwrap_or(0) as u32;
        let mut trades = BTreeMap::new();
        for state in TradeState::ALL {
            let count = number(item, &format!("n_{}", state.as_str())).unwrap_or(0);
            if count > 0 {
                trades.insert(state, count as u64);
            }
        }
        let not_traded = match text(item, "not_traded") {
            Some(t) => serde_json::from_str(t).map_err(|e| PortError::new("job view", e))?,
            None => BTreeMap::new(),
        };
        Ok(BatchSummary {
            batch,
            accounts: number(item, "accounts").unwrap_or(0) as u32,
            status: text(item, "status").and_then(BatchStatus::parse).unwrap_or(BatchStatus::Pending),
            error: text(item, "error").map(str::to_string),
            trades,
            not_traded,
        })
    }

    fn view_item(job_id: &str, v: &TradeView) -> HashMap<String, AttributeValue> {
        let mut item = key(job_pk(job_id), format!("TRADE#{}", v.key()));
        item.insert("doc".into(), doc(v));
        item.insert("state".into(), s(v.state.as_str()));
        item.insert("account".into(), s(v.account.clone()));
        item
    }
}

impl JobStore for DynamoStore {
    async fn claim_key(&self, k: &str, request_hash: &str, job_id: &str, now: DateTime<Utc>) -> PortResult<KeyClaim> {
        let mut item = key(format!("IDEM#{k}"), "IDEM");
        item.insert("request_hash".into(), s(request_hash));
        item.insert("job_id".into(), s(job_id));
        item.insert("expires_at".into(), n(now.timestamp() + KEY_RETENTION_SECONDS));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(KeyClaim::Claimed),
            Err(e) if condition_failed(&e) => {
                let item = self
                    .get(&self.table, format!("IDEM#{k}"), "IDEM".into(), "idempotency key")
                    .await?
                    .ok_or_else(|| PortError::new("idempotency key", "claimed but not readable"))?;
                Ok(KeyClaim::Existing {
                    job_id: text(&item, "job_id").unwrap_or_default().to_string(),
                    request_hash: text(&item, "request_hash").unwrap_or_default().to_string(),
                })
            }
            Err(e) => Err(port_error("idempotency key", e)),
        }
    }

    async fn create_job(&self, job: &Job, batches: &[BatchManifest]) -> PortResult<()> {
        if self.get(&self.table, job_pk(&job.id), "JOB".into(), "job").await?.is_some() {
            return Ok(());
        }
        // Manifests first, the job last: a job item means its batches are all there.
        // Rewriting a manifest is harmless here: no batch starts before the job exists.
        let items = batches
            .iter()
            .map(|b| {
                let mut item = key(job_pk(&job.id), batch_sk(b.seq));
                item.insert("doc".into(), doc(b));
                item.insert("status".into(), s(b.status.as_str()));
                item
            })
            .collect();
        self.write_all(&self.table, items, "batch manifests").await?;
        let mut item = key(job_pk(&job.id), "JOB");
        item.insert("doc".into(), doc(job));
        item.insert("status".into(), s(job.status.as_str()));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(port_error("job", e)),
        }
    }

    async fn job(&self, job_id: &str) -> PortResult<Option<Job>> {
        let Some(item) = self.get(&self.table, job_pk(job_id), "JOB".into(), "job").await? else { return Ok(None) };
        let mut job: Job = read(&item, "job")?;
        if let Some(status) = text(&item, "status").and_then(JobStatus::parse) {
            job.status = status;
        }
        Ok(Some(job))
    }

    async fn set_job_status(&self, job_id: &str, to: JobStatus) -> PortResult<()> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(job_pk(job_id), "JOB")))
            .update_expression("SET #status = :to")
            .condition_expression("attribute_exists(pk) AND NOT #status IN (:c, :cf, :f)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":c", s(JobStatus::Completed.as_str()))
            .expression_attribute_values(":cf", s(JobStatus::CompletedWithFailures.as_str()))
            .expression_attribute_values(":f", s(JobStatus::Failed.as_str()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(port_error("job status", e)),
        }
    }

    async fn batches(&self, job_id: &str) -> PortResult<Vec<BatchManifest>> {
        let items = self.query_prefix(&self.table, job_pk(job_id), "BATCH#", "batches").await?;
        items.iter().map(batch_from).collect()
    }

    async fn batch(&self, job_id: &str, seq: u32) -> PortResult<Option<BatchManifest>> {
        match self.get(&self.table, job_pk(job_id), batch_sk(seq), "batch").await? {
            Some(item) => batch_from(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn move_batch(
        &self,
        job_id: &str,
        seq: u32,
        from: BatchStatus,
        to: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<bool> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(job_pk(job_id), batch_sk(seq))))
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":to", s(to.as_str()));
        update = match error {
            Some(e) => update
                .update_expression("SET #status = :to, #error = :error")
                .expression_attribute_names("#error", "error")
                .expression_attribute_values(":error", s(e)),
            None => update
                .update_expression("SET #status = :to REMOVE #error")
                .expression_attribute_names("#error", "error"),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(port_error("batch status", e)),
        }
    }

    async fn put_trades(&self, job_id: &str, seq: u32, trades: &[AccountTrades]) -> PortResult<()> {
        let items = trades
            .iter()
            .map(|t| {
                let mut item = key(job_pk(job_id), format!("{}{}", trades_prefix(seq), t.account));
                item.insert("doc".into(), doc(t));
                item
            })
            .collect();
        self.write_all(&self.table, items, "batch trades").await
    }

    async fn trades(&self, job_id: &str, seq: u32) -> PortResult<Vec<AccountTrades>> {
        let items = self.query_prefix(&self.table, job_pk(job_id), &trades_prefix(seq), "batch trades").await?;
        items.iter().map(|i| read(i, "batch trades")).collect()
    }
}

/// A manifest, with the status and error its own attributes hold (they move on their own).
fn batch_from(item: &HashMap<String, AttributeValue>) -> PortResult<BatchManifest> {
    let mut b: BatchManifest = read(item, "batch")?;
    if let Some(status) = text(item, "status").and_then(BatchStatus::parse) {
        b.status = status;
    }
    b.error = text(item, "error").map(str::to_string);
    Ok(b)
}

impl AccountStore for DynamoStore {
    async fn accounts(&self, ids: &[String]) -> PortResult<Vec<Account>> {
        let keys = ids.iter().map(|id| key(format!("ACCOUNT#{id}"), "ACCOUNT")).collect();
        let items = self.get_many(&self.table, keys, None, "accounts").await?;
        let mut by_id: HashMap<String, Account> = HashMap::with_capacity(items.len());
        for item in &items {
            let a: Account = read(item, "accounts")?;
            by_id.insert(a.id.clone(), a);
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn known_accounts(&self, ids: &[String]) -> PortResult<Vec<String>> {
        let keys = ids.iter().map(|id| key(format!("ACCOUNT#{id}"), "ACCOUNT")).collect();
        let items = self.get_many(&self.table, keys, Some("pk"), "accounts").await?;
        let found: std::collections::HashSet<String> = items
            .iter()
            .filter_map(|i| text(i, "pk"))
            .map(|pk| pk.trim_start_matches("ACCOUNT#").to_string())
            .collect();
        Ok(ids.iter().filter(|id| found.contains(*id)).cloned().collect())
    }

    async fn household_accounts(&self, household: &str) -> PortResult<Vec<String>> {
        if household.is_empty() {
            return Ok(Vec::new());
        }
        self.ids_by_index("by_household", "household", household, "household accounts").await
    }

    async fn model_accounts(&self, model: &str) -> PortResult<Vec<String>> {
        self.ids_by_index("by_model", "model", model, "model accounts").await
    }

    async fn put_accounts(&self, accounts: &[Account]) -> PortResult<()> {
        self.write_all(&self.table, accounts.iter().map(Self::account_item).collect(), "accounts").await
    }
}

impl OrderStore for DynamoStore {
    async fn insert_order(&self, order: &Order) -> PortResult<OrderInsert> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::order_item(order)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(OrderInsert::Inserted),
            Err(e) if condition_failed(&e) => match self.order(&order.id).await? {
                Some(existing) => Ok(OrderInsert::Exists(Box::new(existing))),
                None => Err(PortError::new("order", "exists but cannot be read")),
            },
            Err(e) => Err(port_error("order", e)),
        }
    }

    async fn order(&self, id: &str) -> PortResult<Option<Order>> {
        match self.get(&self.table, format!("ORDER#{id}"), "ORDER".into(), "order").await? {
            Some(item) => read(&item, "order").map(Some),
            None => Ok(None),
        }
    }

    async fn mark_sent(&self, id: &str) -> PortResult<bool> {
        let Some(order) = self.order(id).await? else { return Ok(false) };
        if order.state != OrderState::New {
            return Ok(false);
        }
        let mut sent = order;
        sent.state = OrderState::Sent;
        sent.held_for = None;
        self.put_order_if(&sent, OrderState::New).await
    }

    async fn apply_report(&self, report: &ExecutionReport) -> PortResult<Option<ReportEffect>> {
        for _ in 0..CAS_ATTEMPTS {
            let Some(order) = self.order(&report.order_id).await? else { return Ok(None) };
            let Some(next) = apply_to_order(&order, report) else { return Ok(Some(ReportEffect::Duplicate)) };
            // Optimistic: the write holds only if no other report moved the order meanwhile.
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(Self::order_item(&next)))
                .condition_expression("last_report = :seen")
                .expression_attribute_values(":seen", n(order.last_report))
                .send()
                .await;
            match r {
                Ok(_) => return Ok(Some(ReportEffect::Applied(Box::new(next)))),
                Err(e) if condition_failed(&e) => continue,
                Err(e) => return Err(port_error("execution report", e)),
            }
        }
        Err(PortError::new("execution report", format!("order {} kept changing; try again", report.order_id)))
    }

    async fn job_orders(&self, job_id: &str) -> PortResult<Vec<Order>> {
        self.orders_by_index("by_job", "gsi1pk", &job_pk(job_id), "job orders").await
    }

    async fn held_orders(&self, venue: &str) -> PortResult<Vec<Order>> {
        let orders = self.orders_by_index("by_held", "held_for", venue, "held orders").await?;
        Ok(orders.into_iter().filter(|o| matches!(o.state, OrderState::Held | OrderState::New)).collect())
    }

    async fn release_order(&self, id: &str, venue: &str, rerouted_from: Option<&str>) -> PortResult<bool> {
        let Some(order) = self.order(id).await? else { return Ok(false) };
        if order.state != OrderState::Held {
            return Ok(false);
        }
        let mut next = order;
        next.state = OrderState::New;
        next.venue = venue.to_string();
        next.rerouted_from = rerouted_from.map(str::to_string);
        self.put_order_if(&next, OrderState::Held).await
    }
}

/// Venue health: one item per market center in the `VENUES` partition, so one query
/// reads them all; every write is conditional on the version it read.
impl VenueHealthStore for DynamoStore {
    async fn venue_health(&self) -> PortResult<Vec<VenueHealth>> {
        let items = self.query_prefix(&self.table, "VENUES".into(), "VENUE#", "venue health").await?;
        items.iter().map(|i| read(i, "venue health")).collect()
    }

    async fn put_venue_health(&self, health: &VenueHealth) -> PortResult<bool> {
        self.put_versioned("VENUES", &health.venue, health, health.version, "venue health").await
    }
}

/// Venue telemetry (open window, tracked orders, recent feature vectors): one item per
/// market center in the `TELEMETRY` partition, each write conditional on its version.
impl TelemetryStore for DynamoStore {
    async fn telemetry_venues(&self) -> PortResult<Vec<String>> {
        let items = self.query_prefix(&self.table, "TELEMETRY".into(), "VENUE#", "venue telemetry").await?;
        Ok(items.iter().filter_map(|i| text(i, "sk")).map(|sk| sk.trim_start_matches("VENUE#").to_string()).collect())
    }

    async fn venue_telemetry(&self, venue: &str) -> PortResult<Option<VenueTelemetry>> {
        match self.get(&self.table, "TELEMETRY".into(), format!("VENUE#{venue}"), "venue telemetry").await? {
            Some(item) => read(&item, "venue telemetry").map(Some),
            None => Ok(None),
        }
    }

    async fn put_venue_telemetry(&self, t: &VenueTelemetry) -> PortResult<bool> {
        self.put_versioned("TELEMETRY", &t.venue, t, t.version, "venue telemetry").await
    }
}

/// An outbox row: a day's partition (`<kind>#<date>`), kept 30 days.
fn outbox_item(kind: &str, at: DateTime<Utc>, sk: String, value: &impl Serialize) -> HashMap<String, AttributeValue> {
    let mut item = key(format!("{kind}#{}", at.format("%Y-%m-%d")), sk);
    item.insert("doc".into(), doc(value));
    item.insert("expires_at".into(), n((Utc::now() + chrono::TimeDelta::days(30)).timestamp()));
    item
}

/// Anomaly decisions wait in the write table (a day's partition, kept 30 days) until the
/// feedback write-back copies them to Aurora for the next training run.
impl DecisionLog for DynamoStore {
    async fn record(&self, decisions: &[AnomalyDecision]) -> PortResult<()> {
        let items = decisions
            .iter()
            .map(|d| {
                let sk = format!("{}#{}", d.window_start.format("%Y-%m-%dT%H:%M:%SZ"), d.venue);
                outbox_item("DECISIONS", d.window_start, sk, d)
            })
            .collect();
        self.write_all(&self.table, items, "anomaly decisions").await
    }
}

impl DynamoStore {
    /// What the outbox holds for one day: the decisions, in window order (the drain reads
    /// these and hands them to `ballast-aurora import` or the training store).
    pub async fn outbox_decisions(&self, day: chrono::NaiveDate) -> PortResult<Vec<AnomalyDecision>> {
        let items =
            self.query_prefix(&self.table, format!("DECISIONS#{day}"), &day.to_string(), "anomaly decisions").await?;
        items.iter().map(|i| read(i, "anomaly decisions")).collect()
    }

    /// The operators' verdicts of one day, in the order they acted.
    pub async fn outbox_verdicts(&self, day: chrono::NaiveDate) -> PortResult<Vec<OperatorVerdict>> {
        let items =
            self.query_prefix(&self.table, format!("VERDICTS#{day}"), &day.to_string(), "operator verdicts").await?;
        items.iter().map(|i| read(i, "operator verdicts")).collect()
    }
}

/// Operators' verdicts wait beside the decisions (`VERDICTS#<date>`, `<time>#<venue>`,
/// kept 30 days), so an override never loses its verdict while Aurora is down.
impl VerdictLog for DynamoStore {
    async fn record_verdict(&self, v: &OperatorVerdict) -> PortResult<()> {
        let sk = format!("{}#{}", v.at.format("%Y-%m-%dT%H:%M:%S%.3fZ"), v.venue);
        self.write_all(&self.table, vec![outbox_item("VERDICTS", v.at, sk, v)], "operator verdict").await
    }
}

impl DynamoStore {
    /// Puts `value` as `<partition>` / `VENUE#<venue>` if the stored version is
    /// `version - 1` (or there is none and `version` is 1); false when another writer won.
    async fn put_versioned(
        &self,
        partition: &str,
        venue: &str,
        value: &impl Serialize,
        version: u64,
        what: &'static str,
    ) -> PortResult<bool> {
        let mut item = key(partition, format!("VENUE#{venue}"));
        item.insert("doc".into(), doc(value));
        item.insert("version".into(), n(version));
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = if version <= 1 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :previous").expression_attribute_values(":previous", n(version - 1))
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(port_error(what, e)),
        }
    }
}

impl ReadModel for DynamoStore {
    async fn put_job(&self, job: &Job) -> PortResult<()> {
        let mut item = key(job_pk(&job.id), "HEADER");
        item.insert("doc".into(), doc(job));
        self.client
            .put_item()
            .table_name(&self.views)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error("job header", e))?;
        Ok(())
    }

    async fn record_batch(&self, job_id: &str, batch: &BatchSummary, views: &[TradeView]) -> PortResult<()> {
        // The views are written before any of them can move (the batch is not submitted
        // yet), so rewriting them on a retry loses nothing.
        self.write_all(&self.views, views.iter().map(|v| Self::view_item(job_id, v)).collect(), "trade views").await?;
        let mut item = key(job_pk(job_id), batch_sk(batch.batch));
        item.insert("batch".into(), n(batch.batch));
        item.insert("accounts".into(), n(batch.accounts));
        item.insert("status".into(), s(batch.status.as_str()));
        if let Some(e) = &batch.error {
            item.insert("error".into(), s(e.clone()));
        }
        for (state, count) in &batch.trades {
            item.insert(format!("n_{}", state.as_str()), n(count));
        }
        item.insert("not_traded".into(), doc(&batch.not_traded));
        self.client
            .put_item()
            .table_name(&self.views)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error("batch summary", e))?;
        Ok(())
    }

    async fn set_batch_status(
        &self,
        job_id: &str,
        batch: u32,
        accounts: u32,
        status: BatchStatus,
        error: Option<&str>,
    ) -> PortResult<()> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.views)
            .set_key(Some(key(job_pk(job_id), batch_sk(batch))))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#error", "error")
            .expression_attribute_names("#accounts", "accounts")
            .expression_attribute_names("#batch", "batch")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":accounts", n(accounts))
            .expression_attribute_values(":batch", n(batch));
        let set = "SET #status = :status, #accounts = if_not_exists(#accounts, :accounts), #batch = :batch";
        update = match error {
            Some(e) => {
                update.update_expression(format!("{set}, #error = :error")).expression_attribute_values(":error", s(e))
            }
            None => update.update_expression(format!("{set} REMOVE #error")),
        };
        update.send().await.map_err(|e| port_error("batch summary", e))?;
        Ok(())
    }

    async fn advance_trade(&self, job_id: &str, trade_key: &str, order: &Order) -> PortResult<()> {
        let to = TradeState::of_order(order.state);
        for _ in 0..CAS_ATTEMPTS {
            let Some(item) = self.get(&self.views, job_pk(job_id), format!("TRADE#{trade_key}"), "trade view").await?
            else {
                return Ok(());
            };
            let mut view: TradeView = read(&item, "trade view")?;
            let from = view.state;
            view.order_id = Some(order.id.clone());
            view.filled = order.filled;
            view.average_price = order.average_price;
            view.state = to;
            let put = Put::builder()
                .table_name(&self.views)
                .set_item(Some(Self::view_item(job_id, &view)))
                .condition_expression("#state = :from")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":from", s(from.as_str()))
                .build()
                .map_err(|e| PortError::new("trade view", e))?;
            // One transaction: the view (if no one moved it meanwhile) and, when its state
            // changes, the batch's counters; a move within the same state (a fill) leaves
            // the counters alone.
            let mut tx =
                self.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build());
            if from != to {
                let counters = Update::builder()
                    .table_name(&self.views)
                    .set_key(Some(key(job_pk(job_id), batch_sk(view.batch))))
                    .update_expression("ADD #to :one, #from :minus")
                    .expression_attribute_names("#to", format!("n_{}", to.as_str()))
                    .expression_attribute_names("#from", format!("n_{}", from.as_str()))
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":minus", n(-1))
                    .build()
                    .map_err(|e| PortError::new("batch summary", e))?;
                tx = tx.transact_items(TransactWriteItem::builder().update(counters).build());
            }
            let result = tx.send().await.map(|_| ()).map_err(|e| {
                if transaction_condition_failed(&e) {
                    None
                } else {
                    Some(port_error("trade view", e))
                }
            });
            match result {
                Ok(()) => return Ok(()),
                // Another writer moved the view: read it again.
                Err(None) => continue,
                Err(Some(e)) => return Err(e),
            }
        }
        Err(PortError::new("trade view", format!("trade {trade_key} kept changing; try again")))
    }

    async fn job_view(&self, job_id: &str) -> PortResult<Option<JobView>> {
        let Some(header) = self.get(&self.views, job_pk(job_id), "HEADER".into(), "job view").await? else {
            return Ok(None);
        };
        let job: Job = read(&header, "job view")?;
        let items = self.query_prefix(&self.views, job_pk(job_id), "BATCH#", "job view").await?;
        let summaries = items.iter().map(Self::summary_from).collect::<PortResult<Vec<_>>>()?;
        Ok(Some(JobView::assemble(&job, &summaries)))
    }

    async fn trade_views(
        &self,
        job_id: &str,
        filter: &TradeFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> PortResult<TradePage> {
        let prefix = match &filter.account {
            Some(a) => format!("TRADE#{a}#"),
            None => "TRADE#".to_string(),
        };
        let mut start = cursor.map(|c| key(job_pk(job_id), format!("TRADE#{c}")));
        let mut trades: Vec<TradeView> = Vec::new();
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.views)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(job_pk(job_id)))
                .expression_attribute_values(":prefix", s(prefix.clone()))
                .limit((limit - trades.len()).clamp(1, 1000) as i32)
                .set_exclusive_start_key(start.take());
            if let Some(state) = filter.state {
                q = q
                    .filter_expression("#state = :state")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":state", s(state.as_str()));
            }
            let out = q.send().await.map_err(|e| port_error("trade views", e))?;
            for item in out.items.unwrap_or_default() {
                trades.push(read(&item, "trade views")?);
            }
            let more = out.last_evaluated_key.filter(|k| !k.is_empty());
            if trades.len() >= limit || more.is_none() {
                let next = if more.is_some() { trades.last().map(TradeView::key) } else { None };
                return Ok(TradePage { trades, next });
            }
            start = more;
        }
    }
}

// ------------------------------------------------------------------ nightly ETF classification
// Partitions of the write table (docs/DATA-MODEL.md): `ETFS` (the reference feed),
// `ETFAPPROVED` (each symbol's current classification: the security master's overlay),
// `ETFREVIEW` (each symbol's current review, with `status` and `run_id` for conditions) and
// `ETFRUN` (one item per nightly run); sort key `SYM#<symbol>` or `RUN#<run id>`.

const ETF_FEED: &str = "ETFS";
const ETF_APPROVED: &str = "ETFAPPROVED";
const ETF_REVIEW: &str = "ETFREVIEW";
const ETF_RUN: &str = "ETFRUN";

impl DynamoStore {
    /// Loads the ETF reference feed (a nightly load, or seeding a test): one item per symbol.
    pub async fn put_etf_feed(&self, etfs: &[ballast_ml::etf::EtfRecord]) -> PortResult<()> {
        let items = etfs
            .iter()
            .map(|e| {
                let mut item = key(ETF_FEED, format!("SYM#{}", e.symbol));
                item.insert("doc".into(), doc(e));
                item
            })
            .collect();
        self.write_all(&self.table, items, "ETF feed").await
    }

    fn review_item(r: &ReviewItem) -> HashMap<String, AttributeValue> {
        let mut item = key(ETF_REVIEW, format!("SYM#{}", r.symbol));
        item.insert("doc".into(), doc(r));
        item.insert("status".into(), s(r.status.as_str()));
        item.insert("run_id".into(), s(r.run_id.clone()));
        item
    }
}

use ballast_flow::etf::{
    Approved, EtfFeed, EtfRun, EtfStore, FeedRead, ReviewDecision, ReviewItem, ReviewStatus, Verdict,
};

impl EtfFeed for DynamoStore {
    /// An item that does not parse is reported, not fatal: the rest of the feed is used.
    async fn etfs(&self) -> PortResult<FeedRead> {
        let items = self.query_prefix(&self.table, ETF_FEED.into(), "SYM#", "ETF feed").await?;
        let mut read = FeedRead::default();
        for item in &items {
            match read_doc::<ballast_ml::etf::EtfRecord>(item) {
                Ok(e) => read.etfs.push(e),
                Err(why) => read.issues.push(format!("{}: {why}", text(item, "sk").unwrap_or("?"))),
            }
        }
        Ok(read)
    }
}

fn read_doc<T: DeserializeOwned>(item: &HashMap<String, AttributeValue>) -> Result<T, String> {
    let text = item.get("doc").and_then(|v| v.as_s().ok()).ok_or("item without a doc")?;
    serde_json::from_str(text).map_err(|e| format!("unreadable item: {e}"))
}

impl EtfStore for DynamoStore {
    async fn approvals(&self) -> PortResult<Vec<Approved>> {
        let items = self.query_prefix(&self.table, ETF_APPROVED.into(), "SYM#", "ETF approvals").await?;
        items.iter().map(|i| read(i, "ETF approvals")).collect()
    }

    async fn put_approvals(&self, approvals: &[Approved]) -> PortResult<()> {
        let items = approvals
            .iter()
            .map(|a| {
                let mut item = key(ETF_APPROVED, format!("SYM#{}", a.symbol));
                item.insert("doc".into(), doc(a));
                item
            })
            .collect();
        self.write_all(&self.table, items, "ETF approvals").await
    }

    /// Conditional per item: a review pending in the same run is left as it is, so a
    /// retried step does not reopen or rewrite it.
    async fn put_reviews(&self, items: &[ReviewItem]) -> PortResult<()> {
        for r in items {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(Self::review_item(r)))
                .condition_expression("attribute_not_exists(pk) OR run_id <> :run OR #status <> :pending")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":run", s(r.run_id.clone()))
                .expression_attribute_values(":pending", s(ReviewStatus::Pending.as_str()));
            match put.send().await {
                Ok(_) => {}
                Err(e) if condition_failed(&e) => {}
                Err(e) => return Err(port_error("ETF reviews", e)),
            }
        }
        Ok(())
    }

    async fn reviews(&self, status: Option<ReviewStatus>) -> PortResult<Vec<ReviewItem>> {
        let items = self.query_prefix(&self.table, ETF_REVIEW.into(), "SYM#", "ETF reviews").await?;
        items
            .iter()
            .filter(|i| status.is_none_or(|st| text(i, "status") == Some(st.as_str())))
            .map(|i| read(i, "ETF reviews"))
            .collect()
    }

    async fn review(&self, symbol: &str) -> PortResult<Option<ReviewItem>> {
        match self.get(&self.table, ETF_REVIEW.into(), format!("SYM#{symbol}"), "ETF reviews").await? {
            Some(item) => read(&item, "ETF reviews").map(Some),
            None => Ok(None),
        }
    }

    /// Read, then write on the condition that the review is still pending in the same run:
    /// of two reviewers deciding at once, exactly one wins.
    async fn decide(
        &self,
        symbol: &str,
        run_id: Option<&str>,
        decision: &ReviewDecision,
    ) -> PortResult<Option<ReviewItem>> {
        let Some(mut review) = self.review(symbol).await? else {
            return Ok(None);
        };
        if review.status != ReviewStatus::Pending || run_id.is_some_and(|id| id != review.run_id) {
            return Ok(None);
        }
        review.status = match decision.verdict {
            Verdict::Approve => ReviewStatus::Approved,
            Verdict::Override { .. } => ReviewStatus::Overridden,
        };
        review.decision = Some(decision.clone());
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::review_item(&review)))
            .condition_expression("run_id = :run AND #status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":run", s(review.run_id.clone()))
            .expression_attribute_values(":pending", s(ReviewStatus::Pending.as_str()));
        match put.send().await {
            Ok(_) => Ok(Some(review)),
            Err(e) if condition_failed(&e) => Ok(None),
            Err(e) => Err(port_error("ETF reviews", e)),
        }
    }

    async fn put_run(&self, run: &EtfRun) -> PortResult<()> {
        let mut item = key(ETF_RUN, format!("RUN#{}", run.run_id));
        item.insert("doc".into(), doc(run));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error("ETF runs", e))?;
        Ok(())
    }

    async fn run(&self, run_id: &str) -> PortResult<Option<EtfRun>> {
        match self.get(&self.table, ETF_RUN.into(), format!("RUN#{run_id}"), "ETF runs").await? {
            Some(item) => read(&item, "ETF runs").map(Some),
            None => Ok(None),
        }
    }
}
