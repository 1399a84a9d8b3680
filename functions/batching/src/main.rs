//! batching: `POST /rebalances` (API Gateway) → a job of batch manifests in DynamoDB and
//! its Step Functions execution; 202 with the job id and its status URL.

use ballast_aws::Platform;
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |request: Request| async move {
        let s = &p.store;
        let now = chrono::Utc::now();
        Ok::<_, Error>(
            ballast_lambda::api::post_rebalances(&request, s, s, &p.workflow, s, now, ballast_lambda::trade_date())
                .await,
        )
    }))
    .await
}
