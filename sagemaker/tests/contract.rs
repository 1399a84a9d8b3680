//! The container contract, end to end through the built binary: `train` reads SageMaker's
//! input layout and writes the model; `serve` answers `/ping` and `/invocations`; the real
//! `aws-sdk-sagemakerruntime` client invokes it through the runtime path; bad bodies get a
//! 4xx with the reason.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use aws_sdk_sagemakerruntime::primitives::Blob;
use ballast_ml::anomaly::{ModelArtifact, RcfDetector};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ballast-model-server");
const FEATURES: usize = 3;

/// A venue's telemetry windows: steady with a daily-ish rhythm and some noise.
fn window(i: usize) -> [f32; FEATURES] {
    let phase = (i as f32 * 0.07).sin();
    let noise = ((i * 7919) % 17) as f32 / 17.0;
    [120.0 + 15.0 * phase + 4.0 * noise, 2.0 + 0.2 * phase + 0.1 * noise, 0.015 + 0.004 * noise]
}

/// SageMaker's training input layout with a CSV history and string hyperparameters.
fn training_input(dir: &Path, windows: usize) {
    std::fs::create_dir_all(dir.join("data/train")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let mut csv = String::from("orders_per_min,ack_p50_ms,reject_rate\n");
    for i in 0..windows {
        let w = window(i);
        csv.push_str(&format!("{},{},{}\n", w[0], w[1], w[2]));
    }
    std::fs::write(dir.join("data/train/venue-XNYS.csv"), csv).unwrap();
    std::fs::write(
        dir.join("config/hyperparameters.json"),
        r#"{"shingle_size": "4", "num_trees": "30", "num_samples_per_tree": "128", "seed": "7"}"#,
    )
    .unwrap();
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(args: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(BIN).arg("serve").args(["--port", &port.to_string()]).args(args).spawn().unwrap();
    let server = Server { child, port };
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the server did not listen on {port}");
}

/// One HTTP/1.1 request; the status and the JSON body of the answer.
fn http(port: u16, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let json = text.split_once("\r\n\r\n").map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null)).unwrap();
    (status, json)
}

