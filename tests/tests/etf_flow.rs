//! The nightly ETF run against the local services and the project's model server: the
//! feed, approvals and reviews in DynamoDB Local; classification through the real
//! `aws-sdk-sagemakerruntime` client on the model server (`serve` of an `etf-som` model the
//! container's `train` built); every classification and reviewer decision in PostgreSQL
//! (the Aurora training store, migrated by the repo's migrations); the approved flags in
//! the security master the checks read; the training export reading back the reviewer's
//! label.

use ballast_aurora::{export_etf_training, migrate, write_etf_csv, Database, DbConfig, StaticPassword};
use ballast_aws::{
    create_tables, local_sagemaker_runtime, Clients, Config, DynamoReferenceSource, DynamoStore,
    SageMakerEtfClassifier, SfnTaskTokens,
};
use ballast_flow::etf::{
    decide, publish, ClassifyError, DecisionRequest, EtfClassifier, EtfStore, Nightly, NightlyConfig, ReviewStatus,
    TemplateRationale, WithEtfApprovals,
};
use ballast_ml::etf::{read_csv, EtfRecord};
use ballast_refcache::{ReferenceCache, Ttls};

const LOCAL_PG: &str = "postgres://postgres@127.0.0.1:5433/ballast";

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn bundled() -> Vec<EtfRecord> {
    read_csv(include_bytes!("../../shared/ml/data/etfs/etfs_us_arca.csv")).0
}

