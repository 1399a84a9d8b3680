//! Simulated market centers through the telemetry windows: the feature vectors the
//! anomaly detector will see when one venue goes wrong while the others stay healthy.

use std::collections::BTreeMap;

use ballast_flow::simulator::{Fault, FaultKind, Scenario, VenueProfile};
use ballast_ml::telemetry::{Feature, FeatureVector, TelemetryConfig, TelemetryWindows};
use chrono::{DateTime, TimeDelta, Utc};

const SEED: u64 = 2026;
const FAULTY: &str = "XNAS";

/// A minute of the scenario, which starts at minute 0 (14:30 UTC).
fn minute(m: i64) -> DateTime<Utc> {
    "2026-03-02T14:30:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(m)
}

/// Thirty minutes of 120 orders a minute to each of three venues, `fault` at XNAS.
fn scenario(fault: Fault) -> Scenario {
    let venues = vec![VenueProfile::exchange("XNYS"), VenueProfile::exchange(FAULTY), VenueProfile::dark_pool("DARK")];
    Scenario::new(SEED, minute(0), TimeDelta::minutes(30), 120, venues).with_fault(FAULTY, fault)
}

/// Every one-minute window of the scenario, per venue, in time order.
fn windows(scenario: &Scenario) -> BTreeMap<String, Vec<FeatureVector>> {
    let mut telemetry = TelemetryWindows::new(TelemetryConfig::default());
    let mut closed = telemetry.extend(&scenario.telemetry());
    closed.extend(telemetry.close_until(scenario.end()));
    let mut by_venue: BTreeMap<String, Vec<FeatureVector>> = BTreeMap::new();
    for vector in closed {
        assert!(vector.values.iter().all(|v| v.is_finite()), "{vector:?}");
        by_venue.entry(vector.venue.clone()).or_default().push(vector);
    }
    for (venue, vectors) in &by_venue {
        let starts: Vec<_> = vectors.iter().map(|v| v.window_start).collect();
        assert_eq!(starts, (0..30).map(minute).collect::<Vec<_>>(), "{venue}: one window a minute");
    }
    by_venue
}

/// Whether a window of `venue` starting at `at` is one of the fault's.
fn during(venue: &str, at: DateTime<Utc>, from: i64, to: i64) -> bool {
    venue == FAULTY && (minute(from)..minute(to)).contains(&at)
}

#[test]
fn a_reject_storm_shows_in_exactly_the_storm_windows() {
    let storm = Fault::new(FaultKind::RejectStorm { reject_rate: 0.5 }, minute(15), minute(25));
    for (venue, vectors) in windows(&scenario(storm)) {
        for v in vectors {
            let rate = v.get(Feature::RejectRate);
            if during(&venue, v.window_start, 15, 25) {
                assert!(rate > 0.3, "{venue} at {}: reject rate {rate} in the storm", v.window_start);
            } else {
                assert!(rate < 0.1, "{venue} at {}: reject rate {rate} outside the storm", v.window_start);
            }
            // The storm rejects orders; it neither slows the venue nor stops the flow.
            assert!(v.get(Feature::AckLatencyP50) < 10.0, "{venue} at {}", v.window_start);
            assert!(v.get(Feature::OrderRate) > 80.0, "{venue} at {}", v.window_start);
        }
    }
}

#[test]
fn a_silent_drop_stops_the_fills_and_leaves_orders_silent() {
    let drop = Fault::new(FaultKind::SilentDrop, minute(10), minute(12));
    for (venue, vectors) in windows(&scenario(drop)) {
        for v in vectors {
            let (fill_ratio, silent) = (v.get(Feature::FillRatio), v.get(Feature::SilentShare));
            if during(&venue, v.window_start, 10, 12) {
                assert!(fill_ratio < 0.1, "{venue} at {}: fill ratio {fill_ratio}", v.window_start);
            } else {
                assert!(fill_ratio > 0.9, "{venue} at {}: fill ratio {fill_ratio}", v.window_start);
            }
            // The lost orders stay open, and silent, until the ten-minute horizon.
            if during(&venue, v.window_start, 10, 22) {
                assert!(silent > 0.5, "{venue} at {}: silent share {silent}", v.window_start);
            } else {
                assert!(silent < 0.5, "{venue} at {}: silent share {silent}", v.window_start);
            }
        }
    }
}

#[test]
fn a_latency_spike_shows_in_the_latency_features_only() {
    let spike = Fault::new(FaultKind::LatencySpike { factor: 20.0 }, minute(5), minute(8));
    let by_venue = windows(&scenario(spike));
    let normal = &by_venue[FAULTY][0];
    for v in &by_venue[FAULTY] {
        let ack = v.get(Feature::AckLatencyP50);
        if during(FAULTY, v.window_start, 5, 8) {
            assert!(ack > 10.0 * normal.get(Feature::AckLatencyP50), "at {}: {ack} ms", v.window_start);
        } else {
            assert!(ack < 2.0 * normal.get(Feature::AckLatencyP50), "at {}: {ack} ms", v.window_start);
        }
        assert!(v.get(Feature::RejectRate) < 0.1);
    }
}
