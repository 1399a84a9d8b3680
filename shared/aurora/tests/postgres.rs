//! The training store against the local PostgreSQL (127.0.0.1:5433, database `ballast`;
//! `make services` starts it, `BALLAST_PG_URL` points elsewhere). Each test works in a
//! schema of its own, dropped at the end, so tests run in parallel and leave nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ballast_aurora::{
    apply_migrations, export_anomaly_training, export_etf_training, migrate, AnomalyLabel, AnomalyOutcome,
    ClassificationRow, ClassificationStatus, ConnectError, Database, DbConfig, EtfOutcome, Migration, MigrationError,
    OutcomeSource, ReviewDecisionRow, ReviewVerdict, StaticPassword, TlsMode, WriteBack, WriteError, ETF_COLUMNS,
    MIGRATIONS,
};
use ballast_core::VenueStatus;
use ballast_flow::anomaly::{AnomalyDecision, DecisionLog, Outboxed, VerdictLog};
use ballast_flow::health::{Action, OperatorVerdict};
use ballast_flow::memory::MemoryStore;
use ballast_ml::telemetry::FEATURE_NAMES;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio_postgres::Client;

const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5433/ballast";

fn server_url() -> String {
    std::env::var("BALLAST_PG_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| LOCAL_URL.to_string())
}

/// A schema of its own; dropped (with everything in it) when the value is dropped, even
/// when the test failed.
struct Scratch {
    schema: String,
}

impl Scratch {
    async fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let schema = format!("t_{}_{nanos}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        let admin = plain(&server_url()).await;
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).await.unwrap();
        Scratch { schema }
    }

    /// The server's URL with this schema as the search path.
    fn url(&self) -> String {
        let url = server_url();
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-csearch_path%3D{}", self.schema)
    }

    async fn client(&self) -> Client {
        plain(&self.url()).await
    }

    async fn migrated(&self) -> Client {
        let mut client = self.client().await;
        migrate(&mut client).await.unwrap();
        client
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (url, schema) = (server_url(), self.schema.clone());
        // A runtime of its own: the test's may be gone or busy.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let admin = plain(&url).await;
                admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.unwrap();
            })
        })
        .join();
    }
}

async fn plain(url: &str) -> Client {
    let config = DbConfig::from_url(url).unwrap();
    match config.connect(None).await {
        Ok(c) => c,
        Err(e) => panic!("the local PostgreSQL is not reachable at {url} ({e}); start it with `make services`"),
    }
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn decision(venue: &str, minute: i64, score: f64, action: Action) -> AnomalyDecision {
    let features: BTreeMap<String, f64> =
        FEATURE_NAMES.iter().enumerate().map(|(i, n)| (n.to_string(), i as f64 + minute as f64 / 100.0)).collect();
    let to = match action {
        Action::Halt => VenueStatus::Halted,
        Action::Degrade => VenueStatus::Degraded,
        _ => VenueStatus::Healthy,
    };
    AnomalyDecision {
        venue: venue.into(),
        window_start: at("2026-11-27T14:00:00Z") + Duration::minutes(minute),
        features,
        score,
        threshold: 2.5,
        grade: (score / 5.0).min(1.0),
        from: VenueStatus::Healthy,
        to,
        action,
        model: "rcf-2026-11-01".into(),
    }
}

fn classification(run: &str, symbol: &str, category: &str, status: ClassificationStatus) -> ClassificationRow {
    ClassificationRow {
        run_id: run.into(),
        symbol: symbol.into(),
        input_hash: format!("h-{symbol}"),
        name: format!("{symbol} Fund, \"quoted\""),
        summary: format!("Seeks income.\nInvests in {category}."),
        family: Some("Example Funds".into()),
        category_group: "Fixed Income".into(),
        category: category.into(),
        confidence: 0.9,
        cluster: Some("7".into()),
        flags: json!({"leveraged": false, "inverse": false, "volatility": false, "etn": false,
                      "commodity_futures": false, "leverage_factor": 1.0}),
        evidence: json!([{"source": "summary", "text": "investment grade"}]),
        issues: json!([]),
        model_version: "etf-1".into(),
        status,
        classified_at: at(if run == "run-1" { "2026-11-27T02:00:00Z" } else { "2026-11-28T02:00:00Z" }),
    }
}

fn review(run: &str, symbol: &str, decision: ReviewVerdict, category: &str) -> ReviewDecisionRow {
    ReviewDecisionRow {
        run_id: run.into(),
        symbol: symbol.into(),
        reviewer_id: "rev-17".into(),
        decision,
        category_group: "Fixed Income".into(),
        category: category.into(),
        flags: json!({"leveraged": false, "inverse": false, "volatility": false, "etn": false,
                      "commodity_futures": false, "leverage_factor": 1.0}),
        reason: (decision == ReviewVerdict::Override).then(|| "the prospectus says municipal".to_string()),
        decided_at: at("2026-11-27T09:30:00Z"),
    }
}

#[tokio::test]
async fn migrations_apply_on_a_fresh_schema_and_a_second_run_applies_nothing() {
    let s = Scratch::new().await;
    let mut client = s.client().await;
    let first = migrate(&mut client).await.unwrap();
    assert_eq!(first.applied, vec![1, 2, 3]);
    assert_eq!(first.already_applied, 0);
    let second = migrate(&mut client).await.unwrap();
    assert!(second.applied.is_empty());
    assert_eq!(second.already_applied, MIGRATIONS.len());
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
            &[&s.schema],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        [
            "anomaly_decisions",
            "anomaly_outcomes",
            "etf_classifications",
            "etf_outcomes",
            "review_decisions",
            "schema_migrations"
        ]
    );
    let recorded: Vec<(i32, String)> = client
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<(i32, String)> = MIGRATIONS.iter().map(|m| (m.version, m.checksum())).collect();
    assert_eq!(recorded, expected);
}

