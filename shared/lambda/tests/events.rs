//! The sample events in events/ through the shared handlers, over the in-memory adapters:
//! what each function answers.

use aws_lambda_events::event::sqs::SqsEvent;
use ballast_core::Account;
use ballast_flow::memory::MemoryPlatform;
use ballast_flow::ports::{AccountStore, OrderStore};
use ballast_lambda::{api, reports, steps::StepInput};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};
use lambda_http::{Body, Request, Response};

fn event(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../events/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn request(path: &str) -> Request {
    lambda_http::request::from_str(&event(path)).unwrap()
}

fn body(r: &Response<Body>) -> serde_json::Value {
    match r.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("not a text body: {other:?}"),
    }
}

async fn platform() -> MemoryPlatform<MemorySource> {
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let accounts: Vec<Account> = (0..8).map(|i| ballast_synth::account(42, i, &universe)).collect();
    let p = MemoryPlatform::new(ReferenceCache::new(MemorySource::new(file), Ttls::default()));
    p.store.put_accounts(&accounts).await.unwrap();
    p
}

async fn post(p: &MemoryPlatform<MemorySource>, path: &str) -> Response<Body> {
    let s = &p.store;
    api::post_rebalances(
        &request(path),
        s,
        s,
        &p.workflow,
        s,
        chrono::Utc::now(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_api_answers_each_sample_request() {
    let p = platform().await;
    let r = post(&p, "batching/post-rebalances.json").await;
    assert_eq!(r.status(), 202, "{:?}", body(&r));
    let accepted = body(&r);
    let job = accepted["job_id"].as_str().unwrap().to_string();
    assert_eq!(r.headers()["location"], format!("/rebalances/{job}").as_str());
    assert_eq!(
        (accepted["accounts"].as_u64(), accepted["batches"].as_u64(), accepted["created"].as_bool()),
        (Some(6), Some(2), Some(true))
    );
    // The step events name the job their Idempotency-Key makes.
    let step: StepInput = serde_json::from_str(&event("rebalance/batch-0.json")).unwrap();
    assert_eq!(step.job_id, job);
    // The same request again: the same job.
    let again = post(&p, "batching/post-rebalances.json").await;
    assert_eq!(
        (again.status().as_u16(), body(&again)["job_id"].as_str(), body(&again)["created"].as_bool()),
        (202, Some(job.as_str()), Some(false))
    );

    for (path, status, code) in [
        ("batching/post-rebalances-malformed.json", 400, "MALFORMED_JSON"),
        ("batching/post-rebalances-invalid-mode.json", 400, "INVALID_MODE"),
        ("batching/post-rebalances-unknown-account.json", 422, "UNKNOWN_ACCOUNT"),
    ] {
        let r = post(&p, path).await;
        assert_eq!((r.status().as_u16(), body(&r)["code"].as_str()), (status, Some(code)), "{path}");
        assert!(!body(&r)["message"].as_str().unwrap().is_empty());
    }

    p.run(&job).await.unwrap();
    let r = api::get_rebalance(&request("query/get-rebalance.json"), &p.store).await;
    assert_eq!(r.status(), 200);
    let view = body(&r);
    assert_eq!(view["job_id"], job.as_str());
    assert_eq!(view["status"], "submitted");
    assert_eq!(view["batches"]["done"], 2);
    let r = api::get_rebalance(&request("query/get-trades.json"), &p.store).await;
    assert_eq!(r.status(), 200);
    let page = body(&r);
    assert_eq!(page["trades"].as_array().unwrap().len(), 5);
    assert!(page["next"].is_string());
    for (path, status, code) in [
        ("query/get-trades-invalid-state.json", 400, "INVALID_STATE"),
        ("query/get-rebalance-unknown.json", 404, "JOB_NOT_FOUND"),
    ] {
        let r = api::get_rebalance(&request(path), &p.store).await;
        assert_eq!((r.status().as_u16(), body(&r)["code"].as_str()), (status, Some(code)), "{path}");
    }
    // The wrong method on either route.
    let mut wrong = request("query/get-rebalance.json");
    *wrong.method_mut() = lambda_http::http::Method::DELETE;
    assert_eq!(api::get_rebalance(&wrong, &p.store).await.status(), 405);
    assert_eq!(post(&p, "query/get-rebalance.json").await.status(), 405);
}

#[tokio::test]
async fn a_poison_report_fails_alone_and_the_rest_of_the_batch_is_applied() {
    let p = platform().await;
    let r = post(&p, "batching/post-rebalances.json").await;
    let job = body(&r)["job_id"].as_str().unwrap().to_string();
    p.run(&job).await.unwrap();
    let order = p.store.job_orders(&job).await.unwrap().remove(0);
    let mut sample: serde_json::Value = serde_json::from_str(&event("execution-reports/reports.json")).unwrap();
    // The sample's first message names an order this platform never sent, the second is
    // not JSON: both fail. A third, for a real order, is applied.
    let mut good = sample["Records"][0].clone();
    good["messageId"] = "real-order".into();
    good["body"] =
        serde_json::json!({"order_id": order.id, "venue": order.venue, "seq": 1, "kind": "ack"}).to_string().into();
    sample["Records"].as_array_mut().unwrap().push(good);
    let event: SqsEvent = serde_json::from_value(sample).unwrap();
    let s = &p.store;
    let response = reports::handle(&event, s, s, s).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["5f1c9a0e-0000-4000-8000-000000000001", "5f1c9a0e-0000-4000-8000-000000000002"]);
    let after = p.store.order(&order.id).await.unwrap().unwrap();
    assert_eq!(after.state, ballast_flow::OrderState::Acknowledged);
}

#[tokio::test]
async fn an_operator_halts_a_venue_and_lifting_it_releases_the_held_orders() {
    let p = platform().await;
    let s = &p.store;
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let call = |path: &'static str| {
        let p = &p;
        async move {
            let s = &p.store;
            api::venues(&request(path), s, &p.queues, s, s, &p.reference, chrono::Utc::now(), date).await
        }
    };
    let r = call("venues/put-override-halt.json").await;
    assert_eq!(r.status(), 200, "{:?}", body(&r));
    let b = body(&r);
    assert_eq!(
        (b["transition"]["to"].as_str(), b["health"]["override_"]["by"].as_str()),
        (Some("halted"), Some("ops-jlee"))
    );
    // The detector saw ARCX as healthy: the operator's halt says it missed something.
    let verdicts: Vec<_> = s.verdicts().iter().map(|v| (v.label.as_str(), v.operator_id.clone())).collect();
    assert_eq!(verdicts, [("false_negative", "ops-jlee".to_string())]);
    assert_eq!(b["verdict"]["label"], "false_negative");
    let listed = body(&call("venues/get-venues.json").await);
    assert_eq!(listed["venues"][0]["venue"], "ARCX");
    // A job while ARCX is halted by the operator, for clients who direct their own routing:
    // their ARCX orders wait (the others would go to BATS).
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let directed: Vec<Account> = (0..8)
        .map(|i| {
            let mut a = ballast_synth::account(42, i, &universe);
            a.profile.directed_routing = true;
            a
        })
        .collect();
    s.put_accounts(&directed).await.unwrap();
    let r = post(&p, "batching/post-rebalances.json").await;
    let job = body(&r)["job_id"].as_str().unwrap().to_string();
    p.run(&job).await.unwrap();
    let orders = s.job_orders(&job).await.unwrap();
    assert!(orders.iter().all(|o| o.venue != "ARCX" || o.state == ballast_flow::OrderState::Held));
    let held = orders.iter().filter(|o| o.state == ballast_flow::OrderState::Held).count();
    assert!(held > 0, "no ARCX order in the sample job");
    // Bad requests are refused with a code.
    let r = call("venues/put-override-invalid.json").await;
    assert_eq!((r.status().as_u16(), body(&r)["code"].as_str()), (400, Some("INVALID_STATUS")));
    // Lifting the override: the detector's view (healthy) again, and the held orders go out.
    let r = call("venues/delete-override.json").await;
    let b = body(&r);
    assert_eq!((r.status().as_u16(), b["transition"]["to"].as_str()), (200, Some("healthy")));
    assert_eq!(b["release"]["released"].as_u64(), Some(held as u64));
    assert!(s.job_orders(&job).await.unwrap().iter().all(|o| o.state != ballast_flow::OrderState::Held));
    assert_eq!(s.verdicts().len(), 1, "lifting an override is no verdict");
    // An operator resumes ARCX and says the detector was wrong, in so many words.
    let r = call("venues/put-override-resume.json").await;
    assert_eq!((r.status().as_u16(), body(&r)["verdict"]["label"].as_str()), (200, Some("false_positive")));
    assert_eq!(s.verdicts().last().map(|v| v.label), Some(ballast_flow::health::AnomalyLabel::FalsePositive));
}

/// The nightly ETF run's task events and the review API's events, in the order a night
/// goes: classify, wait for reviews, a reviewer decides, the wait times out, publish.
#[tokio::test]
async fn the_nightly_etf_run_and_the_review_api_answer_their_sample_events() {
    use ballast_flow::etf::{InProcessClassifier, Nightly, NightlyConfig, TemplateRationale};
    use ballast_flow::memory::MemoryEtf;
    use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig};

    let (all, _) = read_csv(include_bytes!("../../ml/data/etfs/etfs_us_arca.csv"));
    let feed_symbols = ["BZQ", "AGQ", "SPY", "IVV", "AGG", "GLD", "XLK", "SCHD", "IWM", "BSCB"];
    let feed: Vec<_> = all.iter().filter(|e| feed_symbols.contains(&e.symbol.as_str())).cloned().collect();
    // The already-reviewed ETFs the map is named by: a sample of the others.
    let reviewed: Vec<_> =
        all.iter().filter(|e| !feed_symbols.contains(&e.symbol.as_str())).step_by(4).cloned().collect();
    let classifier = InProcessClassifier(EtfModel::fit(&reviewed, &EtfModelConfig::default()));
    let etf = MemoryEtf::new(ballast_flow::etf::FeedRead { etfs: feed, issues: vec![] });
    let nightly = Nightly {
        feed: &etf,
        classifier: &classifier,
        rationale: &TemplateRationale,
        store: &etf,
        log: &etf,
        config: NightlyConfig::default(),
    };
    let now = chrono::Utc::now();
    let task = |path: &str| serde_json::from_str::<serde_json::Value>(&event(path)).unwrap();
    let run = |path: &str| ballast_lambda::etf::nightly_task(task(path), &nightly, &etf, now);

    let classified = run("etf-classification/classify.json").await.unwrap();
    assert_eq!(classified["run_id"], "etf-nightly-2026-11-28");
    assert_eq!(classified["classified"], 10);
    let pending = classified["pending_reviews"].as_u64().unwrap();
    assert!(pending >= 3, "BZQ, AGQ (flagged) and BSCB (no summary) at least: {classified}");
    let waiting = run("etf-classification/await-review.json").await.unwrap();
    assert_eq!(waiting["pending_reviews"].as_u64(), Some(pending));
    assert!(etf.resumed().is_empty(), "reviews are pending: the workflow keeps waiting");

    let reviews = |path: &'static str| {
        let etf = &etf;
        async move { ballast_lambda::etf::etf_reviews(&request(path), etf, etf, etf, now).await }
    };
    let listed = body(&reviews("etf-review/get-pending.json").await);
    let queue = listed["reviews"].as_array().unwrap();
    assert_eq!(queue.len() as u64, pending);
    // Flagged first; each with the evidence that fired and a rationale quoting it.
    assert!(queue[0]["proposal"]["flags"].as_object().unwrap().values().any(|v| v == true), "{}", queue[0]);
    let bzq = queue.iter().find(|r| r["symbol"] == "BZQ").expect("BZQ is in the queue");
    assert_eq!(
        (bzq["proposal"]["flags"]["leveraged"].as_bool(), bzq["proposal"]["flags"]["inverse"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(bzq["rationale"]["text"].as_str().unwrap().contains("UltraShort"), "{}", bzq["rationale"]);

    let r = reviews("etf-review/post-approve.json").await;
    assert_eq!(r.status(), 200, "{:?}", body(&r));
    assert_eq!(body(&r)["approved"]["source"], "reviewer");
    assert_eq!(body(&r)["approved"]["reviewer_id"], "cco-mdiaz");
    for (path, status, code) in [
        ("etf-review/post-approve-again.json", 409, "ALREADY_DECIDED"),
        ("etf-review/post-override-no-flags.json", 400, "INVALID_DECISION"),
    ] {
        let r = reviews(path).await;
        assert_eq!((r.status().as_u16(), body(&r)["code"].as_str()), (status, Some(code)), "{path}: {:?}", body(&r));
        assert!(!body(&r)["message"].as_str().unwrap().is_empty());
    }

    let overdue = run("etf-classification/review-overdue.json").await.unwrap();
    assert_eq!(overdue["pending_reviews"].as_u64(), Some(pending - 1));
    let published = run("etf-classification/publish.json").await.unwrap();
    assert_eq!(published["approved"], 1);
    assert!(published["provisional"].as_u64().unwrap() >= 1, "AGQ is still pending: {published}");
    let (log, decided) = etf.training_log();
    assert_eq!((log.len(), decided.len()), (10, 1));

    let bad = ballast_lambda::etf::nightly_task(
        serde_json::json!({"action": "reclassify", "run_id": "r"}),
        &nightly,
        &etf,
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(bad.0.name(), "Ballast.Permanent");
}
