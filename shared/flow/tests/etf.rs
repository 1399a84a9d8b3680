//! The nightly ETF classification over the in-memory adapters, as a compliance user sees
//! it: the real model fitted on part of the bundled file, flagged funds in front of a
//! reviewer, idempotent retries, bad rows, the review wait and decisions, provisional flags
//! at publish time, and the security master the next check run reads.

use std::sync::{Mutex, OnceLock};

use ballast_core::checks::CheckOutcome;
use ballast_core::{Account, AccountType, ProposedTrade, Security, SecurityKind, Side, TradeReason};
use ballast_flow::etf::{
    apply_approvals, await_review, decide, publish, review_overdue, unclassified_etf, ApprovalSource, ClassifyError,
    DecideError, DecisionRequest, EtfClassifier, EtfStore, FeedRead, InProcessClassifier, NightlyConfig, NightlyReport,
    ReviewStatus, RunStatus, WithEtfApprovals,
};
use ballast_flow::memory::MemoryEtf;
use ballast_flow::ports::PortError;
use ballast_ml::etf::eval::{in_test_split, read_flag_truth};
use ballast_ml::etf::{read_csv, EtfClassification, EtfModel, EtfModelConfig, EtfRecord, Flags, ReviewReason};
use ballast_refcache::{MemorySource, Part, ReferenceCache, Ttls};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

const ETFS: &[u8] = include_bytes!("../../ml/data/etfs/etfs_us_arca.csv");
const FLAGS: &[u8] = include_bytes!("../../ml/data/etfs/flags.csv");
const SEED: u64 = 7;
/// Share of the file taken as already reviewed (the model's training rows).
const REVIEWED: f64 = 0.25;
/// A real leveraged fund and a real inverse fund of the file, always fed as new.
const LEVERAGED: &str = "SSO";
const INVERSE: &str = "SH";
const THRESHOLD: f64 = 0.6;

fn now() -> DateTime<Utc> {
    "2026-11-27T02:00:00Z".parse().unwrap()
}

fn file() -> &'static [EtfRecord] {
    static FILE: OnceLock<Vec<EtfRecord>> = OnceLock::new();
    FILE.get_or_init(|| read_csv(ETFS).0)
}

fn reviewed(symbol: &str) -> bool {
    symbol != LEVERAGED && symbol != INVERSE && in_test_split(symbol, SEED, REVIEWED)
}

/// Fitted once per test binary on the labelled, already-reviewed part of the file.
fn model() -> &'static EtfModel {
    static MODEL: OnceLock<EtfModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let train: Vec<EtfRecord> =
            file().iter().filter(|r| reviewed(&r.symbol) && r.category_group.is_some()).cloned().collect();
        EtfModel::fit(&train, &EtfModelConfig::default())
    })
}

/// A fund of the file as the feed sends a new one: without the reviewed labels.
fn etf(symbol: &str) -> EtfRecord {
    let r = file().iter().find(|r| r.symbol == symbol).unwrap_or_else(|| panic!("{symbol} is in the file"));
    EtfRecord { category_group: None, category: None, ..r.clone() }
}

/// `n` funds the model has not seen, then the leveraged and the inverse fund.
fn new_etfs(n: usize) -> Vec<EtfRecord> {
    let mut out: Vec<EtfRecord> =
        file().iter().filter(|r| !reviewed(&r.symbol)).take(n).map(|r| etf(&r.symbol)).collect();
    out.retain(|r| r.symbol != LEVERAGED && r.symbol != INVERSE);
    out.push(etf(LEVERAGED));
    out.push(etf(INVERSE));
    out
}

fn feed(etfs: Vec<EtfRecord>) -> FeedRead {
    FeedRead { etfs, issues: Vec::new() }
}

fn config() -> NightlyConfig {
    NightlyConfig { auto_approve_confidence: THRESHOLD, batch_size: 16 }
}

async fn night(etf: &MemoryEtf, classifier: &impl EtfClassifier, run_id: &str) -> Result<NightlyReport, PortError> {
    etf.nightly(classifier, config()).classify(run_id, now()).await
}

fn real() -> InProcessClassifier {
    InProcessClassifier(model().clone())
}

