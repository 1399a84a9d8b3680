//! etf-review: `GET /etf-reviews` (the review queue) and `POST /etf-reviews/{symbol}` (a
//! reviewer approves or overrides, once): the approval updates the security master, the
//! decision goes to the training store, the nightly workflow resumes after the last one.

use ballast_aws::{Platform, SfnTaskTokens};
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let log = &ballast_aws::training_database(&sdk)?;
    let tokens = &SfnTaskTokens::new(p.clients.sfn.clone());
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(ballast_lambda::etf::etf_reviews(&request, &p.store, tokens, log, chrono::Utc::now()).await)
    }))
    .await
}
