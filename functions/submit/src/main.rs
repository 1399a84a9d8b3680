//! submit (Step Functions task): each passing trade of one batch becomes one order,
//! written once and sent once to its market center's FIFO queue.

use ballast_aws::Platform;
use ballast_flow::StepReport;
use ballast_lambda::steps::{StepFailure, StepInput};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |event: LambdaEvent<StepInput>| async move {
        let input = event.payload;
        let s = &p.store;
        let batch = input.batch()?;
        Ok::<StepReport, StepFailure>(
            ballast_flow::submit_batch(s, s, &p.gateway, s, &p.reference, &input.job_id, batch).await?,
        )
    }))
    .await
}
