//! `ballast-local setup`: creates the tables, queues and state machine on the local
//! services (`make services`), loads a generated book (accounts and reference data), and
//! loads a sample ETF feed, migrates the training store (PostgreSQL), and
//! writes the functions' environment to an env file for `cargo lambda watch`
//! (`make watch` runs it first).

use std::process::ExitCode;

use ballast_aws::{create_local_deployment, Clients, Config, DynamoReferenceSource, DynamoStore};
use ballast_flow::ports::AccountStore;

const VENUES: [&str; 7] = ["XNYS", "XNAS", "ARCX", "BATS", "FUNDSERV", "TRACE", "OTC"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    if args.get(1).map(String::as_str) != Some("setup") {
        eprintln!("usage: ballast-local setup [--accounts N] [--prefix NAME] [--env-file PATH]");
        return ExitCode::from(2);
    }
    let accounts: u64 = value("--accounts", "20").parse().unwrap_or(20);
    let env_file = value("--env-file", ".local/lambda.env");
    let prefix = value("--prefix", "ballast");
    match setup(accounts, &prefix, &env_file).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ballast-local: {e}; are the local services up (make services)?");
            ExitCode::FAILURE
        }
    }
}

async fn setup(accounts: u64, prefix: &str, env_file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let clients = Clients::local(&config);
    let (queues, machine) =
        create_local_deployment(&clients, &config.table, &config.views_table, prefix, &VENUES, 3).await?;
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file)?;
    let book: Vec<_> = (0..accounts).map(|i| ballast_synth::account(42, i, &universe)).collect();
    DynamoStore::new(clients.dynamodb.clone(), &config.table, &config.views_table).put_accounts(&book).await?;
    DynamoReferenceSource::new(clients.dynamodb.clone(), &config.table).put_reference(&file).await?;
    // The nightly ETF run's feed: a sample of the bundled ETFs, with the funds the sample
    // events review (BZQ, AGQ), and the training store's tables.
    let (etfs, _) = ballast_ml::etf::read_csv(include_bytes!("../../../shared/ml/data/etfs/etfs_us_arca.csv"));
    let sample: Vec<_> = etfs
        .into_iter()
        .enumerate()
        .filter(|(i, e)| i % 40 == 0 || ["BZQ", "AGQ"].contains(&e.symbol.as_str()))
        .map(|(_, e)| e)
        .collect();
    DynamoStore::new(clients.dynamodb.clone(), &config.table, &config.views_table).put_etf_feed(&sample).await?;
    let db_url =
        std::env::var("BALLAST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/ballast".into());
    let mut db = ballast_aurora::DbConfig::from_url(&db_url)?.connect(None).await?;
    ballast_aurora::migrate(&mut db).await?;
    let model_endpoint = std::env::var("BALLAST_SAGEMAKER_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let endpoints = Clients::local_endpoints(&config);
    let env = [
        ("BALLAST_TABLE", config.table.clone()),
        ("BALLAST_VIEWS_TABLE", config.views_table.clone()),
        ("BALLAST_ORDER_QUEUES", serde_json::to_string(&queues.orders)?),
        ("BALLAST_STATE_MACHINE_ARN", machine),
        ("BALLAST_DYNAMODB_ENDPOINT", endpoints.0),
        ("BALLAST_AWS_ENDPOINT", endpoints.1),
        ("BALLAST_TRADE_DATE", file.trade_date.to_string()),
        ("BALLAST_ETF_ENDPOINT", "ballast-etf".into()),
        ("BALLAST_SAGEMAKER_ENDPOINT", model_endpoint),
        ("BALLAST_BEDROCK_MODEL_ID", "deterministic".into()),
        ("BALLAST_DB_URL", db_url),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
    ];
    // Dotenv lines; single quotes keep the JSON value whole.
    let text: String = env.iter().map(|(k, v)| format!("{k}='{v}'\n")).collect();
    if let Some(dir) = std::path::Path::new(env_file).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(env_file, text)?;
    println!(
        "local platform ready: tables {} and {}, {} order queues, state machine {prefix}-rebalance, {accounts} accounts; environment in {env_file}",
        config.table,
        config.views_table,
        queues.orders.len()
    );
    Ok(())
}
