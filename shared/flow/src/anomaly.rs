//! Market-center fault detection (ARCHITECTURE.md, flow 2) as a service over ports.
//!
//! Telemetry events (orders sent by `submit`, execution reports from the venues) arrive in
//! batches. Each venue's events go into its telemetry windows ([`ballast_ml::telemetry`]);
//! every window that closes becomes a feature vector, the last `shingle_size` of them a
//! shingle the [`AnomalyScorer`] scores (the SageMaker endpoint in AWS, the model in process
//! locally). The verdict moves the venue's health ([`crate::health`]); every verdict is
//! recorded as an [`AnomalyDecision`] for the feedback loop; and a venue that is no longer
//! halted gets its held orders released.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use ballast_core::VenueStatus;
use ballast_ml::telemetry::{TelemetryConfig, TelemetryEvent, TelemetryWindows, FEATURE_NAMES, N_FEATURES};
use ballast_refcache::{ReferenceCache, ReferenceSource};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::health::{Action, HealthPolicy, OperatorVerdict, Transition, VenueHealth, Verdict};
use crate::ports::{OrderGateway, OrderStore, PortResult, ReadModel, VenueHealthStore};
use crate::service::{release_held_orders, ReleaseReport, StepError};

/// One venue's telemetry between batches: its open window, the orders it tracks, and the
/// feature vectors of its last closed windows (the next shingle's history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueTelemetry {
    pub venue: String,
    pub windows: TelemetryWindows,
    pub recent: Vec<[f64; N_FEATURES]>,
    /// Increases with every save (the stores' optimistic concurrency).
    pub version: u64,
}

impl VenueTelemetry {
    pub fn new(venue: &str, config: TelemetryConfig) -> Self {
        VenueTelemetry {
            venue: venue.to_string(),
            windows: TelemetryWindows::new(config),
            recent: Vec::new(),
            version: 0,
        }
    }
}

/// Where venue telemetry is kept between batches.
pub trait TelemetryStore: Send + Sync {
    /// Every venue with telemetry (their windows close even when no event arrives).
    fn telemetry_venues(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    fn venue_telemetry(&self, venue: &str) -> impl Future<Output = PortResult<Option<VenueTelemetry>>> + Send;
    /// Writes `t` if the stored version is `t.version - 1` (none for 1); false otherwise.
    fn put_venue_telemetry(&self, t: &VenueTelemetry) -> impl Future<Output = PortResult<bool>> + Send;
}

/// The anomaly model: scores one shingle (the last `shingle_size` windows, oldest first).
pub trait AnomalyScorer: Send + Sync {
    fn shingle_size(&self) -> usize;
    fn score(&self, venue: &str, shingle: &[f32]) -> impl Future<Output = PortResult<Score>> + Send;
    /// Names the model (and version) decisions are recorded against.
    fn model_id(&self) -> String;
}

/// What the model said of one shingle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub score: f64,
    pub threshold: f64,
    pub grade: f64,
}

/// Where decisions go for the next training run (Aurora in AWS).
pub trait DecisionLog: Send + Sync {
    fn record(&self, decisions: &[AnomalyDecision]) -> impl Future<Output = PortResult<()>> + Send;
}

/// Where operators' verdicts on the detector go for the next training run (Aurora in AWS).
pub trait VerdictLog: Send + Sync {
    fn record_verdict(&self, verdict: &OperatorVerdict) -> impl Future<Output = PortResult<()>> + Send;
}

/// No training store (a deployment without the models): the outbox alone keeps verdicts.
impl<L: VerdictLog> VerdictLog for Option<L> {
    async fn record_verdict(&self, verdict: &OperatorVerdict) -> PortResult<()> {
        match self {
            Some(log) => log.record_verdict(verdict).await,
            None => Ok(()),
        }
    }
}

/// One scored window and what it did to its venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyDecision {
    pub venue: String,
    pub window_start: DateTime<Utc>,
    /// The window's features, named.
    pub features: BTreeMap<String, f64>,
    pub score: f64,
    pub threshold: f64,
    pub grade: f64,
    pub from: VenueStatus,
    pub to: VenueStatus,
    pub action: Action,
    pub model: String,
}

