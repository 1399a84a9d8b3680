//! End-to-end behaviour of the embedded default as a user meets it: a generated run, the
//! same run twice, a book written to files and read back, a book with bad accounts and
//! lines, and the `ballast` binary's exit codes and messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ballast_core::{Mode, RebalanceOptions, ReferenceFile};
use ballast_embedded::{run, BookSource, NoProgress, RunConfig, Summary};
use serde_json::Value;

/// A scratch directory removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ballast-tests-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn generated(accounts: u64, seed: u64, out: &Path) -> RunConfig {
    RunConfig::new(BookSource::Generated { accounts, seed }, RebalanceOptions::new(Mode::Tolerance), out)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_lines(path: &Path) -> Vec<Value> {
    read(path).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn a_generated_run_writes_trades_that_agree_with_its_summary() {
    let dir = Scratch::new("generated");
    let out = dir.path("out");
    let summary = run(&generated(2_000, 42, &out), &NoProgress).unwrap();

    let a = &summary.accounts;
    assert_eq!(a.total, 2_000);
    assert_eq!(a.rebalanced + a.no_trades_needed + a.skipped + a.invalid + a.errors, 2_000);
    assert_eq!(a.invalid, 0, "{:?}", summary.not_rebalanced);
    assert!(a.rebalanced > 0, "tolerance mode on a drifted book rebalances some accounts");

    let csv = read(&out.join("trades.csv"));
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("account,security,side,quantity,price,amount,reason,short_term_gain,long_term_gain,lots")
    );
    let rows: Vec<&str> = rows.collect();
    let trades = json_lines(&out.join("trades.jsonl"));
    assert_eq!(rows.len() as u64, summary.trades.total);
    assert_eq!(trades.len() as u64, summary.trades.total);
    assert_eq!(summary.trades.buys + summary.trades.sells, summary.trades.total);
    assert_eq!(summary.trades.by_reason.values().sum::<u64>(), summary.trades.total);

    // Every row has ten columns, rows and JSON lines describe the same trades, and a sale
    // lists the lots it relieves.
    for (row, t) in rows.iter().zip(&trades) {
        let cols: Vec<&str> = row.split(',').collect();
        assert_eq!(cols.len(), 10, "{row}");
        assert_eq!(cols[0], t["account"]);
        assert_eq!(cols[1], t["security"]);
        assert_eq!(cols[2], t["side"]);
        assert_eq!(cols[3], t["quantity"]);
        let lots = t["lots"].as_array().unwrap();
        if cols[2] == "sell" {
            assert!(!lots.is_empty(), "{row}");
            assert_eq!(cols[9].split(';').count(), lots.len(), "{row}");
        } else {
            assert!(lots.is_empty() && cols[9].is_empty(), "{row}");
        }
    }
    let sells = trades.iter().filter(|t| t["side"] == "sell").count() as u64;
    assert_eq!(sells, summary.trades.sells);

    // Skipped and invalid accounts are each reported once.
    let exceptions = json_lines(&out.join("exceptions.jsonl"));
    let reported = exceptions.iter().filter(|e| e["outcome"] == "skipped" || e["outcome"] == "invalid").count() as u64;
    assert_eq!(reported, a.skipped + a.invalid);

    let saved: Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(saved["accounts"]["total"], 2_000);
    assert_eq!(saved["trades"]["total"], summary.trades.total);
}

#[test]
fn the_same_seed_gives_byte_identical_trades() {
    let dir = Scratch::new("deterministic");
    let first = dir.path("first");
    let second = dir.path("second");
    run(&generated(1_500, 7, &first), &NoProgress).unwrap();
    // Chunking changes how work is split across threads, never what is written.
    let mut config = generated(1_500, 7, &second);
    config.chunk_size = 37;
    run(&config, &NoProgress).unwrap();
    for name in ["trades.csv", "trades.jsonl", "exceptions.jsonl"] {
        assert!(read(&first.join(name)) == read(&second.join(name)), "{name} differs between identical runs");
    }
    let other = dir.path("other");
    run(&generated(1_500, 8, &other), &NoProgress).unwrap();
    assert_ne!(read(&first.join("trades.csv")), read(&other.join("trades.csv")));
}

