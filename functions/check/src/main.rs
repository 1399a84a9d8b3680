//! check (Step Functions task): every proposed trade of one batch through the pre-trade
//! checks, from the in-process reference cache.

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
        Ok::<StepReport, StepFailure>(
            ballast_flow::check_batch(s, s, &p.reference, s, &input.job_id, input.batch()?).await?,
        )
    }))
    .await
}