/// A classifier that answers every row with a confident category and no flag at all (a
/// model that missed them), refuses any batch holding `refuse`, or is down.
#[derive(Default)]
struct Stub {
    refuse: Option<&'static str>,
    down: bool,
    batches: Mutex<Vec<Vec<String>>>,
}

impl EtfClassifier for Stub {
    async fn classify(&self, etfs: &[EtfRecord]) -> Result<Vec<EtfClassification>, ClassifyError> {
        self.batches.lock().unwrap().push(etfs.iter().map(|e| e.symbol.clone()).collect());
        if self.down {
            return Err(ClassifyError::Unavailable(PortError::new("classifier", "endpoint timed out")));
        }
        if let Some(r) = self.refuse.filter(|r| etfs.iter().any(|e| e.symbol == *r)) {
            return Err(ClassifyError::Rejected(format!("payload of {r} is not valid")));
        }
        Ok(etfs.iter().map(confident).collect())
    }
}

fn confident(e: &EtfRecord) -> EtfClassification {
    EtfClassification {
        symbol: e.symbol.clone(),
        category_group: Some("Equities".into()),
        category: Some("Large Cap".into()),
        confidence: 0.95,
        category_confidence: 0.9,
        cluster: 3,
        complex_neighbourhood: 0.0,
        flags: Flags::default(),
        evidence: Vec::new(),
        issues: Vec::new(),
        model_version: "stub-1".into(),
    }
}

async fn pending(etf: &MemoryEtf) -> Vec<ballast_flow::etf::ReviewItem> {
    etf.reviews(Some(ReviewStatus::Pending)).await.unwrap()
}

async fn review_of(etf: &MemoryEtf, symbol: &str) -> ballast_flow::etf::ReviewItem {
    etf.review(symbol).await.unwrap().unwrap_or_else(|| panic!("no review of {symbol}"))
}

fn request(decision: &str) -> DecisionRequest {
    DecisionRequest {
        reviewer_id: "rev-ana".into(),
        reason: "read the prospectus".into(),
        decision: decision.into(),
        run_id: None,
        category_group: None,
        category: None,
        flags: None,
    }
}

fn overriding(flags: Flags) -> DecisionRequest {
    DecisionRequest { flags: Some(flags), category_group: Some("Equities".into()), ..request("override") }
}

fn complex_flags(r: &ReviewReason) -> Vec<String> {
    match r {
        ReviewReason::ComplexProduct { flags } => flags.clone(),
        other => panic!("expected a complex-product review, got {other:?}"),
    }
}

#[tokio::test]
async fn flagged_funds_always_go_to_review_with_the_evidence_and_only_clean_confident_funds_are_approved() {
    let etfs = new_etfs(120);
    let store = MemoryEtf::new(feed(etfs.clone()));
    let report = night(&store, &real(), "n1").await.unwrap();
    assert_eq!(report.etfs, etfs.len());
    assert_eq!(report.classified, etfs.len());
    assert_eq!(report.auto_approved + report.pending_reviews, report.classified);

    for (symbol, flag) in [(LEVERAGED, "leveraged"), (INVERSE, "inverse")] {
        let r = review_of(&store, symbol).await;
        assert_eq!(r.status, ReviewStatus::Pending);
        assert!(complex_flags(&r.reason).contains(&flag.to_string()), "{symbol}: {:?}", r.reason);
        assert!(!r.proposal.evidence.is_empty(), "{symbol} has no evidence");
        for e in r.proposal.evidence.iter().take(4) {
            assert!(r.rationale.text.contains(&format!("\"{}\"", e.matched_text)), "{}", r.rationale.text);
        }
    }
    assert_eq!(review_of(&store, LEVERAGED).await.proposal.flags.leverage_factor.as_deref(), Some("2"));

    // Every fund the reviewed truth file calls leveraged or inverse is in front of a person.
    let truth = read_flag_truth(FLAGS).unwrap();
    let approvals = store.approvals().await.unwrap();
    for a in &approvals {
        let t = &truth[&a.symbol];
        assert!(t.leveraged != Some(true) && t.inverse != Some(true), "{} was approved without review", a.symbol);
    }

    // Whatever was approved without a person: no flag, clean input, confident.
    assert!(report.auto_approved > 0, "{report:?}");
    let (log, _) = store.training_log();
    for a in &approvals {
        assert_eq!(a.source, ApprovalSource::Auto);
        assert!(!a.flags.any(), "{a:?}");
        let row = log.iter().find(|c| c.etf.symbol == a.symbol).unwrap();
        assert!(row.proposal.issues.is_empty() && row.etf.input_issues().is_empty(), "{row:?}");
        assert!(row.proposal.confidence >= THRESHOLD, "{row:?}");
        assert_eq!(row.status, "auto_approved");
    }
}

