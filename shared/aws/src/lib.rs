//! The AWS adapters of the flow's ports (ballast-flow): DynamoDB for jobs, accounts,
//! orders, the read side and the reference data; SQS FIFO queues to the market centers;
//! Step Functions for the rebalance workflow. Each adapter keeps the conditional
//! semantics its port documents, so a retried step never writes twice. The table design
//! and every access pattern are in docs/DATA-MODEL.md.

mod aurora;
#[cfg(feature = "models")]
mod bedrock;
mod config;
mod dynamo;
mod reference;
#[cfg(feature = "export")]
mod s3;
#[cfg(feature = "models")]
mod sagemaker;
mod setup;
mod sfn;
mod sqs;

pub use aurora::{training_database, IamAuthToken};
#[cfg(feature = "models")]
pub use bedrock::{BedrockRationale, RationaleSource};
pub use config::{Clients, Config, ConfigError};
pub use dynamo::DynamoStore;
pub use reference::DynamoReferenceSource;
#[cfg(feature = "export")]
pub use s3::{s3_client, upload_file, S3Object};
#[cfg(feature = "models")]
pub use sagemaker::{local_sagemaker_runtime, sagemaker_runtime, SageMakerEtfClassifier, SageMakerScorer};
pub use setup::{create_local_deployment, create_queues, create_state_machine, create_tables, Queues};
pub use sfn::{SfnTaskTokens, SfnWorkflow};
pub use sqs::SqsGateway;

// The SDK crates, for callers that need their types (tests, local tools).
#[cfg(feature = "export")]
pub use aws_sdk_s3;
#[cfg(feature = "models")]
pub use {aws_sdk_bedrockruntime, aws_sdk_sagemakerruntime};
pub use {aws_sdk_dynamodb, aws_sdk_sfn, aws_sdk_sqs};

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

/// Everything a function needs, built once per Lambda container from its environment and
/// reused by every invocation it serves.
pub struct Platform {
    pub config: Config,
    pub clients: Clients,
    pub store: DynamoStore,
    pub gateway: SqsGateway,
    pub workflow: SfnWorkflow,
    pub reference: ballast_refcache::ReferenceCache<DynamoReferenceSource>,
}

impl Platform {
    /// From the Lambda's environment (`Config::from_env`) and the standard AWS
    /// credentials chain; reference data cached with the default time to live per part.
    pub async fn from_env() -> Result<Platform, ConfigError> {
        let config = Config::from_env()?;
        let clients = Clients::from_env(&config).await;
        Ok(Self::new(config, clients))
    }

    pub fn new(config: Config, clients: Clients) -> Platform {
        let store = DynamoStore::new(clients.dynamodb.clone(), &config.table, &config.views_table);
        let gateway =
            SqsGateway::new(clients.sqs.clone(), config.order_queues.clone(), config.default_order_queue.clone())
                .with_telemetry(config.telemetry_queue.clone());
        let workflow = SfnWorkflow::new(clients.sfn.clone(), &config.state_machine_arn);
        let reference = ballast_refcache::ReferenceCache::new(
            DynamoReferenceSource::new(clients.dynamodb.clone(), &config.table),
            ballast_refcache::Ttls::default(),
        );
        Platform { config, clients, store, gateway, workflow, reference }
    }
}