#[test]
fn a_book_written_to_files_gives_the_same_trades_as_the_generated_run() {
    let dir = Scratch::new("roundtrip");
    let book = dir.path("book");
    ballast_synth::write_book(&book, 42, 1_500).unwrap();
    let from_generator = dir.path("generated");
    let from_files = dir.path("files");
    let g = run(&generated(1_500, 42, &from_generator), &NoProgress).unwrap();
    let files = RunConfig::new(
        BookSource::Files { reference: book.join("reference.json"), accounts: book.join("accounts.jsonl") },
        RebalanceOptions::new(Mode::Tolerance),
        &from_files,
    );
    let f = run(&files, &NoProgress).unwrap();
    assert_eq!(g.accounts, f.accounts);
    assert_eq!(g.trades, f.trades);
    assert!(read(&from_generator.join("trades.csv")) == read(&from_files.join("trades.csv")));
    assert!(read(&from_generator.join("trades.jsonl")) == read(&from_files.join("trades.jsonl")));
}

/// A book with one broken account per kind of problem, a malformed line and a truncated
/// last line, among good accounts. Returns (reference, accounts, good account ids).
fn bad_book(dir: &Scratch) -> (PathBuf, PathBuf, Vec<String>) {
    let book = dir.path("book");
    ballast_synth::write_book(&book, 3, 40).unwrap();
    let mut reference: ReferenceFile = serde_json::from_str(&read(&book.join("reference.json"))).unwrap();
    let mut unpriced = reference.securities[0].clone();
    unpriced.id = "NOPRICE".into();
    reference.securities.push(unpriced);
    let mut broken_model = reference.models.iter().find(|m| m.sleeves.is_empty()).unwrap().clone();
    broken_model.id = "BROKEN".into();
    broken_model.cash_weight += rust_decimal::Decimal::new(3, 2);
    reference.models.push(broken_model);
    std::fs::write(book.join("reference.json"), serde_json::to_string(&reference).unwrap()).unwrap();

    let lines: Vec<String> = read(&book.join("accounts.jsonl")).lines().map(str::to_string).collect();
    let good: Vec<String> =
        lines.iter().map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string()).collect();
    let variant = |id: &str, change: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&lines[0]).unwrap();
        v["id"] = id.into();
        change(&mut v);
        v.to_string()
    };
    let mut out = Vec::new();
    out.extend(lines[..20].iter().cloned());
    out.push(variant("BAD-UNKNOWN", &|v| v["positions"][0]["security"] = "NOSUCH".into()));
    out.push(variant("BAD-NOPRICE", &|v| v["positions"][0]["security"] = "NOPRICE".into()));
    out.push(variant("BAD-QUANTITY", &|v| v["positions"][0]["lots"][0]["quantity"] = "-5".into()));
    out.push(variant("BAD-MODEL", &|v| v["model"] = "BROKEN".into()));
    out.push(r#"{"id": "BAD-JSON", "account_type": taxable, "model": "X"}"#.to_string());
    out.push(String::new());
    out.extend(lines[20..].iter().cloned());
    let truncated = &lines[1][..lines[1].len() / 2];
    let accounts = out.join("\n") + "\n" + truncated;
    std::fs::write(book.join("accounts.jsonl"), accounts).unwrap();
    (book.join("reference.json"), book.join("accounts.jsonl"), good)
}