#[tokio::test]
async fn a_model_that_misses_the_flags_still_raises_them_from_the_text() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED), etf(INVERSE), etf("SPY")]));
    night(&store, &Stub::default(), "n1").await.unwrap();

    let lev = review_of(&store, LEVERAGED).await;
    assert!(lev.proposal.flags.leveraged && lev.proposal.flags.leverage_factor.as_deref() == Some("2"));
    assert_eq!(complex_flags(&lev.reason), ["leveraged"]);
    assert!(lev.proposal.evidence.iter().any(|e| e.flag == ballast_ml::etf::Flag::Leveraged));
    let inv = review_of(&store, INVERSE).await;
    assert!(inv.proposal.flags.inverse, "{:?}", inv.proposal.flags);
    // The plain fund with full text is approved as the (confident) stub said.
    let approvals = store.approvals().await.unwrap();
    assert_eq!(approvals.iter().map(|a| a.symbol.as_str()).collect::<Vec<_>>(), ["SPY"]);
}

#[tokio::test]
async fn a_retried_step_decides_nothing_twice_and_unchanged_funds_are_not_classified_again() {
    let etfs = new_etfs(40);
    let store = MemoryEtf::new(feed(etfs.clone()));
    let classifier = real();
    let first = night(&store, &classifier, "n1").await.unwrap();
    let reviews = store.reviews(None).await.unwrap();
    let approvals = store.approvals().await.unwrap();
    let retry = night(&store, &classifier, "n1").await.unwrap();
    assert_eq!(retry, first);
    assert_eq!(store.reviews(None).await.unwrap(), reviews);
    assert_eq!(store.approvals().await.unwrap(), approvals);
    assert_eq!(store.training_log().0.len(), etfs.len());

    // The next night, same feed: nothing to classify, nothing new to review.
    let next = night(&store, &classifier, "n2").await.unwrap();
    assert_eq!((next.classified, next.unchanged, next.pending_reviews), (0, etfs.len(), 0));
    assert_eq!(store.reviews(None).await.unwrap(), reviews);

    // One summary changes: that fund alone is classified again.
    let mut changed = etfs.clone();
    let spot = changed.iter_mut().find(|e| e.symbol != LEVERAGED && e.symbol != INVERSE).unwrap();
    let symbol = spot.symbol.clone();
    spot.summary =
        Some(format!("{} The fund now also writes covered calls.", spot.summary.clone().unwrap_or_default()));
    store.set_feed(feed(changed));
    let third = night(&store, &classifier, "n3").await.unwrap();
    assert_eq!((third.classified, third.unchanged), (1, etfs.len() - 1));
    let (log, _) = store.training_log();
    assert_eq!(log.iter().filter(|c| c.run_id == "n3").map(|c| c.etf.symbol.as_str()).collect::<Vec<_>>(), [symbol]);
}

#[tokio::test]
async fn an_interrupted_step_retried_reports_what_a_clean_run_would() {
    let etfs = new_etfs(30);
    let clean = MemoryEtf::new(feed(etfs.clone()));
    let expected = night(&clean, &Stub::default(), "n1").await.unwrap();

    // The first attempt wrote its approvals and crashed before the run record.
    let store = MemoryEtf::new(feed(etfs));
    store.put_approvals(&clean.approvals().await.unwrap()).await.unwrap();
    let retry = night(&store, &Stub::default(), "n1").await.unwrap();
    assert_eq!(retry, expected);
    assert_eq!(store.approvals().await.unwrap(), clean.approvals().await.unwrap());
}

