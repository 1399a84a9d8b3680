//! venues: `GET /venues`, `PUT /venues/{venue}/override`, `DELETE /venues/{venue}/override`
//! (API Gateway) — market-center health and operators' overrides; lifting a halt releases
//! the orders held for the venue. What an override says of the detector (an operator's
//! verdict) goes to the DynamoDB outbox, then to Aurora when `BALLAST_DB_*` is set.

use ballast_aws::Platform;
use ballast_flow::anomaly::Outboxed;
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ballast_lambda::init_tracing();
    let p = &Platform::from_env().await?;
    // Deployed without the models there is no Aurora: the outbox alone keeps the verdicts.
    let training = &match std::env::var_os("BALLAST_DB_HOST").or_else(|| std::env::var_os("BALLAST_DB_URL")) {
        Some(_) => {
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Some(ballast_aws::training_database(&sdk)?)
        }
        None => None,
    };
    run(service_fn(move |request: Request| async move {
        let s = &p.store;
        Ok::<_, Error>(
            ballast_lambda::api::venues(
                &request,
                s,
                &p.gateway,
                s,
                &Outboxed { outbox: s, training },
                &p.reference,
                chrono::Utc::now(),
                ballast_lambda::trade_date(),
            )
            .await,
        )
    }))
    .await
}