#[tokio::test]
async fn an_edited_migration_stops_the_runner_before_anything_new_applies() {
    let s = Scratch::new().await;
    let mut client = s.migrated().await;
    let edited_sql = format!("{}\n-- edited after it was applied\n", MIGRATIONS[1].sql);
    let mut edited: Vec<Migration> = MIGRATIONS.to_vec();
    edited[1].sql = Box::leak(edited_sql.into_boxed_str());
    edited.push(Migration { version: 4, name: "later", sql: "CREATE TABLE later (id int)" });
    match apply_migrations(&mut client, &edited).await {
        Err(MigrationError::ChecksumChanged { version: 2, .. }) => {}
        other => panic!("expected a changed checksum for version 2, got {other:?}"),
    }
    assert_eq!(count(&client, "SELECT count(*) FROM schema_migrations").await, 3);
    let later = format!(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' AND table_name = 'later'",
        s.schema
    );
    assert_eq!(count(&client, &later).await, 0, "migration 4 must not run");
}

#[tokio::test]
async fn two_runners_at_once_apply_each_migration_exactly_once() {
    let s = Scratch::new().await;
    let (mut a, mut b) = (s.client().await, s.client().await);
    let (ra, rb) = tokio::join!(migrate(&mut a), migrate(&mut b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut applied = [ra.applied.clone(), rb.applied.clone()].concat();
    applied.sort();
    assert_eq!(applied, vec![1, 2, 3], "each version applied by exactly one runner: {ra:?} {rb:?}");
    assert_eq!(ra.already_applied + rb.already_applied, 3);
    assert_eq!(count(&a, "SELECT count(*) FROM schema_migrations").await, 3);
}

#[tokio::test]
async fn a_redelivered_batch_of_anomaly_decisions_writes_nothing_new() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let decisions: Vec<AnomalyDecision> = ["ARCX", "BATS"]
        .iter()
        .flat_map(|v| (0..30).map(move |m| decision(v, m, 1.0, Action::None)))
        .chain([decision("ARCX", 30, 4.2, Action::Halt)])
        .collect();
    let wb = WriteBack::new(&client);
    assert_eq!(wb.record_anomaly_decisions(&decisions).await.unwrap(), 61);
    assert_eq!(wb.record_anomaly_decisions(&decisions).await.unwrap(), 0);
    // A partial redelivery mixed with a new window writes only the new one.
    let mut partial = decisions[..5].to_vec();
    partial.push(decision("BATS", 30, 1.1, Action::None));
    assert_eq!(wb.record_anomaly_decisions(&partial).await.unwrap(), 1);
    assert_eq!(count(&client, "SELECT count(*) FROM anomaly_decisions").await, 62);
    let row = client
        .query_one(
            "SELECT from_status, to_status, action, features->>'reject_rate', score
             FROM anomaly_decisions WHERE venue = 'ARCX' AND window_start = $1",
            &[&(at("2026-11-27T14:00:00Z") + Duration::minutes(30))],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "healthy");
    assert_eq!(row.get::<_, String>(1), "halted");
    assert_eq!(row.get::<_, String>(2), "halt");
    assert_eq!(row.get::<_, String>(3), "4.3");
    assert_eq!(row.get::<_, f64>(4), 4.2);
}

#[tokio::test]
async fn the_database_reconnects_after_its_connection_breaks_and_logs_decisions() {
    let s = Scratch::new().await;
    drop(s.migrated().await);
    let db = Database::new(DbConfig::from_url(&s.url()).unwrap(), Arc::new(StaticPassword(None)));
    db.record(&[decision("ARCX", 0, 1.0, Action::None)]).await.unwrap();
    let first = db.client().await.unwrap();
    let pid: i32 = first.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    let admin = s.client().await;
    admin.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
    assert!(first.query_one("SELECT 1", &[]).await.is_err(), "the old connection is gone");
    drop(first);
    db.record(&[decision("ARCX", 1, 1.0, Action::None)]).await.unwrap();
    let again: i32 = db.client().await.unwrap().query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    assert_ne!(again, pid);
    assert_eq!(count(&admin, "SELECT count(*) FROM anomaly_decisions").await, 2);
}

#[tokio::test]
async fn a_retried_run_of_2000_classifications_writes_each_once_and_keeps_reviews() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let rows: Vec<ClassificationRow> = (0..2000)
        .map(|i| {
            let status =
                if i % 4 == 0 { ClassificationStatus::PendingReview } else { ClassificationStatus::AutoApproved };
            classification("run-1", &format!("E{i:04}"), "Corporate Bonds", status)
        })
        .collect();
    let wb = WriteBack::new(&client);
    assert_eq!(wb.record_classifications(&rows).await.unwrap(), 2000);
    assert_eq!(count(&client, "SELECT count(*) FROM etf_outcomes WHERE source = 'auto'").await, 1500);
    assert!(wb.record_review(&review("run-1", "E0000", ReviewVerdict::Approve, "Corporate Bonds")).await.unwrap());
    // The retry must not undo the review's status nor add outcomes.
    assert_eq!(wb.record_classifications(&rows).await.unwrap(), 0);
    assert_eq!(count(&client, "SELECT count(*) FROM etf_classifications").await, 2000);
    assert_eq!(count(&client, "SELECT count(*) FROM etf_outcomes").await, 1501);
    let status: String =
        client.query_one("SELECT status FROM etf_classifications WHERE symbol = 'E0000'", &[]).await.unwrap().get(0);
    assert_eq!(status, "approved");
    // The row came back whole: JSON, text with quotes and newlines.
    let back = client
        .query_one(
            "SELECT name, summary, flags->>'leverage_factor', evidence FROM etf_classifications WHERE symbol = 'E0001'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(back.get::<_, String>(0), rows[1].name);
    assert_eq!(back.get::<_, String>(1), rows[1].summary);
    assert_eq!(back.get::<_, String>(2), "1.0");
    assert_eq!(back.get::<_, serde_json::Value>(3), rows[1].evidence);
    let mut bad = rows[5].clone();
    bad.run_id = "run-x".into();
    bad.confidence = 1.5;
    assert!(matches!(wb.record_classifications(&[bad]).await, Err(WriteError::Invalid { .. })));
}

#[tokio::test]
async fn a_second_review_decision_is_refused_and_the_first_stands() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let wb = WriteBack::new(&client);
    wb.record_classifications(&[classification(
        "run-1",
        "MUNI",
        "Corporate Bonds",
        ClassificationStatus::PendingReview,
    )])
    .await
    .unwrap();
    let first = review("run-1", "MUNI", ReviewVerdict::Override, "Municipal Bonds");
    assert!(wb.record_review(&first).await.unwrap(), "recorded");
    // The same decision again (a retried request, even stamped later) is not an error.
    let retried = ReviewDecisionRow { decided_at: first.decided_at + Duration::seconds(3), ..first.clone() };
    assert!(!wb.record_review(&retried).await.unwrap(), "a retry records nothing");
    let second = review("run-1", "MUNI", ReviewVerdict::Approve, "Corporate Bonds");
    match wb.record_review(&second).await {
        Err(WriteError::AlreadyDecided { decision, reviewer_id, .. }) => {
            assert_eq!((decision.as_str(), reviewer_id.as_str()), ("override", "rev-17"))
        }
        other => panic!("expected AlreadyDecided, got {other:?}"),
    }
    let outcome = client
        .query_one("SELECT category, source FROM etf_outcomes WHERE run_id = 'run-1' AND symbol = 'MUNI'", &[])
        .await
        .unwrap();
    assert_eq!(
        (outcome.get::<_, String>(0), outcome.get::<_, String>(1)),
        ("Municipal Bonds".into(), "reviewer".into())
    );
    let status: String =
        client.query_one("SELECT status FROM etf_classifications WHERE symbol = 'MUNI'", &[]).await.unwrap().get(0);
    assert_eq!(status, "overridden");
    let unknown = review("run-1", "NOPE", ReviewVerdict::Approve, "Corporate Bonds");
    assert!(matches!(wb.record_review(&unknown).await, Err(WriteError::UnknownSubject { .. })));
    wb.record_classifications(&[classification(
        "run-1",
        "NEW",
        "Corporate Bonds",
        ClassificationStatus::PendingReview,
    )])
    .await
    .unwrap();
    let no_reason = ReviewDecisionRow { reason: None, ..review("run-1", "NEW", ReviewVerdict::Override, "X") };
    assert!(
        matches!(wb.record_review(&no_reason).await, Err(WriteError::Invalid { .. })),
        "an override needs a reason"
    );
}