#[tokio::test]
async fn bad_rows_are_classified_from_what_exists_or_reviewed_with_their_reason_and_the_run_completes() {
    let no_summary = EtfRecord { symbol: "NOSUM".into(), summary: None, ..etf("SPY") };
    let garbled =
        EtfRecord { symbol: "GRBL".into(), name: "\u{fffd}\u{fffd}\u{fffd} \u{fffd}\u{fffd}".into(), ..etf("IVV") };
    let dup_first = EtfRecord { symbol: "DUPE".into(), ..etf("VOO") };
    let dup_second = EtfRecord { symbol: "DUPE".into(), name: "Another fund entirely".into(), ..etf("AGG") };
    let no_family = EtfRecord { symbol: "NOFAM".into(), family: None, ..etf("IWM") };
    let no_symbol = EtfRecord { symbol: "  ".into(), ..etf("DIA") };
    let refused = EtfRecord { symbol: "RFSD".into(), ..etf("DIA") };
    let clean: Vec<EtfRecord> = ["SPY", "IVV", "VOO", "AGG"].map(etf).into();
    let mut rows = vec![no_summary, garbled, dup_first, dup_second, no_family, no_symbol, refused];
    rows.extend(clean.iter().cloned());
    let store = MemoryEtf::new(FeedRead { etfs: rows, issues: vec!["line 9: malformed row: 3 fields".into()] });
    let stub = Stub { refuse: Some("RFSD"), ..Stub::default() };

    let report = night(&store, &stub, "n1").await.unwrap();
    assert_eq!(report.etfs, 9, "{report:?}");
    assert_eq!(report.classified, 9);
    let issues = report.issues.join("\n");
    for words in ["malformed row", "without a symbol", "duplicate symbol DUPE"] {
        assert!(issues.contains(words), "{issues}");
    }
    let input_issues = |r: &ReviewReason| match r {
        ReviewReason::InputIssues { issues } => issues.join("; "),
        other => panic!("expected input issues, got {other:?}"),
    };
    for (symbol, words) in [
        ("NOSUM", "no summary"),
        ("GRBL", "name holds undecodable characters"),
        ("DUPE", "another, different row"),
        ("NOFAM", "no family"),
        ("RFSD", "refused it: payload of RFSD"),
    ] {
        let r = review_of(&store, symbol).await;
        assert!(input_issues(&r.reason).contains(words), "{symbol}: {:?}", r.reason);
        assert!(r.rationale.text.contains(words), "{symbol}: {}", r.rationale.text);
    }
    // The no-summary fund was still classified from its name and family.
    assert_eq!(review_of(&store, "NOSUM").await.proposal.category_group.as_deref(), Some("Equities"));
    // The refusal was isolated: every other row got the classifier's answer.
    let approved: Vec<String> = store.approvals().await.unwrap().into_iter().map(|a| a.symbol).collect();
    assert_eq!(approved, ["AGG", "IVV", "SPY", "VOO"]);
    assert!(stub.batches.lock().unwrap().contains(&vec!["RFSD".to_string()]));
    assert_eq!(store.run("n1").await.unwrap().unwrap().status, RunStatus::AwaitingReview);
}

#[tokio::test]
async fn an_unavailable_classifier_fails_the_step_without_writing_anything() {
    let store = MemoryEtf::new(feed(new_etfs(10)));
    let err = night(&store, &Stub { down: true, ..Stub::default() }, "n1").await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(store.approvals().await.unwrap().is_empty());
    assert!(store.reviews(None).await.unwrap().is_empty());
    assert!(store.run("n1").await.unwrap().is_none());
    assert!(store.training_log().0.is_empty());
    // Step Functions retries the step once the endpoint is back: it runs in full.
    let report = night(&store, &Stub::default(), "n1").await.unwrap();
    assert_eq!(report.classified, 12);
}