/// What one batch of telemetry did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TelemetryReport {
    pub events: usize,
    pub windows: usize,
    pub decisions: Vec<AnomalyDecision>,
    pub releases: Vec<ReleaseReport>,
}

/// Everything the detector needs to act on.
pub struct Detection<'a, T, Sc, D, O, G, V, S: ReferenceSource> {
    pub telemetry: &'a T,
    pub scorer: &'a Sc,
    pub decisions: &'a D,
    pub orders: &'a O,
    pub gateway: &'a G,
    pub views: &'a V,
    pub reference: &'a ReferenceCache<S>,
    pub config: TelemetryConfig,
    pub policy: HealthPolicy,
}

/// Attempts of an optimistic read-modify-write before the batch is retried whole.
const CAS_ATTEMPTS: usize = 5;

impl<T, Sc, D, O, G, V, S> Detection<'_, T, Sc, D, O, G, V, S>
where
    T: TelemetryStore,
    Sc: AnomalyScorer,
    D: DecisionLog,
    O: OrderStore + VenueHealthStore,
    G: OrderGateway,
    V: ReadModel,
    S: ReferenceSource,
{
    /// Takes one batch of events (in any order), closes every window that ended by `now`,
    /// scores them and acts. Safe to repeat with the same batch: a repeated event is a
    /// duplicate to the windows, and a window already scored is stale to the venue's health.
    pub async fn observe(
        &self,
        events: &[TelemetryEvent],
        now: DateTime<Utc>,
        trade_date: NaiveDate,
    ) -> Result<TelemetryReport, StepError> {
        let mut by_venue: BTreeMap<&str, Vec<&TelemetryEvent>> = BTreeMap::new();
        for e in events {
            by_venue.entry(e.venue.as_str()).or_default().push(e);
        }
        let mut venues: BTreeSet<String> = self.telemetry.telemetry_venues().await?.into_iter().collect();
        venues.extend(by_venue.keys().map(|v| v.to_string()));
        let mut report = TelemetryReport { events: events.len(), ..Default::default() };
        for venue in &venues {
            let mine = by_venue.get(venue.as_str()).map(Vec::as_slice).unwrap_or_default();
            let scored = self.advance_windows(venue, mine, now).await?;
            report.windows += scored.len();
            for (window_start, features, score) in scored {
                let transition = self.apply_verdict(venue, window_start, score).await?;
                report.decisions.push(AnomalyDecision {
                    venue: venue.clone(),
                    window_start,
                    features: FEATURE_NAMES.iter().map(|n| n.to_string()).zip(features).collect(),
                    score: score.score,
                    threshold: score.threshold,
                    grade: score.grade,
                    from: transition.from,
                    to: transition.to,
                    action: transition.action,
                    model: self.scorer.model_id(),
                });
            }
        }
        if !report.decisions.is_empty() {
            self.decisions.record(&report.decisions).await?;
        }
        for d in report.decisions.iter().filter(|d| matches!(d.action, Action::Halt | Action::Degrade)) {
            tracing::warn!(venue = %d.venue, window = %d.window_start, score = d.score, threshold = d.threshold,
                grade = d.grade, action = d.action.as_str(), "market center anomaly");
        }
        report.releases = self.release_recovered(trade_date).await?;
        Ok(report)
    }

    /// Pushes a venue's events, closes its finished windows and scores each full shingle.
    async fn advance_windows(
        &self,
        venue: &str,
        events: &[&TelemetryEvent],
        now: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, [f64; N_FEATURES], Score)>, StepError> {
        let shingle = self.scorer.shingle_size().max(1);
        for _ in 0..CAS_ATTEMPTS {
            let stored = self.telemetry.venue_telemetry(venue).await?;
            let mut t = stored.unwrap_or_else(|| VenueTelemetry::new(venue, self.config));
            let mut closed = t.windows.extend(events.iter().copied());
            closed.extend(t.windows.close_until(now));
            let mut scored = Vec::new();
            for fv in closed {
                t.recent.push(fv.values);
                if t.recent.len() > shingle {
                    t.recent.remove(0);
                }
                if t.recent.len() == shingle {
                    let flat: Vec<f32> = t.recent.iter().flatten().map(|v| *v as f32).collect();
                    scored.push((fv.window_start, fv.values, self.scorer.score(venue, &flat).await?));
                }
            }
            t.version += 1;
            if self.telemetry.put_venue_telemetry(&t).await? {
                return Ok(scored);
            }
        }
        Err(StepError::Transient(crate::ports::PortError::new("venue telemetry", format!("{venue} kept changing"))))
    }

    /// Moves the venue's health by one verdict (retried on a lost race).
    async fn apply_verdict(&self, venue: &str, window_start: DateTime<Utc>, s: Score) -> Result<Transition, StepError> {
        let verdict = Verdict { window_start, score: s.score, threshold: s.threshold, grade: s.grade };
        for _ in 0..CAS_ATTEMPTS {
            let mut h = self.health_of(venue).await?;
            let t = h.observe(&verdict, &self.policy);
            if t.action == Action::Stale || self.orders.put_venue_health(&h).await? {
                return Ok(t);
            }
        }
        Err(StepError::Transient(crate::ports::PortError::new("venue health", format!("{venue} kept changing"))))
    }

    async fn health_of(&self, venue: &str) -> Result<VenueHealth, StepError> {
        let all = self.orders.venue_health().await?;
        Ok(all.into_iter().find(|h| h.venue == venue).unwrap_or_else(|| VenueHealth::new(venue)))
    }

    /// Releases held orders wherever routing now allows: to their venue once it is no
    /// longer halted, or to an alternative that has become healthy.
    async fn release_recovered(&self, trade_date: NaiveDate) -> Result<Vec<ReleaseReport>, StepError> {
        let venues: Vec<String> = self.orders.venue_health().await?.into_iter().map(|h| h.venue).collect();
        let mut out = Vec::new();
        for venue in venues {
            let r =
                release_held_orders(self.orders, self.gateway, self.views, self.reference, trade_date, &venue).await?;
            if r.released > 0 || r.still_held > 0 {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// The anomaly model in process (the embedded default, tests): a trained detector scoring
/// shingles without changing, as the SageMaker endpoint does.
pub struct ModelScorer {
    detector: ballast_ml::anomaly::RcfDetector,
    id: String,
}

impl ModelScorer {
    pub fn new(detector: ballast_ml::anomaly::RcfDetector, id: impl Into<String>) -> Self {
        ModelScorer { detector, id: id.into() }
    }
}

impl AnomalyScorer for ModelScorer {
    fn shingle_size(&self) -> usize {
        self.detector.config().forest.shingle_size
    }

    async fn score(&self, venue: &str, shingle: &[f32]) -> PortResult<Score> {
        let s = self
            .detector
            .score_shingle(shingle)
            .map_err(|e| crate::ports::PortError::new("anomaly model", format!("{venue}: {e}")))?;
        Ok(Score { score: s.score, threshold: s.threshold, grade: s.grade })
    }

    fn model_id(&self) -> String {
        self.id.clone()
    }
}

/// The detector configuration for market-center telemetry: one point per window of the
/// [`N_FEATURES`] features, shingles of 8 windows, 50 trees of 256 points. The threshold is
/// conservative (mean + 6σ of the training scores, never below 2): a false halt reroutes
/// or holds real orders, while the faults that matter (reject storms, silent venues, latency
/// spikes) score far above it.
pub fn venue_detector_config() -> ballast_ml::anomaly::DetectorConfig {
    use ballast_ml::anomaly::{DetectorConfig, ForestConfig, ThresholdConfig};
    DetectorConfig {
        forest: ForestConfig { input_dims: N_FEATURES, shingle_size: 8, ..ForestConfig::default() },
        threshold: ThresholdConfig { z: 6.0, floor: 2.0, ..ThresholdConfig::default() },
        ..DetectorConfig::default()
    }
}

/// Trains the anomaly model on venues' telemetry windows (each venue's windows in time
/// order, one venue after another), as `make retrain` and the tests do.
pub fn train_model(
    config: ballast_ml::anomaly::DetectorConfig,
    windows_by_venue: &BTreeMap<String, Vec<[f64; N_FEATURES]>>,
) -> Result<ballast_ml::anomaly::RcfDetector, ballast_ml::anomaly::AnomalyError> {
    let rows: Vec<Vec<f32>> =
        windows_by_venue.values().flatten().map(|w| w.iter().map(|v| *v as f32).collect()).collect();
    ballast_ml::anomaly::train(config, rows.iter().map(Vec::as_slice))
}

/// What one telemetry message carries: an order sent (from `submit`), or one or more
/// execution reports as the market centers publish them. Reports without a time take
/// `received_at` (when the queue got the message).
pub fn parse_telemetry(body: &str, received_at: DateTime<Utc>) -> Result<Vec<TelemetryEvent>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Message {
        Events(Vec<TelemetryEvent>),
        Event(TelemetryEvent),
    }
    if let Ok(m) = serde_json::from_str::<Message>(body) {
        return Ok(match m {
            Message::Events(v) => v,
            Message::Event(e) => vec![e],
        });
    }
    let reports = crate::report::parse_reports(body).map_err(|e| e.to_string())?;
    Ok(reports
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.at.get_or_insert(received_at);
            crate::simulator::report_event(&r).expect("the report has a time")
        })
        .collect())
}

/// Decisions and operators' verdicts written to an outbox first (must succeed: the batch
/// or the request is retried otherwise), then to the training store. A training store that
/// is down costs nothing: the rows stay in the outbox (kept 30 days in DynamoDB, drained by
/// `ballast-aurora import`) and the failure is logged.
pub struct Outboxed<'a, A, B> {
    pub outbox: &'a A,
    pub training: &'a B,
}