#[tokio::test]
async fn the_etf_export_holds_the_latest_approved_label_of_each_fund_in_the_bundled_columns() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let wb = WriteBack::new(&client);
    use ClassificationStatus::{AutoApproved, PendingReview};
    wb.record_classifications(&[
        classification("run-1", "AAA", "Corporate Bonds", AutoApproved),
        classification("run-1", "BBB", "Bank Loans", PendingReview),
        classification("run-1", "CCC", "Corporate Bonds", PendingReview),
    ])
    .await
    .unwrap();
    wb.record_review(&review("run-1", "CCC", ReviewVerdict::Override, "Municipal Bonds")).await.unwrap();
    // The next night's run: AAA moves; a reviewer's outcome written directly for BBB of
    // run 2, and an automatic one for the same item that must not replace it.
    wb.record_classifications(&[
        classification("run-2", "AAA", "Securitized Bonds", AutoApproved),
        classification("run-2", "BBB", "Bank Loans", PendingReview),
    ])
    .await
    .unwrap();
    let bbb = classification("run-2", "BBB", "Bank Loans", PendingReview);
    let by_reviewer =
        EtfOutcome { source: OutcomeSource::Reviewer, category: "High Yield Bonds".into(), ..EtfOutcome::auto(&bbb) };
    assert_eq!(wb.record_etf_outcomes(&[EtfOutcome::auto(&bbb), by_reviewer.clone()]).await.unwrap(), 1);
    assert_eq!(wb.record_etf_outcomes(&[EtfOutcome::auto(&bbb)]).await.unwrap(), 0, "auto never replaces reviewer");

    let mut out = Vec::new();
    let summary = export_etf_training(&client, &mut out).await.unwrap();
    assert_eq!(summary.rows, 3);
    let bundled =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ml/data/etfs/etfs_us_arca.csv")).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().next(), bundled.lines().next(), "the same header as the bundled file");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ETF_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let labels: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[4], &r[5])).collect();
    assert_eq!(
        labels,
        [
            ("AAA", "Fixed Income", "Securitized Bonds"),
            ("BBB", "Fixed Income", "High Yield Bonds"),
            ("CCC", "Fixed Income", "Municipal Bonds")
        ]
    );
    let aaa = &rows[0];
    assert_eq!(&aaa[1], "AAA Fund, \"quoted\"");
    assert_eq!(&aaa[3], "Seeks income.\nInvests in Securitized Bonds.");
    assert_eq!(&aaa[6], "Example Funds");
    assert_eq!((&aaa[2], &aaa[7], &aaa[8], &aaa[9]), ("", "", "", ""), "fields not stored stay empty");
}