/// The container's own `train` on `reviewed` (bundled columns, SageMaker's input layout,
/// hyperparameter kind etf-som), then `serve` of the result on a free port; its URL.
async fn model_server(reviewed: &[EtfRecord]) -> String {
    let root = std::env::temp_dir().join(unique("ballast-etf-train"));
    let (input, model_dir) = (root.join("input"), root.join("model"));
    std::fs::create_dir_all(input.join("data/train")).unwrap();
    std::fs::create_dir_all(input.join("config")).unwrap();
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::write(input.join("config/hyperparameters.json"), r#"{"kind": "etf-som"}"#).unwrap();
    let csv = std::fs::File::create(input.join("data/train/etfs.csv")).unwrap();
    write_etf_csv(reviewed, std::io::BufWriter::new(csv)).unwrap();
    ballast_model_server::train::run(&input, &model_dir).unwrap();
    ballast_tests::serve_model("ballast-etf", &model_dir).await
}

/// The training store in a schema of its own, migrated by the repo's migrations.
async fn training_store() -> Database {
    let url = std::env::var("BALLAST_PG_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| LOCAL_PG.into());
    let schema = unique("etf").replace('-', "_");
    let admin = DbConfig::from_url(&url)
        .unwrap()
        .connect(None)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {url} ({e}); start it with `make services`"));
    admin.batch_execute(&format!("create schema {schema}")).await.unwrap();
    let scoped = format!("{url}{}options=-csearch_path%3D{schema}", if url.contains('?') { "&" } else { "?" });
    let config = DbConfig::from_url(&scoped).unwrap();
    let mut client = config.connect(None).await.unwrap();
    let first = migrate(&mut client).await.unwrap();
    assert!(!first.applied.is_empty(), "a fresh schema gets every migration");
    Database::new(config, std::sync::Arc::new(StaticPassword(None)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_classifies_reviews_and_publishes_over_the_local_services_and_the_training_store_learns_it() {
    let all = bundled();
    // The ETFs already reviewed (the map is named by them) and tonight's new listings.
    let (reviewed, new): (Vec<EtfRecord>, Vec<EtfRecord>) =
        all.into_iter().partition(|e| !ballast_ml::etf::eval::in_test_split(&e.symbol, 7, 0.15));
    let mut feed: Vec<EtfRecord> = new.clone();
    // Bad rows the night must survive: no summary, lossy text. (A duplicate symbol cannot
    // reach this feed: DynamoDB keys it by symbol; the CSV reader and the flow's own tests
    // cover duplicates.)
    let mut broken = new[0].clone();
    broken.symbol = "NOSUMX".into();
    broken.summary = None;
    feed.push(broken);
    let mut lossy = new[1].clone();
    lossy.symbol = "LOSSYX".into();
    lossy.name = "Gl\u{FFFD}bal \u{FFFD}quity Income ETF".into();
    feed.push(lossy);

    // Half of them name the map: enough for the test, and quick to train.
    let naming: Vec<EtfRecord> = reviewed.iter().step_by(2).cloned().collect();
    let model_url = model_server(&naming).await;
    let config = Config {
        dynamodb_endpoint: std::env::var("BALLAST_DYNAMODB_ENDPOINT").ok(),
        aws_endpoint: std::env::var("BALLAST_AWS_ENDPOINT").ok(),
        ..Config::from_env().unwrap()
    };
    let clients = Clients::local(&config);
    let name = unique("etf");
    let (table, views) = (format!("{name}-ballast"), format!("{name}-views"));
    if let Err(e) = create_tables(&clients, &table, &views).await {
        panic!("the local services are not reachable ({e}); start them with `make services`");
    }
    let store = DynamoStore::new(clients.dynamodb.clone(), &table, &views);
    store.put_etf_feed(&feed).await.unwrap();
    let classifier = SageMakerEtfClassifier::new(local_sagemaker_runtime(&model_url), "ballast-etf");
    // A row the model cannot read is refused (a 4xx): the night isolates it, it does not retry.
    let blank = EtfRecord { symbol: "BLANKX".into(), ..EtfRecord::default() };
    let refused = classifier.classify(&[blank]).await;
    assert!(matches!(refused, Err(ClassifyError::Rejected(_))), "{refused:?}");
    let training = training_store().await;
    let tokens = SfnTaskTokens::new(clients.sfn.clone());
    let nightly = Nightly {
        feed: &store,
        classifier: &classifier,
        rationale: &TemplateRationale,
        store: &store,
        log: &training,
        config: NightlyConfig { batch_size: 50, ..Default::default() },
    };
    let now = chrono::Utc::now();
    let run_id = "etf-nightly-local";

    let report = nightly.classify(run_id, now).await.unwrap();
    assert_eq!(report.etfs, new.len() + 2, "{:?}", report.issues);
    assert_eq!(report.classified, report.etfs);
    assert_eq!(report.auto_approved + report.pending_reviews, report.classified);

    let pending = store.reviews(Some(ReviewStatus::Pending)).await.unwrap();
    assert_eq!(pending.len(), report.pending_reviews);
    assert!(pending.iter().any(|r| r.symbol == "NOSUMX"), "no summary: to review with the reason");
    let approved_now = store.approvals().await.unwrap();
    assert!(
        pending.iter().any(|r| r.symbol == "LOSSYX") || approved_now.iter().any(|a| a.symbol == "LOSSYX"),
        "lossy text is classified from what it has"
    );
    let nosum = pending.iter().find(|r| r.symbol == "NOSUMX").unwrap();
    assert!(nosum.proposal.issues.iter().any(|i| i.contains("no summary")), "{:?}", nosum.proposal.issues);
    // Every leveraged or inverse fund of the reviewed truth is flagged and waits for a person.
    let truth = ballast_ml::etf::eval::read_flag_truth(include_bytes!("../../shared/ml/data/etfs/flags.csv")).unwrap();
    for e in &new {
        let t = &truth[&e.symbol];
        if t.leveraged == Some(true) || t.inverse == Some(true) {
            let r =
                pending.iter().find(|r| r.symbol == e.symbol).unwrap_or_else(|| panic!("{} not in review", e.symbol));
            assert!(r.proposal.flags.leveraged || r.proposal.flags.inverse, "{}: {:?}", e.symbol, r.proposal.flags);
            assert!(!r.proposal.evidence.is_empty() && r.rationale.text.contains("needs review"));
        }
    }

    // The same step again (a retry): nothing new in DynamoDB or the training store.
    let again = nightly.classify(run_id, now).await.unwrap();
    assert_eq!(again.pending_reviews, report.pending_reviews);
    assert_eq!(store.reviews(Some(ReviewStatus::Pending)).await.unwrap().len(), pending.len());
    let pg = training.client().await.unwrap();
    let rows: i64 =
        pg.query_one("select count(*) from etf_classifications where run_id = $1", &[&run_id]).await.unwrap().get(0);
    assert_eq!(rows as usize, report.classified, "one row per classification, retries included");

    // A reviewer approves the first flagged fund: the security master carries its flags.
    let flagged = pending.iter().find(|r| r.proposal.flags.leveraged).expect("a leveraged fund tonight").clone();
    let reference = DynamoReferenceSource::new(clients.dynamodb.clone(), &table);
    let mut file = ballast_synth::reference(42);
    let mut etf = file.securities.iter().find(|s| s.kind == ballast_core::SecurityKind::Etf).unwrap().clone();
    etf.id = flagged.symbol.clone();
    etf.complex_product = false;
    etf.profile.flags = Default::default();
    file.securities.push(etf);
    reference.put_reference(&file).await.unwrap();
    let cache = ReferenceCache::new(WithEtfApprovals { inner: reference, store: store.clone() }, Ttls::default());
    let before = cache.snapshot(file.trade_date).await.unwrap();
    let i = before.reference.security_index(&flagged.symbol).unwrap();
    assert!(!before.reference.security(i).profile.flags.leveraged, "not yet approved");
    let decision = DecisionRequest {
        reviewer_id: "cco-mdiaz".into(),
        reason: "prospectus confirms the daily leverage".into(),
        decision: "approve".into(),
        run_id: None,
        category_group: None,
        category: None,
        flags: None,
    };
    let decided = decide(&store, &tokens, &training, &flagged.symbol, decision.clone(), now).await.unwrap();
    assert_eq!(decided.item.status, ReviewStatus::Approved);
    let second = decide(&store, &tokens, &training, &flagged.symbol, decision.clone(), now).await;
    assert!(matches!(second, Err(ballast_flow::etf::DecideError::AlreadyDecided { .. })), "{second:?}");
    let unknown = decide(&store, &tokens, &training, "NOPEX", decision, now).await;
    assert!(matches!(unknown, Err(ballast_flow::etf::DecideError::NotFound(_))), "{unknown:?}");
    cache.invalidate_all();
    let after = cache.snapshot(file.trade_date).await.unwrap();
    let s = after.reference.security(after.reference.security_index(&flagged.symbol).unwrap());
    assert!(s.profile.flags.leveraged && s.complex(), "the next check run sees the approved flags");

    let reviews: i64 = pg
        .query_one(
            "select count(*) from review_decisions where run_id = $1 and symbol = $2 and reviewer_id = 'cco-mdiaz'",
            &[&run_id, &flagged.symbol],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(reviews, 1);

    // Publishing: the rest still pending keep their text flags provisionally.
    let published = publish(&store, run_id, now).await.unwrap();
    assert_eq!(published.approved, 1);
    let approvals = store.approvals().await.unwrap();
    for r in store.reviews(Some(ReviewStatus::Pending)).await.unwrap() {
        if r.proposal.flags.leveraged || r.proposal.flags.inverse {
            let a = approvals.iter().find(|a| a.symbol == r.symbol).expect("a provisional approval");
            assert!(a.flags.leveraged || a.flags.inverse, "{}", r.symbol);
        }
    }

    // The export for the next training run holds the reviewer's label (bundled columns).
    let mut out = Vec::new();
    export_etf_training(&pg, &mut out).await.unwrap();
    let (exported, issues) = read_csv(&out);
    assert!(issues.iter().all(|i| i.kept), "{issues:?}");
    assert!(exported.iter().any(|e| e.symbol == flagged.symbol), "the approved fund is a training label");
    assert!(exported.len() > report.auto_approved, "the auto-approved funds and the reviewed one");
}
