//! etf-classification (the nightly ETF workflow's tasks): `classify` new or changed ETFs
//! through the classifier endpoint (auto-approve or send to review with a rationale),
//! `await_review` (keep the task token), `review_overdue`, `publish`. Every classification
//! goes to the training store (Aurora).

use ballast_aws::{sagemaker_runtime, Platform, RationaleSource, SageMakerEtfClassifier, SfnTaskTokens};
use ballast_flow::etf::{Nightly, NightlyConfig};
use ballast_lambda::env_number;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    let endpoint = std::env::var("BALLAST_ETF_ENDPOINT").map_err(|_| "BALLAST_ETF_ENDPOINT is not set")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let classifier = &SageMakerEtfClassifier::new(sagemaker_runtime(&sdk), endpoint);
    let rationale = &RationaleSource::from_env(&sdk);
    let log = &ballast_aws::training_database(&sdk)?;
    let tokens = &SfnTaskTokens::new(p.clients.sfn.clone());
    let defaults = NightlyConfig::default();
    let config = NightlyConfig {
        auto_approve_confidence: env_number("BALLAST_ETF_AUTO_APPROVE", defaults.auto_approve_confidence)?,
        batch_size: env_number("BALLAST_ETF_BATCH", defaults.batch_size)?,
    };
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let nightly = Nightly { feed: &p.store, classifier, rationale, store: &p.store, log, config };
        ballast_lambda::etf::nightly_task(event.payload, &nightly, tokens, chrono::Utc::now()).await
    }))
    .await
}
