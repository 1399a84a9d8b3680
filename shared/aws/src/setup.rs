//! Creating the tables, queues and state machine, for local services and tests (in AWS
//! the CDK app owns them; these mirror its definitions). Every function is idempotent.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use ballast_flow::ports::{PortError, PortResult};

use crate::{port_error, Clients};

/// The rebalance state machine (Amazon States Language), with `${...}Arn` placeholders.
pub const REBALANCE_DEFINITION: &str = include_str!("../../../infra/statemachine/rebalance.asl.json");

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("name and type are set")
}

fn attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn index(name: &str, hash: &str, range: Option<&str>, projection: ProjectionType) -> GlobalSecondaryIndex {
    let mut keys = vec![key(hash, KeyType::Hash)];
    if let Some(r) = range {
        keys.push(key(r, KeyType::Range));
    }
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(keys))
        .projection(Projection::builder().projection_type(projection).build())
        .build()
        .expect("name, keys and projection are set")
}

/// Creates the write table (with its `by_job`, `by_household`, `by_model` and `by_held` indexes and
/// the `expires_at` TTL) and the read table, unless they exist; waits until both are ACTIVE.
pub async fn create_tables(clients: &Clients, table: &str, views_table: &str) -> PortResult<()> {
    let db = &clients.dynamodb;
    let base = |name: &str| {
        db.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .attribute_definitions(attribute("pk"))
            .attribute_definitions(attribute("sk"))
    };
    let write = base(table)
        .attribute_definitions(attribute("gsi1pk"))
        .attribute_definitions(attribute("gsi1sk"))
        .attribute_definitions(attribute("household"))
        .attribute_definitions(attribute("model"))
        .attribute_definitions(attribute("held_for"))
        .global_secondary_indexes(index("by_job", "gsi1pk", Some("gsi1sk"), ProjectionType::All))
        .global_secondary_indexes(index("by_household", "household", Some("pk"), ProjectionType::KeysOnly))
        .global_secondary_indexes(index("by_model", "model", Some("pk"), ProjectionType::KeysOnly))
        .global_secondary_indexes(index("by_held", "held_for", Some("pk"), ProjectionType::All));
    for (name, request) in [(table, write), (views_table, base(views_table))] {
        match request.send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(port_error("create table", e)),
        }
        for _ in 0..600 {
            let d = db.describe_table().table_name(name).send().await.map_err(|e| port_error("describe table", e))?;
            if d.table.and_then(|t| t.table_status).is_some_and(|s| s.as_str() == "ACTIVE") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    // Idempotency keys expire; setting TTL twice is refused, which is fine.
    let _ = db
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name("expires_at").enabled(true).build().expect("set"),
        )
        .send()
        .await;
    Ok(())
}

/// The queues of one deployment.
#[derive(Debug, Clone, Default)]
pub struct Queues {
    /// Market center → FIFO order queue URL.
    pub orders: BTreeMap<String, String>,
    pub execution_reports: String,
    /// The anomaly detector's queue: orders sent and execution reports.
    pub telemetry: String,
    /// Queue URL → its dead-letter queue URL.
    pub dead_letters: BTreeMap<String, String>,
}

async fn queue(
    clients: &Clients,
    name: &str,
    fifo: bool,
    dlq_arn: Option<&str>,
    max_receives: u32,
) -> PortResult<String> {
    let mut request = clients.sqs.create_queue().queue_name(name);
    if fifo {
        request = request
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
    }
    if let Some(arn) = dlq_arn {
        request = request.attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": max_receives.to_string() }).to_string(),
        );
    }
    let out = request.send().await.map_err(|e| port_error("create queue", e))?;
    out.queue_url.ok_or_else(|| PortError::new("create queue", format!("no URL for {name}")))
}

async fn arn(clients: &Clients, url: &str) -> PortResult<String> {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| port_error("queue attributes", e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| PortError::new("queue attributes", format!("no ARN for {url}")))
}