#[tokio::test]
async fn the_wait_keeps_its_token_and_the_last_decision_resumes_the_workflow_once() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED), etf(INVERSE), etf("SPY")]));
    night(&store, &Stub::default(), "n1").await.unwrap();
    assert_eq!(await_review(&store, &store, "n1", "tok-1", now()).await.unwrap(), 2);
    assert_eq!(store.run("n1").await.unwrap().unwrap().task_token.as_deref(), Some("tok-1"));
    assert!(store.resumed().is_empty());

    let d = decide(&store, &store, &store, LEVERAGED, request("approve"), now()).await.unwrap();
    assert_eq!((d.pending_in_run, d.resumed), (1, false));
    assert!(store.resumed().is_empty());
    let d = decide(&store, &store, &store, INVERSE, request("approve"), now()).await.unwrap();
    assert_eq!((d.pending_in_run, d.resumed), (0, true));
    let resumed = store.resumed();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].0, "tok-1");
    assert_eq!(resumed[0].1["pending_reviews"], 0);

    let again = decide(&store, &store, &store, INVERSE, request("approve"), now()).await.unwrap_err();
    assert_eq!(again, DecideError::AlreadyDecided { symbol: INVERSE.into(), status: "approved" });
    assert!(matches!(
        decide(&store, &store, &store, "NOPE", request("approve"), now()).await,
        Err(DecideError::NotFound(_))
    ));
    assert_eq!(store.resumed().len(), 1);
}

#[tokio::test]
async fn a_decision_for_another_run_is_not_found_and_leaves_the_pending_review_open() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED)]));
    night(&store, &Stub::default(), "n1").await.unwrap();
    let stale = DecisionRequest { run_id: Some("n0".into()), ..request("approve") };
    let e = decide(&store, &store, &store, LEVERAGED, stale, now()).await.unwrap_err();
    let DecideError::NotFound(detail) = e else { panic!("{e:?}") };
    assert!(detail.contains("run n0") && detail.contains("run n1"), "{detail}");
    assert_eq!(review_of(&store, LEVERAGED).await.status, ReviewStatus::Pending);
    let current = DecisionRequest { run_id: Some("n1".into()), ..request("approve") };
    let d = decide(&store, &store, &store, LEVERAGED, current, now()).await.unwrap();
    assert_eq!(d.item.status, ReviewStatus::Approved);
}

#[tokio::test]
async fn invalid_decisions_are_refused_and_change_nothing() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED)]));
    night(&store, &Stub::default(), "n1").await.unwrap();
    let factor = |f: &str| Flags { leveraged: true, leverage_factor: Some(f.into()), ..Flags::default() };
    let cases = [
        DecisionRequest { reviewer_id: " ".into(), ..request("approve") },
        DecisionRequest { reason: "".into(), ..request("approve") },
        request("override"),
        DecisionRequest { flags: Some(Flags::default()), ..request("approve") },
        overriding(factor("two")),
        request("maybe"),
    ];
    for case in cases {
        let got = decide(&store, &store, &store, LEVERAGED, case.clone(), now()).await;
        assert!(matches!(got, Err(DecideError::Invalid(_))), "{case:?}: {got:?}");
    }
    assert_eq!(pending(&store).await.len(), 1);
    assert!(store.approvals().await.unwrap().is_empty());
    assert!(store.training_log().1.is_empty());
}

fn plain_etf(id: &str) -> Security {
    unclassified_etf(id, id)
}

#[tokio::test]
async fn an_override_is_what_the_security_master_gets() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED), etf("SPY")]));
    let cautious = Stub::default();
    // A reviewer-only path for SPY: a threshold nothing reaches.
    let nightly = store.nightly(&cautious, NightlyConfig { auto_approve_confidence: 1.1, batch_size: 10 });
    nightly.classify("n1", now()).await.unwrap();
    // The reviewer clears the leveraged flag (say, the text describes a closed share class)...
    decide(&store, &store, &store, LEVERAGED, overriding(Flags::default()), now()).await.unwrap();
    // ...and marks SPY an ETN (the text is silent on it).
    decide(&store, &store, &store, "SPY", overriding(Flags { etn: true, ..Flags::default() }), now()).await.unwrap();

    let mut master = vec![plain_etf(LEVERAGED), plain_etf("SPY"), plain_etf("AGG")];
    master[0].complex_product = true;
    master[0].profile.flags.leveraged = true;
    let changed = apply_approvals(&mut master, &store.approvals().await.unwrap());
    assert_eq!(changed, 2);
    assert!(!master[0].complex_product && master[0].profile.flags.is_plain());
    assert!(master[1].complex_product && master[1].profile.flags.etn && !master[1].profile.flags.leveraged);
    assert_eq!(master[2], plain_etf("AGG"));
}