#[test]
fn a_bad_book_is_reported_per_account_and_line_and_the_rest_is_rebalanced() {
    let dir = Scratch::new("bad-book");
    let (reference, accounts, good) = bad_book(&dir);
    let out = dir.path("out");
    let config = RunConfig::new(BookSource::Files { reference, accounts }, RebalanceOptions::new(Mode::Full), &out);
    let summary: Summary = run(&config, &NoProgress).unwrap();

    assert_eq!(summary.accounts.total, good.len() as u64 + 6);
    assert_eq!(summary.accounts.invalid, 6);
    assert_eq!(summary.malformed_lines, 2);
    assert_eq!(
        summary.accounts.rebalanced + summary.accounts.no_trades_needed + summary.accounts.skipped,
        good.len() as u64
    );
    assert!(summary.accounts.rebalanced > 0);

    let exceptions = json_lines(&out.join("exceptions.jsonl"));
    let by_account: HashMap<&str, &Value> =
        exceptions.iter().filter_map(|e| e["account"].as_str().map(|a| (a, e))).collect();
    for (account, code, line, words) in [
        ("BAD-UNKNOWN", "unknown_security", 21, "unknown security NOSUCH"),
        ("BAD-NOPRICE", "missing_price", 22, "no price for NOPRICE"),
        ("BAD-QUANTITY", "non_positive_quantity", 23, "non-positive quantity -5"),
        ("BAD-MODEL", "invalid_model", 24, "not 100%"),
    ] {
        let e = by_account.get(account).unwrap_or_else(|| panic!("{account} is not reported: {exceptions:?}"));
        assert_eq!(e["outcome"], "invalid", "{e}");
        assert_eq!(e["code"], code, "{e}");
        assert_eq!(e["line"], line, "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(words), "{account}: {message}");
    }
    // A line that is not JSON has no account to name: it is reported by its line number.
    let malformed = exceptions.iter().find(|e| e["line"] == 25).expect("malformed line reported");
    assert_eq!((&malformed["outcome"], &malformed["code"]), (&Value::from("invalid"), &Value::from("malformed_json")));
    assert!(malformed["message"].as_str().unwrap().starts_with("line 25: malformed JSON"), "{malformed}");
    // The truncated last line names its line (blank line 26 is skipped, not counted).
    let last_line = 20 + 5 + 1 + (good.len() - 20) + 1;
    let truncated = exceptions.iter().find(|e| e["line"] == last_line).expect("truncated line reported");
    assert_eq!(truncated["code"], "malformed_json");
    assert!(truncated["message"].as_str().unwrap().contains("truncated"), "{truncated}");
    // The broken model is reported once as a reference problem.
    assert!(exceptions
        .iter()
        .any(|e| e["outcome"] == "reference" && e["message"].as_str().unwrap().contains("BROKEN")));
    assert_eq!(summary.reference_problems, 1);

    // Good accounts are never reported as invalid, and their trades are written.
    for id in &good {
        if let Some(e) = by_account.get(id.as_str()) {
            assert_ne!(e["outcome"], "invalid", "{e}");
        }
    }
    let trades = json_lines(&out.join("trades.jsonl"));
    assert!(!trades.is_empty());
    assert!(trades.iter().all(|t| !t["account"].as_str().unwrap().starts_with("BAD-")));
}

/// The `ballast` binary of this build, built by cargo if needed (it is another package's
/// binary, so cargo does not hand its path to this test).
fn ballast_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/cli-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    // The whole workspace with its tests, as the test build resolved it: the same features,
    // so the dependencies already built are reused and only the binary is compiled.
    build.current_dir(workspace).args(["build", "--quiet", "--workspace", "--tests", "--bin", "ballast"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the ballast binary failed");
    let bin = profile_dir.join(format!("ballast{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

#[test]
fn the_binary_exits_zero_on_bad_accounts_and_non_zero_on_an_unusable_reference() {
    let bin = ballast_binary();
    let dir = Scratch::new("binary");
    let (reference, accounts, _) = bad_book(&dir);

    let ok = run_book(&bin, &dir.path("out"), &reference, &accounts);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "exit {:?}: {stderr}", ok.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("invalid") && stdout.contains("malformed_json"), "{stdout}");
    assert!(dir.path("out").join("summary.json").exists());

    let missing = dir.path("no-such-reference.json");
    let failed = run_book(&bin, &dir.path("out2"), &missing, &accounts);
    assert!(!failed.status.success());
    let message = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("cannot read reference file") && message.contains("no-such-reference.json"), "{message}");

    let garbled = dir.path("garbled.json");
    std::fs::write(&garbled, "{\"trade_date\": \"2026-11-27\", \"securities\": [").unwrap();
    let failed = run_book(&bin, &dir.path("out3"), &garbled, &accounts);
    assert!(!failed.status.success());
    let message = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("garbled.json") && message.contains("not a valid book reference"), "{message}");
}

/// Runs the binary on a book given as files.
fn run_book(bin: &Path, out: &Path, reference: &Path, accounts: &Path) -> std::process::Output {
    Command::new(bin)
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .arg("--reference")
        .arg(reference)
        .arg("--accounts-file")
        .arg(accounts)
        .output()
        .unwrap()
}

/// A model that holds a leveraged ETF, used by an IRA: the engine proposes the buy, the
/// pre-trade checks block it, and it goes to blocked.jsonl instead of the orders.
#[test]
fn trades_blocked_by_the_checks_are_not_written_as_orders() {
    let dir = Scratch::new("blocked");
    let book = dir.path("book");
    ballast_synth::write_book(&book, 5, 200).unwrap();
    let mut reference: ReferenceFile = serde_json::from_str(&read(&book.join("reference.json"))).unwrap();
    // Every model's first holding becomes a complex (leveraged/inverse) product.
    let complex: std::collections::BTreeSet<String> =
        reference.models.iter().filter_map(|m| m.holdings.first().map(|h| h.security.clone())).collect();
    for s in reference.securities.iter_mut().filter(|s| complex.contains(&s.id)) {
        s.complex_product = true;
    }
    std::fs::write(book.join("reference.json"), serde_json::to_string(&reference).unwrap()).unwrap();
    let out = dir.path("out");
    let config = RunConfig::new(
        BookSource::Files { reference: book.join("reference.json"), accounts: book.join("accounts.jsonl") },
        RebalanceOptions::new(Mode::Full),
        &out,
    );
    let summary = run(&config, &NoProgress).unwrap();

    let blocked = json_lines(&out.join("blocked.jsonl"));
    assert!(summary.checks.trades_blocked > 0, "{:?}", summary.checks);
    assert_eq!(blocked.len() as u64, summary.checks.trades_blocked);
    let retirement = summary.checks.by_check.iter().find(|c| c.id == "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT").unwrap();
    let unapproved = summary.checks.by_check.iter().find(|c| c.id == "SUIT.COMPLEX_NOT_APPROVED").unwrap();
    assert!(retirement.blocked > 0 && unapproved.blocked > 0, "{:#?}", summary.checks.by_check);
    // Other blocks come from client state (holds, approvals); every complex buy is blocked.
    let complex_blocked: Vec<&Value> = blocked
        .iter()
        .filter(|b| b["trade"]["side"] == "buy" && complex.contains(b["trade"]["security"].as_str().unwrap()))
        .collect();
    assert!(complex_blocked.len() as u64 >= unapproved.blocked.max(retirement.blocked));
    for b in complex_blocked {
        let checks = b["checks"].as_array().unwrap();
        let reason =
            |id: &str| checks.iter().find(|c| c["id"] == id).map(|c| c["reason"].as_str().unwrap().to_string());
        // Not approved for complex products, or a retirement account: each says why.
        match (reason("SUIT.COMPLEX_NOT_APPROVED"), reason("SUIT.COMPLEX_PRODUCT_IN_RETIREMENT")) {
            (None, None) => panic!("complex buy blocked for another reason: {b}"),
            (unapproved, retirement) => {
                assert!(unapproved.is_none_or(|r| r.contains("complex")));
                assert!(retirement.is_none_or(|r| r.contains("cannot be bought in a retirement account")));
            }
        }
    }
    // No order for a blocked trade: every trade written is one the checks let through.
    let written = json_lines(&out.join("trades.jsonl"));
    assert_eq!(written.len() as u64, summary.trades.total);
    let blocked_keys: Vec<(String, String)> = blocked
        .iter()
        .map(|b| (b["trade"]["account"].as_str().unwrap().into(), b["trade"]["security"].as_str().unwrap().into()))
        .collect();
    assert!(written.iter().all(|t| !blocked_keys
        .contains(&(t["account"].as_str().unwrap().to_string(), t["security"].as_str().unwrap().to_string()))
        || t["side"] == "sell"));
}

/// A firm parameter out of its allowed range never falls back to the default: every
/// proposed trade is blocked with a reason naming the parameter, and the problem is
/// reported with the reference problems.
#[test]
fn rejected_firm_parameters_block_every_trade_with_a_reason() {
    let dir = Scratch::new("bad-params");
    let book = dir.path("book");
    ballast_synth::write_book(&book, 9, 100).unwrap();
    let mut reference: ReferenceFile = serde_json::from_str(&read(&book.join("reference.json"))).unwrap();
    reference.check_parameters.push(ballast_core::checks::ParamOverride {
        check: "ORDER.NOTIONAL_LIMIT".into(),
        param: "max_notional".into(),
        account_type: None,
        value: "5".parse().unwrap(),
    });
    std::fs::write(book.join("reference.json"), serde_json::to_string(&reference).unwrap()).unwrap();
    let out = dir.path("out");
    let config = RunConfig::new(
        BookSource::Files { reference: book.join("reference.json"), accounts: book.join("accounts.jsonl") },
        RebalanceOptions::new(Mode::Full),
        &out,
    );
    let summary = run(&config, &NoProgress).unwrap();

    let blocked = json_lines(&out.join("blocked.jsonl"));
    assert!(!blocked.is_empty());
    assert_eq!(summary.trades.total, 0, "no order may be written while the parameters are rejected");
    for b in &blocked {
        let reason = b["checks"][0]["reason"].as_str().unwrap();
        assert_eq!(b["checks"][0]["id"], "CONFIG.INVALID_PARAMETERS");
        assert!(reason.contains("ORDER.NOTIONAL_LIMIT.max_notional = 5 is outside its allowed range"), "{reason}");
    }
    let exceptions = read(&out.join("exceptions.jsonl"));
    assert!(exceptions.contains("check parameters rejected"), "{exceptions}");
}

/// `ballast flow` (the platform flow in process): the client's retry finds the same job,
/// every passing trade becomes exactly one order, every order ends filled or rejected,
/// and the read side's counts add up to the orders.
#[test]
fn the_platform_flow_sends_each_order_once_and_completes_the_job() {
    use ballast_flow::{JobStatus, TradeState};
    let config = ballast_embedded::FlowConfig {
        accounts: 400,
        seed: 9,
        options: ballast_core::RebalanceOptions::new(ballast_core::Mode::Full),
        batch_size: 37,
    };
    let report = ballast_embedded::run_flow(&config).unwrap();
    assert!(report.replay_same_job);
    assert_eq!(report.view.status, JobStatus::Completed);
    assert_eq!((report.view.batches.total, report.view.batches.done), (11, 11));
    assert!(report.orders > 1_000, "{} orders", report.orders);
    assert_eq!(report.distinct_keys, report.orders);
    assert_eq!(report.queue_sends, report.orders as u64);
    let count = |s: TradeState| report.view.trades.get(&s).copied().unwrap_or(0);
    assert_eq!(count(TradeState::Filled) + count(TradeState::Rejected), report.orders as u64);
    assert!(count(TradeState::Blocked) > 0);
    let text = report.to_string();
    assert!(text.contains("the same job") && text.contains("completed"), "{text}");
}

#[test]
fn the_fault_drill_detects_the_storm_reroutes_holds_and_finishes_every_order() {
    let out = Command::new(ballast_binary()).args(["drill", "--accounts", "60", "--seed", "7"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let line = |label: &str| stdout.lines().find(|l| l.starts_with(label)).unwrap_or_default().to_string();
    assert!(line("Fault detected").contains("minute 25") || line("Fault detected").contains("minute 26"), "{stdout}");
    assert!(line("Alarms at the other venues").ends_with(" 0"), "{stdout}");
    let held: u64 = line("  held (directed routing)").split_whitespace().last().unwrap().parse().unwrap();
    let released: u64 = line("  released after recovery").split_whitespace().last().unwrap().parse().unwrap();
    assert!(held > 0 && held == released, "{stdout}");
    let accounted = line("Every order accounted for");
    let words: Vec<&str> = accounted.split_whitespace().collect();
    assert_eq!(words[4], words[6], "final == orders: {accounted}");
    assert!(accounted.contains(&format!("{} queue sends", words[6])), "one send per order: {accounted}");
}
