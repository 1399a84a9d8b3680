//! Configuration from the environment (set by the CDK app in AWS, by the tests and
//! `make watch` locally) and the SDK clients, built once per Lambda container.

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Where everything is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The write-side table (`BALLAST_TABLE`, default `ballast`).
    pub table: String,
    /// The read-side table (`BALLAST_VIEWS_TABLE`, default `ballast-views`).
    pub views_table: String,
    /// Market center → FIFO queue URL (`BALLAST_ORDER_QUEUES`, a JSON object).
    pub order_queues: BTreeMap<String, String>,
    /// Queue for a market center not in the map (`BALLAST_ORDER_QUEUE_DEFAULT`).
    pub default_order_queue: Option<String>,
    /// The rebalance state machine (`BALLAST_STATE_MACHINE_ARN`).
    pub state_machine_arn: String,
    /// The anomaly detector's queue, told of every order sent (`BALLAST_TELEMETRY_QUEUE`).
    pub telemetry_queue: Option<String>,
    /// Endpoint overrides for local services: DynamoDB (`BALLAST_DYNAMODB_ENDPOINT`) and
    /// SQS + Step Functions (`BALLAST_AWS_ENDPOINT`).
    pub dynamodb_endpoint: Option<String>,
    pub aws_endpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let order_queues = match var("BALLAST_ORDER_QUEUES") {
            None => BTreeMap::new(),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                ConfigError(format!("BALLAST_ORDER_QUEUES is not a JSON object of venue to queue URL: {e}"))
            })?,
        };
        Ok(Config {
            table: var("BALLAST_TABLE").unwrap_or_else(|| "ballast".into()),
            views_table: var("BALLAST_VIEWS_TABLE").unwrap_or_else(|| "ballast-views".into()),
            order_queues,
            default_order_queue: var("BALLAST_ORDER_QUEUE_DEFAULT"),
            state_machine_arn: var("BALLAST_STATE_MACHINE_ARN").unwrap_or_default(),
            telemetry_queue: var("BALLAST_TELEMETRY_QUEUE"),
            dynamodb_endpoint: var("BALLAST_DYNAMODB_ENDPOINT"),
            aws_endpoint: var("BALLAST_AWS_ENDPOINT"),
        })
    }
}

/// The SDK settings for local services: static test credentials, us-east-1.
pub(crate) fn local_sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "ballast-local"),
        ))
        .build()
}

/// The SDK clients.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sfn: aws_sdk_sfn::Client,
}

impl Clients {
    /// Clients from the standard AWS configuration chain (the Lambda's role), with the
    /// configured endpoint overrides.
    pub async fn from_env(config: &Config) -> Clients {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self::with(&sdk, config)
    }

    /// Clients for local services: static test credentials, us-east-1, the endpoints of
    /// `config` (defaults: DynamoDB Local on :8000, moto on :5005).
    pub fn local(config: &Config) -> Clients {
        let (dynamodb, aws) = Self::local_endpoints(config);
        let config = Config { dynamodb_endpoint: Some(dynamodb), aws_endpoint: Some(aws), ..config.clone() };
        Self::with(&local_sdk_config(), &config)
    }

    /// The DynamoDB and SQS/Step Functions endpoints [`Clients::local`] uses.
    pub fn local_endpoints(config: &Config) -> (String, String) {
        (
            config.dynamodb_endpoint.clone().unwrap_or_else(|| "http://127.0.0.1:8000".into()),
            config.aws_endpoint.clone().unwrap_or_else(|| "http://127.0.0.1:5005".into()),
        )
    }

    fn with(sdk: &SdkConfig, config: &Config) -> Clients {
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk);
        if let Some(url) = &config.dynamodb_endpoint {
            dynamodb = dynamodb.endpoint_url(url);
        }
        let mut sqs = aws_sdk_sqs::config::Builder::from(sdk);
        let mut sfn = aws_sdk_sfn::config::Builder::from(sdk);
        if let Some(url) = &config.aws_endpoint {
            sqs = sqs.endpoint_url(url);
            sfn = sfn.endpoint_url(url);
        }
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            sfn: aws_sdk_sfn::Client::from_conf(sfn.build()),
        }
    }
}
