//! `ballast-aurora export` to S3, end to end: the command against the local PostgreSQL
//! (a schema of its own) and moto's S3 (`BALLAST_AWS_ENDPOINT`, default :5005, path-style).
//! The files land under the prefix with the same bytes a file export writes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use ballast_aurora::{ClassificationRow, ClassificationStatus, DbConfig, WriteBack};
use ballast_aws::s3_client;
use ballast_core::VenueStatus;
use ballast_flow::anomaly::AnomalyDecision;
use ballast_flow::health::Action;
use ballast_ml::telemetry::FEATURE_NAMES;
use chrono::{DateTime, Duration, Utc};

const BIN: &str = env!("CARGO_BIN_EXE_ballast-aurora");

fn pg_url() -> String {
    std::env::var("BALLAST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or("postgres://postgres@127.0.0.1:5433/ballast".into())
}

fn aws_endpoint() -> String {
    std::env::var("BALLAST_AWS_ENDPOINT").ok().filter(|u| !u.is_empty()).unwrap_or("http://127.0.0.1:5005".into())
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The command with the local services' settings and nothing from the caller's AWS setup.
fn ballast_aurora(url: &str, args: &[&str]) -> Output {
    ballast_aurora_in(url, args, &std::env::temp_dir())
}

/// The same, with `tmp` as its temporary folder (where S3 uploads are staged).
fn ballast_aurora_in(url: &str, args: &[&str], tmp: &std::path::Path) -> Output {
    Command::new(BIN)
        .arg("--url")
        .arg(url)
        .args(args)
        .env("BALLAST_AWS_ENDPOINT", aws_endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("TMPDIR", tmp)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s3() -> ballast_aws::aws_sdk_s3::Client {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(ballast_aws::aws_sdk_s3::config::SharedCredentialsProvider::new(
            ballast_aws::aws_sdk_s3::config::Credentials::new("test", "test", None, None, "test"),
        ))
        .build();
    s3_client(&sdk, Some(&aws_endpoint()))
}

/// A migrated schema of its own (through the command), dropped at the end.
struct Store {
    schema: String,
}

impl Store {
    async fn new() -> Store {
        let schema = unique("s3x").replace('-', "_");
        admin(&format!("CREATE SCHEMA {schema}")).await;
        let store = Store { schema };
        let o = ballast_aurora(&store.url(), &["migrate"]);
        assert!(o.status.success(), "{}", text(&o));
        store
    }

    fn url(&self) -> String {
        format!("{}?options=-csearch_path%3D{}", pg_url(), self.schema)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(admin(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        })
        .join();
    }
}

async fn admin(sql: &str) {
    let client =
        DbConfig::from_url(&pg_url()).unwrap().connect(None).await.expect("the local PostgreSQL (make services)");
    client.batch_execute(sql).await.unwrap();
}

fn decision(venue: &str, minute: i64, action: Action) -> AnomalyDecision {
    let features: BTreeMap<String, f64> =
        FEATURE_NAMES.iter().enumerate().map(|(i, n)| (n.to_string(), i as f64 + minute as f64 / 100.0)).collect();
    let to = if action == Action::Halt { VenueStatus::Halted } else { VenueStatus::Healthy };
    let start: DateTime<Utc> = "2026-11-27T14:00:00Z".parse().unwrap();
    AnomalyDecision {
        venue: venue.into(),
        window_start: start + Duration::minutes(minute),
        features,
        score: if action == Action::Halt { 4.0 } else { 1.0 },
        threshold: 2.5,
        grade: if action == Action::Halt { 0.6 } else { 0.0 },
        from: VenueStatus::Healthy,
        to,
        action,
        model: "rcf-2026-11-01".into(),
    }
}

fn classification(symbol: &str, category: &str) -> ClassificationRow {
    ClassificationRow {
        run_id: "2026-11-28".into(),
        symbol: symbol.into(),
        input_hash: format!("h-{symbol}"),
        name: format!("{symbol} Fund"),
        summary: format!("{symbol}: invests in {category}, with a comma"),
        family: Some("Example Funds".into()),
        category_group: "Equity".into(),
        category: category.into(),
        confidence: 0.93,
        cluster: Some("c-1".into()),
        flags: serde_json::json!({"leveraged": false}),
        evidence: serde_json::json!([]),
        issues: serde_json::json!([]),
        model_version: "som-1".into(),
        status: ClassificationStatus::AutoApproved,
        classified_at: "2026-11-28T02:00:00Z".parse().unwrap(),
    }
}

async fn object(s3: &ballast_aws::aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let o = s3.get_object().bucket(bucket).key(key).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn an_export_to_an_s3_prefix_puts_both_training_files_under_it_as_a_file_export_writes_them() {
    let store = Store::new().await;
    let client = DbConfig::from_url(&store.url()).unwrap().connect(None).await.unwrap();
    let wb = WriteBack::new(&client);
    let decisions: Vec<AnomalyDecision> = ["ARCX", "BATS"]
        .iter()
        .flat_map(|v| (0..5).map(move |m| decision(v, m, if m == 4 { Action::Halt } else { Action::None })))
        .collect();
    wb.record_anomaly_decisions(&decisions).await.unwrap();
    // An operator confirmed ARCX's halt: that window is kept out of the training rows.
    let at: DateTime<Utc> = "2026-11-27T14:10:00Z".parse().unwrap();
    let label = ballast_aurora::AnomalyLabel::TruePositive;
    assert!(wb.record_operator_verdict("ARCX", at, label, "ops-jlee", None).await.unwrap().is_some());
    let funds = [classification("AAA", "Large Blend"), classification("BBB", "Small Value")];
    wb.record_classifications(&funds).await.unwrap();

    let s3 = s3();
    let bucket = unique("ballast-training");
    s3.create_bucket().bucket(&bucket).send().await.expect("moto's S3 (make services)");
    let prefix = format!("s3://{bucket}/exports/2026-11-29/");
    let o = ballast_aurora(&store.url(), &["export", "--etf", &prefix, "--anomaly", &prefix]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("{prefix}etfs.csv")), "{}", text(&o));

    let listed = s3.list_objects_v2().bucket(&bucket).prefix("exports/2026-11-29/").send().await.unwrap();
    let mut keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    assert_eq!(keys, ["exports/2026-11-29/etfs.csv", "exports/2026-11-29/windows.csv"]);

    // The same export to files: the objects hold exactly those bytes.
    let dir = std::env::temp_dir().join(unique("ballast-export"));
    let (etf_file, windows_file) = (dir.join("etfs.csv"), dir.join("windows.csv"));
    let o = ballast_aurora(
        &store.url(),
        &["export", "--etf", etf_file.to_str().unwrap(), "--anomaly", windows_file.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let etfs = object(&s3, &bucket, "exports/2026-11-29/etfs.csv").await;
    let windows = object(&s3, &bucket, "exports/2026-11-29/windows.csv").await;
    assert_eq!(etfs, std::fs::read(&etf_file).unwrap());
    assert_eq!(windows, std::fs::read(&windows_file).unwrap());
    let _ = std::fs::remove_dir_all(&dir);

    // And what they hold: a label per fund, a row per window but the confirmed anomaly.
    let mut etf_rows = csv::Reader::from_reader(etfs.as_slice());
    let symbols: Vec<String> = etf_rows.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(symbols, funds.iter().map(|f| f.symbol.clone()).collect::<Vec<_>>());
    let windows = String::from_utf8(windows).unwrap();
    let mut lines = windows.lines();
    assert_eq!(lines.next(), Some(FEATURE_NAMES.join(",").as_str()));
    assert_eq!(lines.count(), decisions.len() - 1);
}

#[tokio::test]
async fn a_bad_or_unreachable_s3_destination_fails_with_its_url_and_leaves_nothing_behind() {
    let store = Store::new().await;
    // Refused before connecting to anything.
    let o = ballast_aurora("postgres://postgres@127.0.0.1:1/none", &["export", "--etf", "s3://Not_A_Bucket/x/"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("Not_A_Bucket"), "{}", text(&o));
    // A bucket that does not exist: the upload fails, naming the object; no staging file stays.
    let missing = format!("s3://{}/x/", unique("no-such-bucket"));
    let tmp = std::env::temp_dir().join(unique("ballast-staging"));
    std::fs::create_dir_all(&tmp).unwrap();
    let o = ballast_aurora_in(&store.url(), &["export", "--anomaly", &missing], &tmp);
    assert!(!o.status.success());
    assert!(text(&o).contains(&format!("{missing}windows.csv")), "{}", text(&o));
    let left: Vec<PathBuf> = std::fs::read_dir(&tmp).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    assert_eq!(left, Vec::<PathBuf>::new(), "the staging file is removed");
    let _ = std::fs::remove_dir(&tmp);
}
