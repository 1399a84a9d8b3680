//! The feedback loop's writes in process: an operator's override becomes a verdict on the
//! detector, and decisions and verdicts go to the outbox before the training store, so a
//! training store that is down costs neither.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ballast_core::VenueStatus;
use ballast_flow::anomaly::{AnomalyDecision, DecisionLog, Outboxed, VerdictLog};
use ballast_flow::faults::{Crash, Faulty};
use ballast_flow::health::{Action, AnomalyLabel, OperatorVerdict, Override, VenueHealth, VerdictRequest};
use ballast_flow::memory::{MemoryQueues, MemoryStore};
use ballast_flow::ports::VenueHealthStore;
use ballast_flow::{override_venue, OverrideOutcome};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};
use chrono::{DateTime, TimeDelta, Utc};

fn minute(m: i64) -> DateTime<Utc> {
    "2026-11-27T14:30:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(m)
}

/// Log lines written while `f` runs on this thread.
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || SharedWriter(writer.clone())).finish();
        (Logs(buf), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The venues function's collaborators over one in-memory store (its DynamoDB table).
struct Desk {
    store: MemoryStore,
    queues: MemoryQueues,
    reference: ReferenceCache<MemorySource>,
}

impl Desk {
    fn new() -> Desk {
        let reference = ReferenceCache::new(MemorySource::new(ballast_synth::reference(42)), Ttls::default());
        Desk { store: MemoryStore::new(), queues: MemoryQueues::new(), reference }
    }

    /// The detector's view of `venue`, as anomaly-inference leaves it.
    async fn detected(&self, venue: &str, status: VenueStatus) {
        let current = self.store.venue_health().await.unwrap().into_iter().find(|h| h.venue == venue);
        let mut health = current.unwrap_or_else(|| VenueHealth::new(venue));
        health.detected = status;
        health.version += 1;
        assert!(self.store.put_venue_health(&health).await.unwrap());
    }

    /// `PUT /venues/{venue}/override` (`Some`) or `DELETE` (`None`) at minute `m`.
    async fn act(
        &self,
        training: &impl VerdictLog,
        venue: &str,
        m: i64,
        change: Option<(VenueStatus, VerdictRequest)>,
    ) -> Result<OverrideOutcome, ballast_flow::ApiError> {
        let change = change.map(|(status, asked)| {
            (
                Override { status, by: "ops-jlee".into(), reason: format!("ops call at minute {m}"), at: minute(m) },
                asked,
            )
        });
        let verdicts = Outboxed { outbox: &self.store, training };
        let date = ballast_synth::reference(42).trade_date;
        override_venue(&self.store, &self.queues, &self.store, &verdicts, &self.reference, date, venue, change).await
    }
}

#[tokio::test]
async fn resuming_confirming_and_missing_a_venue_become_the_detectors_labels_in_outbox_and_training_store() {
    let desk = Desk::new();
    let training = MemoryStore::new();
    desk.detected("ARCX", VenueStatus::Halted).await;
    // The detector halted ARCX; the operator resumes it: the model was wrong.
    let resumed = desk.act(&training, "ARCX", 5, Some((VenueStatus::Healthy, VerdictRequest::Derived))).await.unwrap();
    let expected = OperatorVerdict {
        venue: "ARCX".into(),
        at: minute(5),
        label: AnomalyLabel::FalsePositive,
        operator_id: "ops-jlee".into(),
        reason: Some("ops call at minute 5".into()),
    };
    assert_eq!(resumed.verdict.as_ref(), Some(&expected));
    assert_eq!(resumed.health.effective(), VenueStatus::Healthy);
    // The detector degrades BATS; the operator halts it outright: the model was right.
    desk.detected("BATS", VenueStatus::Degraded).await;
    let confirmed = desk.act(&training, "BATS", 6, Some((VenueStatus::Halted, VerdictRequest::Derived))).await;
    assert_eq!(confirmed.unwrap().verdict.map(|v| v.label), Some(AnomalyLabel::TruePositive));
    // XNAS looked healthy to the detector; the operator halts it: a miss.
    let missed = desk.act(&training, "XNAS", 7, Some((VenueStatus::Halted, VerdictRequest::Derived))).await;
    assert_eq!(missed.unwrap().verdict.map(|v| v.label), Some(AnomalyLabel::FalseNegative));
    // Neither lifting an override nor a maintenance halt says anything of the model.
    assert_eq!(desk.act(&training, "XNAS", 8, None).await.unwrap().verdict, None);
    let maintenance = desk.act(&training, "XNYS", 9, Some((VenueStatus::Halted, VerdictRequest::NotAVerdict))).await;
    assert_eq!(maintenance.unwrap().verdict, None);

    let labels = |log: &MemoryStore| log.verdicts().iter().map(|v| (v.venue.clone(), v.label)).collect::<Vec<_>>();
    let expected_labels = vec![
        ("ARCX".to_string(), AnomalyLabel::FalsePositive),
        ("BATS".to_string(), AnomalyLabel::TruePositive),
        ("XNAS".to_string(), AnomalyLabel::FalseNegative),
    ];
    assert_eq!(labels(&desk.store), expected_labels, "the outbox");
    assert_eq!(labels(&training), expected_labels, "the training store");
    assert_eq!(desk.store.verdicts()[0], expected);
}

#[tokio::test]
async fn a_training_store_that_is_down_costs_no_verdict_and_the_failure_is_logged() {
    let (logs, _guard) = Logs::capture();
    let desk = Desk::new();
    desk.detected("ARCX", VenueStatus::Halted).await;
    let training = Faulty::new(MemoryStore::new());
    training.fail_write(1, Crash::Before);
    let r = desk.act(&training, "ARCX", 5, Some((VenueStatus::Healthy, VerdictRequest::Derived))).await;
    assert_eq!(r.expect("the override succeeds").health.effective(), VenueStatus::Healthy);
    assert_eq!(desk.store.verdicts().len(), 1, "kept in the outbox");
    assert!(training.inner.verdicts().is_empty());
    let text = logs.text();
    assert!(text.contains("WARN") && text.contains("kept in the outbox only"), "{text}");
    assert!(text.contains("operator verdict") && text.contains("injected failure"), "{text}");
}

#[tokio::test]
async fn an_outbox_that_fails_fails_the_request_and_nothing_reaches_the_training_store_until_it_is_sent_again() {
    let desk = Desk::new();
    desk.detected("ARCX", VenueStatus::Halted).await;
    let training = Faulty::new(MemoryStore::new());
    // The outbox write fails: the override stands, the caller is told to send it again.
    let outbox = Faulty::new(MemoryStore::new());
    outbox.fail_write(1, Crash::Before);
    let v = OperatorVerdict {
        venue: "ARCX".into(),
        at: minute(5),
        label: AnomalyLabel::FalsePositive,
        operator_id: "ops-jlee".into(),
        reason: None,
    };
    let outboxed = Outboxed { outbox: &outbox, training: &training };
    assert!(outboxed.record_verdict(&v).await.is_err());
    assert_eq!(training.writes(), 0, "the training store is written only after the outbox");
    outboxed.record_verdict(&v).await.unwrap();
    assert_eq!((outbox.inner.verdicts(), training.inner.verdicts()), (vec![v.clone()], vec![v]));

    // Through the service: a 503 that names the cause, and the override already in place.
    let failing = FailingOutbox;
    let verdicts = Outboxed { outbox: &failing, training: &training };
    let change = Override { status: VenueStatus::Healthy, by: "ops-jlee".into(), reason: "fine".into(), at: minute(6) };
    let date = ballast_synth::reference(42).trade_date;
    let e = override_venue(
        &desk.store,
        &desk.queues,
        &desk.store,
        &verdicts,
        &desk.reference,
        date,
        "ARCX",
        Some((change, VerdictRequest::Derived)),
    )
    .await
    .unwrap_err();
    assert_eq!((e.status, e.code), (503, "UNAVAILABLE"));
    assert!(e.message.contains("send it again"), "{}", e.message);
    let arcx = desk.store.venue_health().await.unwrap().into_iter().find(|h| h.venue == "ARCX").unwrap();
    assert_eq!(arcx.effective(), VenueStatus::Healthy);
    assert_eq!(training.inner.verdicts().len(), 1, "nothing more reached the training store");
}

/// An outbox that is down.
struct FailingOutbox;

impl VerdictLog for FailingOutbox {
    async fn record_verdict(&self, _: &OperatorVerdict) -> ballast_flow::ports::PortResult<()> {
        Err(ballast_flow::ports::PortError::new("outbox", "DynamoDB is unreachable"))
    }
}

fn decision(venue: &str, m: i64, action: Action) -> AnomalyDecision {
    let to = if action == Action::Halt { VenueStatus::Halted } else { VenueStatus::Healthy };
    AnomalyDecision {
        venue: venue.into(),
        window_start: minute(m),
        features: BTreeMap::from([("reject_rate".to_string(), m as f64 / 10.0)]),
        score: 1.0 + m as f64,
        threshold: 2.5,
        grade: 0.0,
        from: VenueStatus::Healthy,
        to,
        action,
        model: "rcf-test".into(),
    }
}

#[tokio::test]
async fn decisions_go_to_the_outbox_first_and_then_to_the_training_store() {
    let decisions = vec![decision("ARCX", 0, Action::None), decision("ARCX", 1, Action::Halt)];
    let (outbox, training) = (Faulty::new(MemoryStore::new()), Faulty::new(MemoryStore::new()));
    let outboxed = Outboxed { outbox: &outbox, training: &training };
    outboxed.record(&decisions).await.unwrap();
    assert_eq!(outbox.inner.decisions(), decisions);
    assert_eq!(training.inner.decisions(), decisions);
    // An outbox that fails fails the batch (SQS redelivers it) before the training store
    // sees anything.
    outbox.fail_write(1, Crash::Before);
    let later = vec![decision("ARCX", 2, Action::None)];
    assert!(outboxed.record(&later).await.is_err());
    assert_eq!((outbox.inner.decisions().len(), training.inner.decisions().len()), (2, 2));
    assert_eq!(training.log(), ["record_decisions"], "one training write: the first batch's");
}

#[tokio::test]
async fn with_the_training_store_down_decisions_stay_in_the_outbox_logged_until_drained() {
    let (logs, _guard) = Logs::capture();
    let (outbox, training) = (MemoryStore::new(), Faulty::new(MemoryStore::new()));
    training.fail_write(1, Crash::Before);
    let decisions: Vec<AnomalyDecision> = (0..3).map(|m| decision("BATS", m, Action::None)).collect();
    Outboxed { outbox: &outbox, training: &training }.record(&decisions).await.expect("the batch succeeds");
    assert_eq!(outbox.decisions(), decisions);
    assert!(training.inner.decisions().is_empty());
    let text = logs.text();
    assert!(text.contains("WARN") && text.contains("kept in the outbox only"), "{text}");
    assert!(text.contains("anomaly decisions") && text.contains("rows=3"), "{text}");
    // The drain: what the outbox holds, into the training store once it is back.
    training.record(&outbox.decisions()).await.unwrap();
    assert_eq!(training.inner.decisions(), decisions);
}
