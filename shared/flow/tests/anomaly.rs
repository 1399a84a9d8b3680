//! Market-center fault detection in process: simulated venues' telemetry through the
//! detector, venue health and routing. A reject storm at one venue is detected within a
//! few windows, routing leaves it, held orders go out once it recovers, and a clean run of
//! the same length raises nothing.

use std::collections::BTreeMap;

use ballast_core::VenueStatus;
use ballast_flow::anomaly::{train_model, venue_detector_config, Detection, ModelScorer};
use ballast_flow::health::{Action, HealthPolicy};
use ballast_flow::memory::{MemoryQueues, MemoryStore};
use ballast_flow::simulator::{Fault, FaultKind, Scenario, VenueProfile};
use ballast_ml::telemetry::{TelemetryConfig, TelemetryEvent, N_FEATURES};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};
use chrono::{DateTime, TimeDelta, Utc};

const VENUES: [&str; 4] = ["XNYS", "XNAS", "ARCX", "BATS"];
/// Windows after a fault starts within which it must be acted on.
const DETECT_WITHIN: i64 = 3;

fn minute(m: i64) -> DateTime<Utc> {
    "2026-11-27T14:30:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(m)
}

fn venues() -> Vec<VenueProfile> {
    VENUES.iter().map(|v| VenueProfile::exchange(v)).collect()
}

/// A model trained on six clean hours of every venue (one window a minute).
fn model() -> ModelScorer {
    let history = Scenario::new(11, minute(-6 * 60), TimeDelta::hours(6), 60, venues());
    let by_venue = history.feature_windows(TelemetryConfig::default());
    ModelScorer::new(train_model(venue_detector_config(), &by_venue).unwrap(), "rcf-test")
}

/// Feeds a live scenario minute by minute; the venues' effective status after each minute.
async fn live(
    scenario: &Scenario,
    scorer: &ModelScorer,
    store: &MemoryStore,
) -> BTreeMap<i64, BTreeMap<String, VenueStatus>> {
    let file = ballast_synth::reference(42);
    let date = file.trade_date;
    let reference = ReferenceCache::new(MemorySource::new(file), Ttls::default());
    let queues = MemoryQueues::new();
    let detection = Detection {
        telemetry: store,
        scorer,
        decisions: store,
        orders: store,
        gateway: &queues,
        views: store,
        reference: &reference,
        config: TelemetryConfig::default(),
        policy: HealthPolicy::default(),
    };
    let events = scenario.telemetry();
    let minutes = scenario.duration.num_minutes();
    let mut states = BTreeMap::new();
    for m in 0..minutes {
        let batch: Vec<TelemetryEvent> =
            events.iter().filter(|e| e.at >= minute(m) && e.at < minute(m + 1)).cloned().collect();
        detection.observe(&batch, minute(m + 1), date).await.unwrap();
        let health = ballast_flow::ports::VenueHealthStore::venue_health(store).await.unwrap();
        states.insert(
            m,
            VENUES
                .iter()
                .map(|v| {
                    let s = health.iter().find(|h| h.venue == *v).map_or(VenueStatus::Healthy, |h| h.effective());
                    (v.to_string(), s)
                })
                .collect(),
        );
    }
    states
}

#[tokio::test]
async fn a_reject_storm_is_acted_on_within_three_windows_and_the_venue_recovers() {
    let scorer = model();
    let storm = Fault::new(FaultKind::RejectStorm { reject_rate: 0.5 }, minute(30), minute(45));
    let scenario = Scenario::new(12, minute(0), TimeDelta::minutes(75), 60, venues()).with_fault("ARCX", storm);
    let store = MemoryStore::new();
    let states = live(&scenario, &scorer, &store).await;
    let first_bad = states.iter().find(|(_, s)| s["ARCX"] != VenueStatus::Healthy).map(|(m, _)| *m);
    let detected = first_bad.expect("the storm was never detected");
    assert!((30..30 + DETECT_WITHIN).contains(&detected), "ARCX left HEALTHY at minute {detected}");
    assert!(states.range(..30).all(|(_, s)| s["ARCX"] == VenueStatus::Healthy), "an alarm before the storm");
    assert!(states.range(31..45).all(|(_, s)| s["ARCX"] != VenueStatus::Healthy), "routing returned mid-storm");
    for v in ["XNYS", "XNAS", "BATS"] {
        assert!(states.values().all(|s| s[v] == VenueStatus::Healthy), "{v} was flagged");
    }
    // Back to HEALTHY after the storm, once enough normal windows have passed.
    assert_eq!(states[&74]["ARCX"], VenueStatus::Healthy);
    // Every scored window was recorded, with its features and what it did.
    let decisions = store.decisions();
    assert!(decisions.iter().any(|d| d.venue == "ARCX" && matches!(d.action, Action::Halt | Action::Degrade)));
    assert!(decisions.iter().all(|d| d.features.len() == N_FEATURES && d.model == "rcf-test"));
}

#[tokio::test]
async fn a_clean_run_of_the_same_length_raises_nothing() {
    let scorer = model();
    let scenario = Scenario::new(12, minute(0), TimeDelta::minutes(75), 60, venues());
    let store = MemoryStore::new();
    let states = live(&scenario, &scorer, &store).await;
    // Every window was scored (four venues, from the eighth window on), none near the threshold.
    let decisions = store.decisions();
    assert_eq!(decisions.len(), 4 * (75 - 7));
    assert!(decisions.iter().all(|d| d.score < d.threshold * 0.75), "a clean window came close to the threshold");
    assert!(states.values().all(|s| s.values().all(|v| *v == VenueStatus::Healthy)));
    assert!(
        store.decisions().iter().all(|d| d.action == Action::None),
        "{:?}",
        store.decisions().iter().filter(|d| d.action != Action::None).collect::<Vec<_>>()
    );
}