/// The outbox write, then (only once it succeeded) the training store's, whose failure is
/// logged and swallowed.
async fn outbox_first<T: Future<Output = PortResult<()>>>(
    what: &'static str,
    rows: usize,
    outbox: impl Future<Output = PortResult<()>>,
    training: impl FnOnce() -> T,
) -> PortResult<()> {
    outbox.await?;
    if let Err(e) = training().await {
        tracing::warn!(what, rows, error = %e, "kept in the outbox only: the training store failed");
    }
    Ok(())
}

impl<A: DecisionLog, B: DecisionLog> DecisionLog for Outboxed<'_, A, B> {
    async fn record(&self, decisions: &[AnomalyDecision]) -> PortResult<()> {
        let outbox = self.outbox.record(decisions);
        outbox_first("anomaly decisions", decisions.len(), outbox, || self.training.record(decisions)).await
    }
}

impl<A: VerdictLog, B: VerdictLog> VerdictLog for Outboxed<'_, A, B> {
    async fn record_verdict(&self, verdict: &OperatorVerdict) -> PortResult<()> {
        let outbox = self.outbox.record_verdict(verdict);
        outbox_first("operator verdict", 1, outbox, || self.training.record_verdict(verdict)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_messages_are_sends_or_reports_and_anything_else_is_refused() {
        let at: DateTime<Utc> = "2026-11-27T15:00:00Z".parse().unwrap();
        let sent = r#"{"venue":"XNYS","order_id":"o-1","at":"2026-11-27T14:59:59Z","kind":"sent"}"#;
        let e = parse_telemetry(sent, at).unwrap();
        assert_eq!((e.len(), e[0].kind), (1, ballast_ml::telemetry::EventKind::Sent));
        let reports = r#"[{"order_id":"o-1","venue":"XNYS","seq":1,"kind":"ack"},
            {"order_id":"o-1","venue":"XNYS","seq":2,"kind":"fill","quantity":"10","price":"5","at":"2026-11-27T14:59:59.5Z"}]"#;
        let e = parse_telemetry(reports, at).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].at, at, "a report without a time takes the queue's");
        assert_ne!(e[1].at, at);
        assert!(parse_telemetry("{\"hello\": 1}", at).is_err());
        assert!(parse_telemetry(r#"{"order_id":"o-1","venue":"XNYS","seq":0,"kind":"ack"}"#, at).is_err());
    }
}
