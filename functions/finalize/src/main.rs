//! finalize (Step Functions tasks): `finalize` closes a job once every batch has run;
//! `fail_batch` (the Catch path) records why a batch failed.

use ballast_aws::Platform;
use ballast_lambda::steps::{StepFailure, StepInput};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |event: LambdaEvent<StepInput>| async move {
        let input = event.payload;
        let s = &p.store;
        if input.action.as_deref() == Some("fail_batch") {
            let batch = input.batch()?;
            ballast_flow::fail_batch(s, s, &input.job_id, batch, &input.failure()).await.map_err(StepFailure)?;
            return Ok::<Value, StepFailure>(json!({ "job_id": input.job_id, "batch": batch, "status": "failed" }));
        }
        let status = ballast_flow::finalize_job(s, s, &input.job_id).await.map_err(StepFailure)?;
        Ok(json!({ "job_id": input.job_id, "status": status.as_str() }))
    }))
    .await
}