fn buy(account: &Account, security: &str, price: Decimal) -> ProposedTrade {
    let quantity = Decimal::from(10);
    ProposedTrade {
        account: account.id.as_str().into(),
        security: security.into(),
        side: Side::Buy,
        quantity,
        price,
        amount: quantity * price,
        reason: TradeReason::Drift,
        lots: Vec::new(),
        short_term_gain: Decimal::ZERO,
        long_term_gain: Decimal::ZERO,
    }
}

#[tokio::test]
async fn an_approval_updates_the_security_master_so_the_next_check_run_blocks_the_buy() {
    let mut file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let template = file.securities.iter().find(|s| s.kind == SecurityKind::Etf && !s.complex_product).unwrap().clone();
    let price = file.prices.iter().find(|p| p.security == template.id).unwrap().clone();
    file.securities.push(Security {
        id: LEVERAGED.into(),
        name: etf(LEVERAGED).name,
        wash_sale_group: None,
        ..template
    });
    file.prices.push(ballast_core::Price { security: LEVERAGED.into(), ..price.clone() });
    let trade_date = file.trade_date;
    let mut account = ballast_synth::account(42, 0, &universe);
    account.account_type = AccountType::Taxable;
    account.profile.complex_approved = false;

    let cache = ReferenceCache::new(
        WithEtfApprovals { inner: MemorySource::new(file), store: MemoryEtf::new(feed(vec![etf(LEVERAGED)])) },
        Ttls::default(),
    );
    let checks = |account: Account| {
        let cache = &cache;
        async move {
            let snapshot = cache.snapshot(trade_date).await.unwrap();
            let outcomes: Vec<CheckOutcome> = snapshot
                .checks
                .check_account(&snapshot.reference, &account, &[buy(&account, LEVERAGED, price.price)])
                .remove(0);
            outcomes.into_iter().map(|o| o.id).collect::<Vec<_>>()
        }
    };
    let before = checks(account.clone()).await;
    assert!(!before.iter().any(|id| id.starts_with("SUIT.") && id.contains("NOT_APPROVED")), "{before:?}");

    let store = &cache.source().store;
    night(store, &Stub::default(), "n1").await.unwrap();
    decide(store, store, store, LEVERAGED, request("approve"), now()).await.unwrap();
    cache.invalidate(Part::SecurityMaster).await;

    let snapshot = cache.snapshot(trade_date).await.unwrap();
    let sso = snapshot.reference.security(snapshot.reference.security_index(LEVERAGED).unwrap());
    assert!(sso.complex_product && sso.profile.flags.leveraged, "{sso:?}");
    assert_eq!(sso.profile.flags.leverage_factor, Some(Decimal::from(2)));
    let after = checks(account.clone()).await;
    assert!(after.contains(&"SUIT.LEVERAGED_NOT_APPROVED"), "{after:?}");
    account.profile.complex_approved = true;
    let approved = checks(account).await;
    assert!(!approved.contains(&"SUIT.LEVERAGED_NOT_APPROVED"), "{approved:?}");
}