#[tokio::test]
async fn the_anomaly_export_leaves_out_confirmed_anomalies_and_reads_as_train_rows() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let wb = WriteBack::new(&client);
    let mut decisions: Vec<AnomalyDecision> = (0..10).map(|m| decision("ARCX", m, 1.0, Action::None)).collect();
    decisions.push(decision("ARCX", 10, 4.0, Action::Halt)); // confirmed below
    decisions.push(decision("BATS", 0, 3.0, Action::Halt)); // lifted by an operator: a false positive
    decisions.push(decision("BATS", 1, 1.0, Action::None)); // missed: the operator halted it
    let mut second_model = decision("ARCX", 3, 1.2, Action::None);
    second_model.model = "rcf-2026-12-01".into(); // the same window scored by another model
    decisions.push(second_model);
    let mut incomplete = decision("EDGX", 0, 1.0, Action::None);
    incomplete.features.remove("silent_share");
    decisions.push(incomplete);
    wb.record_anomaly_decisions(&decisions).await.unwrap();

    let t = |m: i64| at("2026-11-27T14:00:00Z") + Duration::minutes(m);
    let confirmed = AnomalyOutcome {
        venue: "ARCX".into(),
        window_start: t(10),
        model: "rcf-2026-11-01".into(),
        label: AnomalyLabel::TruePositive,
        operator_id: "ops-1".into(),
        reason: None,
        decided_at: t(20),
    };
    assert_eq!(wb.record_anomaly_outcomes(std::slice::from_ref(&confirmed)).await.unwrap(), 1);
    assert_eq!(wb.record_anomaly_outcomes(&[confirmed]).await.unwrap(), 0, "a repeated verdict changes nothing");
    let lifted =
        wb.record_operator_verdict("BATS", t(5), AnomalyLabel::FalsePositive, "ops-1", Some("venue fine")).await;
    assert_eq!(lifted.unwrap(), Some((t(0), "rcf-2026-11-01".to_string())), "the halt behind the override");
    let missed = wb.record_operator_verdict("BATS", t(1), AnomalyLabel::FalseNegative, "ops-2", None).await;
    assert_eq!(missed.unwrap(), Some((t(1), "rcf-2026-11-01".to_string())));
    assert_eq!(
        wb.record_operator_verdict("IEXG", t(1), AnomalyLabel::FalsePositive, "ops-2", None).await.unwrap(),
        None
    );

    let mut out = Vec::new();
    let summary = export_anomaly_training(&client, &mut out).await.unwrap();
    // ARCX 0..9 (window 3 once), BATS 0 (a false positive is normal data); not ARCX 10,
    // not BATS 1; EDGX 0 skipped.
    assert_eq!((summary.rows, summary.skipped), (11, 1));
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), FEATURE_NAMES.join(","));
    let rows: Vec<Vec<f32>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 11);
    assert!(rows.iter().all(|r| r.len() == FEATURE_NAMES.len()));
    // ARCX's windows come oldest first (the first feature is i + minute / 100).
    let firsts: Vec<f32> = rows[..10].iter().map(|r| r[0]).collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{firsts:?}");
    assert_eq!(rows[10][0], 0.0, "BATS window 0");
}

