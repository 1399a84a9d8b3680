//! query: `GET /rebalances/{id}` and `GET /rebalances/{id}/trades`, from the read side.

use ballast_aws::Platform;
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(ballast_lambda::api::get_rebalance(&request, &p.store).await)
    }))
    .await
}