fn train(dir: &Path) -> std::path::PathBuf {
    let input = dir.join("input");
    training_input(&input, 1500);
    let model = dir.join("model");
    let out = Command::new(BIN)
        .args(["train", "--input-dir", input.to_str().unwrap(), "--model-dir", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trained on 1500 rows"));
    model
}

/// The last four windows ending at `i`, oldest first: one instance.
fn shingle(i: usize, fault: bool) -> Vec<f32> {
    (i - 3..=i)
        .flat_map(|j| {
            let mut w = window(j);
            if fault && j == i {
                w[2] = 0.6; // a reject storm
            }
            w
        })
        .collect()
}

#[test]
fn train_then_serve_answers_ping_and_scores_like_the_trained_model() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train(tmp.path());
    let artifact = ModelArtifact::from_json(&std::fs::read_to_string(model.join("model.json")).unwrap()).unwrap();
    let local = RcfDetector::from_artifact(artifact.clone()).unwrap();
    assert_eq!(artifact.config.forest.shingle_size, 4);
    assert!(artifact.threshold.is_some());

    let server = serve(&["--model-dir", model.to_str().unwrap()]);
    let (status, ping) = http(server.port, "GET", "/ping", "application/json", b"");
    assert_eq!((status, ping["status"].as_str()), (200, Some("healthy")));

    let normal = shingle(1600, false);
    let storm = shingle(1601, true);
    let body = serde_json::json!({ "instances": [ { "features": normal }, { "features": storm } ] }).to_string();
    let (status, json) = http(server.port, "POST", "/invocations", "application/json", body.as_bytes());
    assert_eq!(status, 200, "{json}");
    let scores = json["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 2);
    for (s, row) in scores.iter().zip([&normal, &storm]) {
        let want = local.score_shingle(row).unwrap();
        assert_eq!(s["score"].as_f64().unwrap(), want.score);
        assert_eq!(s["threshold"].as_f64().unwrap(), want.threshold);
    }
    assert_eq!(scores[0]["grade"].as_f64(), Some(0.0), "a normal window is not an anomaly: {json}");
    assert!(scores[1]["grade"].as_f64().unwrap() > 0.0, "a reject storm is: {json}");

    // The same rows as CSV give the same scores.
    let csv: String = [&normal, &storm]
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let (status, from_csv) = http(server.port, "POST", "/invocations", "text/csv", csv.as_bytes());
    assert_eq!((status, &from_csv["scores"]), (200, &json["scores"]));
}

#[test]
fn malformed_requests_get_a_4xx_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train(tmp.path());
    let server = serve(&["--model", &format!("ballast-anomaly={}", model.display())]);
    let cases: [(&str, &[u8], u16, &str); 6] = [
        ("application/json", b"{\"instances\": [", 400, "not valid JSON"),
        ("application/json", b"{\"instances\": []}", 400, "no instances"),
        ("application/json", b"{\"instances\": [[1, 2, 3]]}", 400, "has 3 values; the model expects 12"),
        ("text/csv", b"1,2,3,4,5,6,7,8,9,10,11,oops\n", 400, "CSV line 1, value 12"),
        ("application/x-protobuf", b"\x00", 415, "not supported"),
        ("application/json", b"{\"instances\": [[1e999]]}", 400, "not valid JSON"),
    ];
    for (ct, body, want, says) in cases {
        let (status, json) = http(server.port, "POST", "/endpoints/ballast-anomaly/invocations", ct, body);
        assert_eq!(status, want, "{ct} {:?}: {json}", String::from_utf8_lossy(body));
        assert!(json["message"].as_str().unwrap().contains(says), "{json}");
        assert!(json["code"].as_str().is_some(), "{json}");
    }
    let (status, json) = http(server.port, "POST", "/endpoints/nope/invocations", "application/json", b"{}");
    assert_eq!((status, json["code"].as_str()), (404, Some("UNKNOWN_ENDPOINT")));
}

#[tokio::test]
async fn the_sagemaker_runtime_client_invokes_the_local_server() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train(tmp.path());
    let server = serve(&["--model", &format!("ballast-anomaly={}", model.display())]);
    let config = aws_sdk_sagemakerruntime::Config::builder()
        .behavior_version(aws_sdk_sagemakerruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_sagemakerruntime::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sagemakerruntime::config::Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("http://127.0.0.1:{}", server.port))
        .build();
    let client = aws_sdk_sagemakerruntime::Client::from_conf(config);
    let body = serde_json::json!({ "instances": [ { "features": shingle(1700, true) } ] }).to_string();
    let out = client
        .invoke_endpoint()
        .endpoint_name("ballast-anomaly")
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send()
        .await
        .unwrap();
    assert_eq!(out.content_type(), Some("application/json"));
    let json: Value = serde_json::from_slice(out.body().unwrap().as_ref()).unwrap();
    assert!(json["scores"][0]["grade"].as_f64().unwrap() > 0.0, "{json}");
    // A bad request is an error the client reports, not a score.
    let err = client
        .invoke_endpoint()
        .endpoint_name("ballast-anomaly")
        .content_type("application/json")
        .body(Blob::new(r#"{"instances": [[1, 2]]}"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400), "{err:?}");
}

#[test]
fn train_refuses_bad_input_with_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    training_input(&input, 50);
    std::fs::write(input.join("data/train/venue-XNYS.csv"), "1,2,3\n4,five,6\n").unwrap();
    let out = Command::new(BIN)
        .args(["train", "--input-dir", input.to_str().unwrap(), "--model-dir", tmp.path().join("m").to_str().unwrap()])
        .env("SM_OUTPUT_DIR", tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("venue-XNYS.csv") && err.contains("line 2"), "{err}");
    assert!(std::fs::read_to_string(tmp.path().join("failure")).unwrap().contains("line 2"));
    let serve =
        Command::new(BIN).args(["serve", "--model-dir", tmp.path().join("m").to_str().unwrap()]).output().unwrap();
    assert!(!serve.status.success());
    assert!(String::from_utf8_lossy(&serve.stderr).contains("cannot load the model"));
}

/// A small ETF reference file: a few families of funds, labelled, with leveraged and
/// inverse funds among them, and one row without a symbol (left out, not fatal).
fn etf_training_input(dir: &Path) {
    std::fs::create_dir_all(dir.join("data/train")).unwrap();
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let mut csv = String::from("symbol,name,currency,summary,category_group,category,family,exchange,mic,isin\n");
    let kinds = [
        ("Core S&P 500 ETF", "The fund tracks large US companies.", "Equities", "Large Cap", "BlackRock"),
        ("Short-Term Treasury Bond ETF", "The fund holds short-term US Treasury bonds.", "Fixed Income", "Treasury Bonds", "Vanguard"),
        ("Ultra S&P500", "The fund seeks daily investment results that correspond to two times (2x) the daily performance of the S&P 500.", "Derivatives", "Trading", "ProShares"),
        ("Physical Gold Trust", "The trust holds gold bullion in vaults.", "Commodities", "Commodities Broad Basket", "State Street"),
    ];
    for i in 0..40 {
        let (name, summary, group, category, family) = kinds[i % kinds.len()];
        csv.push_str(&format!("T{i},{family} {name} {i},USD,\"{summary}\",{group},{category},{family},PCX,ARCX,\n"));
    }
    csv.push_str(",No Symbol ETF,USD,x,,,f,PCX,ARCX,\n");
    std::fs::write(dir.join("data/train/etfs.csv"), csv).unwrap();
    std::fs::write(dir.join("config/hyperparameters.json"), r#"{"kind": "etf-som", "seed": "3"}"#).unwrap();
}

#[test]
fn the_etf_model_trains_serves_and_flags_a_leveraged_fund_with_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    etf_training_input(&input);
    let model = tmp.path().join("model");
    let out = Command::new(BIN)
        .args(["train", "--input-dir", input.to_str().unwrap(), "--model-dir", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trained etf-som on 40 rows (1 left out)"));
    let artifact: Value = serde_json::from_str(&std::fs::read_to_string(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(artifact["kind"], "etf-som");

    let server = serve(&["--model", &format!("ballast-etf={}", model.display())]);
    let (status, ping) = http(server.port, "GET", "/ping", "application/json", b"");
    assert_eq!((status, ping["models"]["ballast-etf"].as_str()), (200, Some("etf-som")));
    let body = serde_json::json!({ "instances": [
        { "symbol": "SSO2", "name": "ProShares Ultra S&P500",
          "summary": "The fund seeks daily investment results that correspond to two times (2x) the daily performance of the S&P 500.",
          "family": "ProShares" },
        { "symbol": "BOND2", "name": "Vanguard Short-Term Treasury Bond ETF", "family": "Vanguard" }
    ]})
    .to_string();
    let (status, json) =
        http(server.port, "POST", "/endpoints/ballast-etf/invocations", "application/json", body.as_bytes());
    assert_eq!(status, 200, "{json}");
    let p = &json["predictions"];
    assert_eq!(p[0]["symbol"], "SSO2");
    assert_eq!((p[0]["flags"]["leveraged"].as_bool(), p[0]["flags"]["inverse"].as_bool()), (Some(true), Some(false)));
    assert_eq!(p[0]["flags"]["leverage_factor"], "2");
    let evidence = p[0]["evidence"].as_array().unwrap();
    assert!(
        evidence.iter().any(|e| e["flag"] == "leveraged" && e["field"] == "name" && e["matched_text"] == "Ultra"),
        "{json}"
    );
    assert!(evidence.iter().any(|e| e["flag"] == "leveraged" && e["field"] == "summary"), "{json}");
    assert_eq!(p[0]["category"], "Trading", "{json}");
    assert_eq!(p[1]["category_group"], "Fixed Income", "{json}");
    assert_eq!(p[1]["flags"]["leveraged"], false);
    assert_eq!(p[1]["issues"][0], "no summary: classified from name and family");
    assert!(p[1]["model_version"].as_str().unwrap().starts_with("etf-som-v1-"));

    let cases: [(&[u8], u16, &str); 4] = [
        (
            br#"{"instances": [{"symbol": "OK", "name": "Fine ETF"}, {"symbol": "BAD"}]}"#,
            400,
            "instance 1 (BAD): missing field `name`",
        ),
        (br#"{"instances": [{"symbol": "", "name": "No Symbol ETF"}]}"#, 400, "instance 0 (): the symbol is empty"),
        (br#"{"instances": []}"#, 400, "no instances"),
        (br#"{"instances": ["#, 400, "not valid JSON"),
    ];
    for (body, want, says) in cases {
        let (status, json) = http(server.port, "POST", "/endpoints/ballast-etf/invocations", "application/json", body);
        assert_eq!(status, want, "{json}");
        assert!(json["message"].as_str().unwrap().contains(says), "{json}");
    }
    let (status, _) = http(server.port, "POST", "/endpoints/ballast-etf/invocations", "text/csv", b"1,2\n");
    assert_eq!(status, 415);
}
