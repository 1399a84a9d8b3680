//! venues: `GET /venues`, `PUT /venues/{venue}/override`, `DELETE /venues/{venue}/override`
//! (API Gateway) — market-center health and operators' overrides; lifting a halt releases
//! the orders held for the venue.

use ballast_aws::Platform;
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    run(service_fn(move |request: Request| async move {
        let s = &p.store;
        Ok::<_, Error>(
            ballast_lambda::api::venues(
                &request,
                s,
                &p.gateway,
                s,
                &p.reference,
                chrono::Utc::now(),
                ballast_lambda::trade_date(),
            )
            .await,
        )
    }))
    .await
}