#[tokio::test]
async fn an_overdue_run_publishes_provisional_text_flags_that_a_later_decision_replaces() {
    let store = MemoryEtf::new(feed(vec![etf(LEVERAGED), etf(INVERSE), etf("SPY")]));
    // The model claims a volatility flag the text does not support: not carried provisionally.
    struct Claims;
    impl EtfClassifier for Claims {
        async fn classify(&self, etfs: &[EtfRecord]) -> Result<Vec<EtfClassification>, ClassifyError> {
            Ok(etfs
                .iter()
                .map(|e| {
                    let mut c = confident(e);
                    c.flags.volatility = e.symbol == LEVERAGED;
                    c
                })
                .collect())
        }
    }
    night(&store, &Claims, "n1").await.unwrap();
    await_review(&store, &store, "n1", "tok-1", now()).await.unwrap();
    assert_eq!(review_overdue(&store, "n1").await.unwrap(), 2);
    assert_eq!(store.run("n1").await.unwrap().unwrap().status, RunStatus::Overdue);

    let later = now() + Duration::hours(30);
    let published = publish(&store, "n1", later).await.unwrap();
    assert_eq!((published.auto_approved, published.provisional, published.approved), (1, 2, 0));
    let run = store.run("n1").await.unwrap().unwrap();
    assert_eq!((run.status, run.task_token), (RunStatus::Published, None));
    let approvals = store.approvals().await.unwrap();
    let lev = approvals.iter().find(|a| a.symbol == LEVERAGED).unwrap();
    assert_eq!(lev.source, ApprovalSource::Provisional);
    assert!(lev.flags.leveraged && !lev.flags.volatility, "{:?}", lev.flags);
    assert_eq!((lev.category_group.as_deref(), lev.category.as_deref()), (None, None));
    assert!(approvals
        .iter()
        .any(|a| a.symbol == INVERSE && a.source == ApprovalSource::Provisional && a.flags.inverse));

    // The reviewer decides the next morning: the decision replaces the provisional flags.
    let d = decide(&store, &store, &store, LEVERAGED, request("approve"), later).await.unwrap();
    assert!(!d.resumed, "the workflow is gone after publish");
    let lev = store.approvals().await.unwrap().into_iter().find(|a| a.symbol == LEVERAGED).unwrap();
    assert_eq!(lev.source, ApprovalSource::Reviewer);
    assert!(lev.flags.leveraged && lev.flags.volatility);
    assert_eq!(lev.category_group.as_deref(), Some("Equities"));
    // Publishing again keeps the reviewer's decision and the inverse fund provisional.
    let again = publish(&store, "n1", later).await.unwrap();
    assert_eq!((again.approved, again.provisional), (1, 1));
    let lev = store.approvals().await.unwrap().into_iter().find(|a| a.symbol == LEVERAGED).unwrap();
    assert_eq!(lev.source, ApprovalSource::Reviewer);
}

#[tokio::test]
async fn a_provisional_approval_never_clears_what_the_security_master_knew() {
    let store = MemoryEtf::new(feed(vec![etf("SPY")]));
    let stub = Stub::default();
    let nightly = store.nightly(&stub, NightlyConfig { auto_approve_confidence: 1.1, batch_size: 10 });
    nightly.classify("n1", now()).await.unwrap();
    publish(&store, "n1", now()).await.unwrap();
    let mut master = vec![plain_etf("SPY")];
    master[0].complex_product = true;
    master[0].profile.flags.etn = true;
    apply_approvals(&mut master, &store.approvals().await.unwrap());
    assert!(master[0].complex_product && master[0].profile.flags.etn);
}

#[tokio::test]
async fn the_training_log_holds_each_classification_and_each_decided_review_once() {
    let etfs = new_etfs(20);
    let store = MemoryEtf::new(feed(etfs.clone()));
    let report = night(&store, &real(), "n1").await.unwrap();
    night(&store, &real(), "n1").await.unwrap();
    let (classified, decided) = store.training_log();
    assert_eq!(classified.len(), report.classified);
    let mut symbols: Vec<&str> = classified.iter().map(|c| c.etf.symbol.as_str()).collect();
    symbols.sort_unstable();
    symbols.dedup();
    assert_eq!(symbols.len(), etfs.len());
    assert!(decided.is_empty());

    decide(&store, &store, &store, LEVERAGED, request("approve"), now()).await.unwrap();
    decide(&store, &store, &store, INVERSE, overriding(Flags { inverse: true, ..Flags::default() }), now())
        .await
        .unwrap();
    let _ = decide(&store, &store, &store, INVERSE, request("approve"), now()).await;
    let (_, decided) = store.training_log();
    assert_eq!(decided.iter().map(|r| r.symbol.as_str()).collect::<Vec<_>>(), [LEVERAGED, INVERSE]);
    assert!(decided.iter().all(|r| r.decision.as_ref().is_some_and(|d| d.reviewer_id == "rev-ana")));
    assert_eq!(decided[1].status, ReviewStatus::Overridden);
}
