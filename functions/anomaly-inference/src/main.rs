//! anomaly-inference: market-center telemetry from SQS (orders sent, execution reports)
//! → windows → the RCF endpoint → venue health (DynamoDB), held orders released on
//! recovery, decisions recorded (DynamoDB outbox, then Aurora); partial batch failures for what could not be read.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use ballast_aws::{Platform, SageMakerScorer};
use ballast_flow::anomaly::{Detection, Outboxed};
use ballast_flow::health::HealthPolicy;
use ballast_lambda::env_number;
use ballast_ml::telemetry::TelemetryConfig;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    let endpoint = std::env::var("BALLAST_ANOMALY_ENDPOINT").map_err(|_| "BALLAST_ANOMALY_ENDPOINT is not set")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let scorer = &SageMakerScorer::new(
        ballast_aws::sagemaker_runtime(&sdk),
        endpoint,
        env_number("BALLAST_ANOMALY_SHINGLE", 8)?,
        env_number("BALLAST_ANOMALY_THRESHOLD", 1.5)?,
    );
    let training = &ballast_aws::training_database(&sdk)?;
    let config =
        TelemetryConfig { max_orders: env_number("BALLAST_TELEMETRY_MAX_ORDERS", 1000)?, ..Default::default() };
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let s = &p.store;
        let detection = Detection {
            telemetry: s,
            scorer,
            decisions: &Outboxed { outbox: s, training },
            orders: s,
            gateway: &p.gateway,
            views: s,
            reference: &p.reference,
            config,
            policy: HealthPolicy::default(),
        };
        let (response, _) = ballast_lambda::telemetry::handle(
            &event.payload,
            &detection,
            chrono::Utc::now(),
            ballast_lambda::trade_date(),
        )
        .await;
        Ok::<SqsBatchResponse, Error>(response)
    }))
    .await
}
