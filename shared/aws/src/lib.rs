//! The AWS adapters of the flow's ports (ballast-flow): DynamoDB for jobs, accounts,
//! orders, the read side and the reference data; SQS FIFO queues to the market centers;
//! Step Functions for the rebalance workflow. Each adapter keeps the conditional
//! semantics its port documents, so a retried step never writes twice. The table design
//! and every access pattern are in docs/DATA-MODEL.md.

mod config;
mod dynamo;
mod reference;
mod setup;
mod sfn;
mod sqs;

pub use config::{Clients, Config, ConfigError};
pub use dynamo::DynamoStore;
pub use reference::DynamoReferenceSource;
pub use setup::{create_queues, create_state_machine, create_tables, Queues};
pub use sfn::SfnWorkflow;
pub use sqs::SqsGateway;

use ballast_flow::ports::PortError;

/// An SDK error as a port error, keeping the service's own message.
pub(crate) fn port_error<E, R>(what: &'static str, e: aws_sdk_dynamodb::error::SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match &e {
        aws_sdk_dynamodb::error::SdkError::ServiceError(s) => s.err().to_string(),
        other => format!("{other}: {:?}", std::error::Error::source(other)),
    };
    PortError::new(what, detail)
}