#[tokio::test]
async fn the_anomaly_export_pages_through_more_windows_than_one_query_reads() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let decisions: Vec<AnomalyDecision> =
        ["ARCX", "BATS"].iter().flat_map(|v| (0..6000).map(move |m| decision(v, m, 1.0, Action::None))).collect();
    WriteBack::new(&client).record_anomaly_decisions(&decisions).await.unwrap();
    let mut out = Vec::new();
    let summary = export_anomaly_training(&client, &mut out).await.unwrap();
    assert_eq!(summary.rows, 12_000);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 12_001);
}

#[tokio::test]
async fn requiring_tls_of_a_server_without_it_fails_instead_of_going_plain() {
    let url = server_url();
    let config = DbConfig::from_lookup(|name| match name {
        "BALLAST_DB_URL" => Some(url.clone()),
        "BALLAST_DB_TLS" => Some("require".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.tls, TlsMode::Require);
    assert!(matches!(config.connect(None).await, Err(ConnectError::Postgres(_))));
    assert_eq!(DbConfig::from_url(&url).unwrap().tls, TlsMode::Disable);
}

fn operator_verdict(venue: &str, minute: i64, label: AnomalyLabel) -> OperatorVerdict {
    OperatorVerdict {
        venue: venue.into(),
        at: at("2026-11-27T14:00:00Z") + Duration::minutes(minute),
        label,
        operator_id: "ops-jlee".into(),
        reason: Some("fills and acks back to normal".into()),
    }
}

fn database(url: &str) -> Database {
    Database::new(DbConfig::from_url(url).unwrap(), Arc::new(StaticPassword(None)))
}

#[tokio::test]
async fn an_operators_verdict_through_the_outbox_lands_as_an_anomaly_outcome() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    let decisions = [decision("ARCX", 0, 1.0, Action::None), decision("ARCX", 1, 4.0, Action::Halt)];
    WriteBack::new(&client).record_anomaly_decisions(&decisions).await.unwrap();
    let (outbox, aurora) = (MemoryStore::new(), database(&s.url()));
    let resumed = operator_verdict("ARCX", 5, AnomalyLabel::FalsePositive);
    let verdicts = Outboxed { outbox: &outbox, training: &aurora };
    verdicts.record_verdict(&resumed).await.unwrap();
    // A retried request records the same verdict again: still one row.
    verdicts.record_verdict(&resumed).await.unwrap();
    assert_eq!(outbox.verdicts().len(), 2, "the outbox keeps every request");
    let rows = client
        .query("SELECT venue, window_start, model, label, operator_id, reason, decided_at FROM anomaly_outcomes", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.get::<_, String>(0), r.get::<_, DateTime<Utc>>(1)), ("ARCX".to_string(), decisions[1].window_start));
    assert_eq!(r.get::<_, String>(2), "rcf-2026-11-01");
    assert_eq!((r.get::<_, String>(3), r.get::<_, String>(4)), ("false_positive".into(), "ops-jlee".into()));
    assert_eq!(r.get::<_, Option<String>>(5).as_deref(), Some("fills and acks back to normal"));
    assert_eq!(r.get::<_, DateTime<Utc>>(6), resumed.at);
    // A verdict on a venue with no decision behind it is accepted and labels nothing.
    verdicts.record_verdict(&operator_verdict("IEXG", 5, AnomalyLabel::FalseNegative)).await.unwrap();
    assert_eq!(count(&client, "SELECT count(*) FROM anomaly_outcomes").await, 1);
}