/// A FIFO order queue per market center, a standard execution-report queue and the
/// anomaly detector's telemetry queue, each
/// with a dead-letter queue after `max_receives` receives. Names start with `prefix`.
pub async fn create_queues(clients: &Clients, prefix: &str, venues: &[&str], max_receives: u32) -> PortResult<Queues> {
    let mut queues = Queues::default();
    for venue in venues {
        let dlq = queue(clients, &format!("{prefix}-orders-{venue}-dlq.fifo"), true, None, 0).await?;
        let dlq_arn = arn(clients, &dlq).await?;
        let url = queue(clients, &format!("{prefix}-orders-{venue}.fifo"), true, Some(&dlq_arn), max_receives).await?;
        queues.dead_letters.insert(url.clone(), dlq);
        queues.orders.insert(venue.to_string(), url);
    }
    for name in ["execution-reports", "execution-telemetry"] {
        let dlq = queue(clients, &format!("{prefix}-{name}-dlq"), false, None, 0).await?;
        let dlq_arn = arn(clients, &dlq).await?;
        let url = queue(clients, &format!("{prefix}-{name}"), false, Some(&dlq_arn), max_receives).await?;
        queues.dead_letters.insert(url.clone(), dlq);
        if name == "execution-reports" {
            queues.execution_reports = url;
        } else {
            queues.telemetry = url;
        }
    }
    Ok(queues)
}

/// Creates (or finds) the rebalance state machine named `name`, its tasks pointing at
/// `functions` (placeholder → ARN, e.g. `RebalanceFunctionArn`). Returns its ARN.
///
/// The local emulator's parser does not know `ToleratedFailurePercentage`; pass
/// `for_emulator` to express the same tolerance as a count of failures it accepts.
pub async fn create_state_machine(
    clients: &Clients,
    name: &str,
    role_arn: &str,
    functions: &BTreeMap<String, String>,
    for_emulator: bool,
) -> PortResult<String> {
    let mut definition = REBALANCE_DEFINITION.to_string();
    for (placeholder, arn) in functions {
        definition = definition.replace(&format!("${{{placeholder}}}"), arn);
    }
    if for_emulator {
        definition = definition.replace("\"ToleratedFailurePercentage\": 100", "\"ToleratedFailureCount\": 100000");
    }
    let r = clients.sfn.create_state_machine().name(name).role_arn(role_arn).definition(definition).send().await;
    match r {
        Ok(out) => Ok(out.state_machine_arn),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_state_machine_already_exists()) => {
            let list = clients.sfn.list_state_machines().send().await.map_err(|e| port_error("state machines", e))?;
            list.state_machines
                .into_iter()
                .find(|m| m.name == name)
                .map(|m| m.state_machine_arn)
                .ok_or_else(|| PortError::new("state machine", format!("{name} exists but is not listed")))
        }
        Err(e) => Err(port_error("create state machine", e)),
    }
}

/// A whole deployment on the local services (tests, `make watch`): both tables, the
/// queues, and the state machine named `<prefix>-rebalance` with its tasks pointing at
/// functions named `<prefix>-<task>` (the emulator does not run them). Returns the queues
/// and the state machine's ARN.
pub async fn create_local_deployment(
    clients: &Clients,
    table: &str,
    views_table: &str,
    prefix: &str,
    venues: &[&str],
    max_receives: u32,
) -> PortResult<(Queues, String)> {
    create_tables(clients, table, views_table).await?;
    let queues = create_queues(clients, prefix, venues, max_receives).await?;
    let functions: BTreeMap<String, String> = ["Rebalance", "Check", "Submit", "Finalize"]
        .iter()
        .map(|f| {
            let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{prefix}-{}", f.to_lowercase());
            (format!("{f}FunctionArn"), arn)
        })
        .collect();
    let role = "arn:aws:iam::123456789012:role/ballast-sfn";
    let machine = create_state_machine(clients, &format!("{prefix}-rebalance"), role, &functions, true).await?;
    Ok((queues, machine))
}
