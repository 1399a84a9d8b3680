//! The nightly ETF batch against the local services, timed: 2,000 new ETFs (the bundled
//! file's funds under new symbols, its labels removed) through `Nightly::classify` with the
//! real adapters — the feed, approvals and reviews in DynamoDB Local, the classifier on the
//! project's model server through `aws-sdk-sagemakerruntime`, every classification into
//! PostgreSQL (the training store). Baseline in the same run: the same 2,000 through the
//! endpoint alone, in the same batches. Medians of `RUNS` runs, each on a fresh run id
//! and fresh symbols so every ETF is new.
//!
//!   make services && cargo run --release -p ballast-tests --example etf_nightly_local

use std::time::{Duration, Instant};

use ballast_aurora::{migrate, Database, DbConfig, StaticPassword};
use ballast_aws::{create_tables, local_sagemaker_runtime, Clients, Config, DynamoStore, SageMakerEtfClassifier};
use ballast_flow::etf::{EtfClassifier, Nightly, NightlyConfig, TemplateRationale};
use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, EtfRecord};

const ETFS: usize = 2_000;
const RUNS: usize = 5;
const BATCH: usize = 100;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn feed(all: &[EtfRecord], run: usize) -> Vec<EtfRecord> {
    (0..ETFS)
        .map(|i| {
            let mut e = all[i % all.len()].clone();
            e.symbol = format!("N{run}X{i:04}");
            if i >= all.len() {
                e.name = format!("{} II", e.name);
            }
            e.category_group = None;
            e.category = None;
            e
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (all, _) = read_csv(include_bytes!("../../shared/ml/data/etfs/etfs_us_arca.csv"));
    let fit = Instant::now();
    let model = EtfModel::fit(&all, &EtfModelConfig::default());
    println!("model fitted on {} ETFs in {:.1} s", all.len(), fit.elapsed().as_secs_f64());
    let dir = std::env::temp_dir().join(format!("ballast-etf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    model.write_file(&dir.join(ballast_model_server::models::ARTIFACT_FILE)).unwrap();
    let model_url = ballast_tests::serve_model("ballast-etf", &dir).await;

    let config = Config::from_env().unwrap();
    let clients = Clients::local(&config);
    let name = format!("etfbench-{}", std::process::id());
    let classifier = SageMakerEtfClassifier::new(local_sagemaker_runtime(&model_url), "ballast-etf");
    let url = std::env::var("BALLAST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/ballast".into());
    let db_config = DbConfig::from_url(&url).unwrap();
    migrate(&mut db_config.connect(None).await.expect("PostgreSQL is up (make services)")).await.unwrap();
    let training = Database::new(db_config, std::sync::Arc::new(StaticPassword(None)));

    let (mut endpoint, mut night, mut reviews) = (Vec::new(), Vec::new(), 0);
    for run in 0..RUNS {
        let etfs = feed(&all, run);
        let t = Instant::now();
        for chunk in etfs.chunks(BATCH) {
            classifier.classify(chunk).await.unwrap();
        }
        endpoint.push(t.elapsed());

        // Tables of its own per run: every run reads a feed of the same size.
        let (table, views) = (format!("{name}-{run}-ballast"), format!("{name}-{run}-views"));
        create_tables(&clients, &table, &views).await.expect("the local services are up (make services)");
        let store = DynamoStore::new(clients.dynamodb.clone(), &table, &views);
        store.put_etf_feed(&etfs).await.unwrap();
        let nightly = Nightly {
            feed: &store,
            classifier: &classifier,
            rationale: &TemplateRationale,
            store: &store,
            log: &training,
            config: NightlyConfig { batch_size: BATCH, ..Default::default() },
        };
        let run_id = format!("{name}-run{run}");
        let t = Instant::now();
        let report = nightly.classify(&run_id, chrono::Utc::now()).await.unwrap();
        night.push(t.elapsed());
        assert_eq!(report.classified, ETFS, "every ETF of the run is new");
        reviews = report.pending_reviews;
        println!(
            "run {run}: endpoint alone {:.2} s, nightly step {:.2} s ({} auto-approved, {} to review)",
            endpoint[run].as_secs_f64(),
            night[run].as_secs_f64(),
            report.auto_approved,
            report.pending_reviews
        );
    }
    let (e, n) = (median(endpoint), median(night));
    println!("\n{ETFS} ETFs, medians of {RUNS} runs ({reviews} reviews in the last):");
    println!("  baseline: the endpoint alone, batches of {BATCH}: {:.2} s", e.as_secs_f64());
    println!("  the nightly step over DynamoDB Local, the endpoint and PostgreSQL: {:.2} s", n.as_secs_f64());
    println!("  ratio: {:.2}", n.as_secs_f64() / e.as_secs_f64());
}