#[tokio::test]
async fn with_aurora_down_decisions_and_verdicts_wait_in_the_outbox_and_a_drain_writes_each_once() {
    let s = Scratch::new().await;
    let client = s.migrated().await;
    // Nothing listens on port 1: every connection is refused.
    let down = database("postgres://postgres@127.0.0.1:1/ballast");
    let outbox = MemoryStore::new();
    let decisions: Vec<AnomalyDecision> =
        (0..3).map(|m| decision("BATS", m, 1.0 + m as f64, if m == 2 { Action::Halt } else { Action::None })).collect();
    let verdict = operator_verdict("BATS", 4, AnomalyLabel::TruePositive);
    let outboxed = Outboxed { outbox: &outbox, training: &down };
    outboxed.record(&decisions).await.expect("a training store that is down fails nothing");
    outboxed.record_verdict(&verdict).await.expect("a training store that is down fails nothing");
    assert_eq!((outbox.decisions().len(), outbox.verdicts().len()), (3, 1));
    assert_eq!(count(&client, "SELECT count(*) FROM anomaly_decisions").await, 0);

    // The drain, run twice (as after a drain that died half way): each row once.
    let aurora = database(&s.url());
    for _ in 0..2 {
        aurora.record(&outbox.decisions()).await.unwrap();
        for v in outbox.verdicts() {
            aurora.record_verdict(&v).await.unwrap();
        }
    }
    assert_eq!(count(&client, "SELECT count(*) FROM anomaly_decisions").await, 3);
    let labelled = client.query_one("SELECT window_start, label FROM anomaly_outcomes", &[]).await.unwrap();
    assert_eq!(labelled.get::<_, DateTime<Utc>>(0), decisions[2].window_start, "the halt behind the verdict");
    assert_eq!(labelled.get::<_, String>(1), "true_positive");
    assert_eq!(count(&client, "SELECT count(*) FROM anomaly_outcomes").await, 1);
}
