//! execution-reports (SQS): market centers' execution reports move orders and the read
//! side; a message that cannot be applied is a batch item failure (its queue's redrive
//! policy moves it to the dead-letter queue after maxReceiveCount), the rest are applied.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use ballast_aws::Platform;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let s = &p.store;
        Ok::<SqsBatchResponse, Error>(ballast_lambda::reports::handle(&event.payload, s, s, s).await)
    }))
    .await
}
