//! Per-market-center telemetry: execution events folded into fixed-width, per-venue
//! windows, and one [`FeatureVector`] per closed window for the anomaly detector.
//!
//! # Events and windows
//!
//! A [`TelemetryEvent`] says that an order was sent to a venue, or that the venue
//! reported on it (ack, partial fill, fill, reject, cancel), at an event time. Each venue
//! has its own sequence of windows `[start, start + width)`, aligned to multiples of the
//! width since the Unix epoch (so the windows of all venues line up). The open window of a
//! venue closes when an event of that venue at or after its end arrives
//! ([`TelemetryWindows::push`]) or when [`TelemetryWindows::close_until`] is called with a
//! time at or after its end: a venue that goes silent still produces a window a minute.
//! An event earlier than the open window (it belongs to a window already closed) is
//! counted in the open window and noted in [`WindowCounts::late`].
//!
//! Latencies pair two events of one order whatever order they arrive in (an ack handled
//! before its send still gives an ack latency) and count in the window where the pair
//! completes, so an order sent in one window and acknowledged in the next counts in the
//! next.
//!
//! # Features
//!
//! [`FEATURE_NAMES`] lists them in the order of [`FeatureVector::values`]; [`Feature`]
//! names the indices. None is ever NaN or infinite.
//!
//! | feature | definition | window without data |
//! | --- | --- | --- |
//! | `order_rate_per_min` | orders sent in the window, per minute | 0 |
//! | `ack_latency_p50_ms` | median time from send to ack of the acks paired in the window | the last window's value (0 before any) |
//! | `ack_latency_p95_ms` | 95th percentile of the same | the last window's value (0 before any) |
//! | `fill_latency_p50_ms` | median time from send to the final fill, of the fills paired in the window | the last window's value (0 before any) |
//! | `reject_rate` | rejects / orders resolved (filled, rejected or cancelled) in the window | 0 (no reject seen) |
//! | `cancel_rate` | cancels / orders resolved in the window | 0 (no cancel seen) |
//! | `fill_ratio` | orders filled / orders sent in the window (can pass 1 slightly when orders sent in the last window fill in this one) | 1 when nothing was sent (nothing is short) |
//! | `partial_fill_share` | share of the orders filled in the window that had a partial fill first | the last window's value (0 before any) |
//! | `silent_share` | share of the open orders (sent or reported, not resolved) whose last event is older than the silence timeout at the window's end | 0 when no order is open |
//! | `duplicate_share` | events that repeat what the order already said (the same kind again, or a second final report) / events in the window | 0 |
//!
//! Percentiles are nearest-rank over a log-scale histogram whose buckets are 2% wide:
//! a reported latency is within 1% of the exact sample percentile.
//!
//! # Duplicates
//!
//! A second event of the same kind for an order (a redelivered ack, a fill delivered
//! twice) and a final report after the order's first final report change no count and no
//! latency; they are counted in [`WindowCounts::duplicates`] and in `duplicate_share`.
//! Partial fills are the exception: an order may be filled in several parts and, without
//! a sequence number, a second partial fill cannot be told from one delivered twice, so
//! only the first partial fill of an order counts and later ones are neither counted nor
//! called duplicates.
//!
//! # State
//!
//! [`TelemetryWindows`] is plain data (serde) so it can be stored between Lambda
//! invocations. Its size is bounded: per venue, the counters and two latency histograms
//! of the open window (at most a few hundred buckets each), and the orders still tracked:
//! open orders until they resolve or stay silent past the horizon
//! ([`TelemetryConfig::horizon_secs`]), resolved ones only until the window after the one
//! they resolved in closes (to recognise late duplicates), and never more than
//! [`TelemetryConfig::max_orders`] (the oldest are dropped first, resolved before open).
//! Open orders dropped unresolved are counted in [`WindowCounts::dropped`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many features a [`FeatureVector`] carries.
pub const N_FEATURES: usize = 10;

/// The features' names, in the order of [`FeatureVector::values`] (see the module docs).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "order_rate_per_min",
    "ack_latency_p50_ms",
    "ack_latency_p95_ms",
    "fill_latency_p50_ms",
    "reject_rate",
    "cancel_rate",
    "fill_ratio",
    "partial_fill_share",
    "silent_share",
    "duplicate_share",
];

/// A feature's index in [`FeatureVector::values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    OrderRate,
    AckLatencyP50,
    AckLatencyP95,
    FillLatencyP50,
    RejectRate,
    CancelRate,
    FillRatio,
    PartialFillShare,
    SilentShare,
    DuplicateShare,
}

impl Feature {
    pub const ALL: [Feature; N_FEATURES] = [
        Feature::OrderRate,
        Feature::AckLatencyP50,
        Feature::AckLatencyP95,
        Feature::FillLatencyP50,
        Feature::RejectRate,
        Feature::CancelRate,
        Feature::FillRatio,
        Feature::PartialFillShare,
        Feature::SilentShare,
        Feature::DuplicateShare,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        FEATURE_NAMES[self.index()]
    }
}

/// What happened to an order: sent by the platform, or reported on by the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Sent,
    Ack,
    PartialFill,
    Fill,
    Reject,
    Cancel,
}

impl EventKind {
    /// The order is resolved by this event: no further report is expected.
    pub fn is_final(self) -> bool {
        matches!(self, EventKind::Fill | EventKind::Reject | EventKind::Cancel)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// One event of one order at one venue, at the time it happened (event time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetryEvent {
    pub venue: String,
    pub order_id: String,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

/// How events become windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    /// Width of a window in seconds (at least 1).
    pub window_secs: u32,
    /// An open order with no event for longer than this is silent (`silent_share`).
    pub silence_timeout_secs: u32,
    /// An open order with no event for longer than this is no longer tracked.
    pub horizon_secs: u32,
    /// Most orders tracked per venue (at least 1).
    pub max_orders: usize,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig { window_secs: 60, silence_timeout_secs: 10, horizon_secs: 600, max_orders: 2000 }
    }
}

impl TelemetryConfig {
    fn window_micros(&self) -> i64 {
        i64::from(self.window_secs.max(1)) * MICROS_PER_SEC
    }

    fn window_minutes(&self) -> f64 {
        f64::from(self.window_secs.max(1)) / 60.0
    }
}

/// What a closed window saw, as counts (duplicates excluded from the kinds' counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowCounts {
    pub sent: u32,
    pub acks: u32,
    /// Orders with a first partial fill.
    pub partial_fills: u32,
    pub fills: u32,
    pub rejects: u32,
    pub cancels: u32,
    /// Every event handled in the window, duplicates included.
    pub events: u32,
    /// Events that repeated what their order already said.
    pub duplicates: u32,
    /// Events older than the window (their own window had closed).
    pub late: u32,
    /// Open orders no longer tracked (silent past the horizon, or over the cap).
    pub dropped: u32,
}

impl WindowCounts {
    /// Orders that reached a final state in the window.
    pub fn resolved(&self) -> u32 {
        self.fills.saturating_add(self.rejects).saturating_add(self.cancels)
    }
}

/// The features of one venue over one closed window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureVector {
    pub venue: String,
    pub window_start: DateTime<Utc>,
    /// In the order of [`FEATURE_NAMES`]; always finite.
    pub values: [f64; N_FEATURES],
    pub counts: WindowCounts,
}

impl FeatureVector {
    pub fn get(&self, feature: Feature) -> f64 {
        self.values[feature.index()]
    }
}

/// The accumulator: every venue's open window and the orders it still tracks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryWindows {
    config: TelemetryConfig,
    venues: BTreeMap<String, VenueWindows>,
}

impl TelemetryWindows {
    pub fn new(config: TelemetryConfig) -> Self {
        TelemetryWindows { config, venues: BTreeMap::new() }
    }

    pub fn config(&self) -> &TelemetryConfig {
        &self.config
    }

    /// Folds one event in; returns the windows of its venue that it closed, oldest first.
    /// An event without a venue or an order id is ignored.
    pub fn push(&mut self, event: &TelemetryEvent) -> Vec<FeatureVector> {
        if event.venue.is_empty() || event.order_id.is_empty() {
            return Vec::new();
        }
        let config = self.config;
        let at = event.at.timestamp_micros();
        let venue = self
            .venues
            .entry(event.venue.clone())
            .or_insert_with(|| VenueWindows::starting_at(align(at, config.window_micros())));
        let closed = venue.advance_to(&event.venue, at, &config);
        venue.record(&event.order_id, event.kind, at, &config);
        closed
    }

    /// Folds events in, in the order given; returns every window they closed.
    pub fn extend<'a>(&mut self, events: impl IntoIterator<Item = &'a TelemetryEvent>) -> Vec<FeatureVector> {
        events.into_iter().flat_map(|e| self.push(e)).collect()
    }

    /// Closes every window, of every venue, that ends at or before `now`; returns them
    /// ordered by window start, then venue.
    pub fn close_until(&mut self, now: DateTime<Utc>) -> Vec<FeatureVector> {
        let config = self.config;
        let now = now.timestamp_micros();
        let mut closed: Vec<FeatureVector> =
            self.venues.iter_mut().flat_map(|(name, venue)| venue.advance_to(name, now, &config)).collect();
        closed.sort_by(|a, b| (a.window_start, &a.venue).cmp(&(b.window_start, &b.venue)));
        closed
    }

    /// Orders tracked for a venue (open ones and recently resolved ones).
    pub fn tracked_orders(&self, venue: &str) -> usize {
        self.venues.get(venue).map_or(0, |v| v.orders.len())
    }

    /// Venues seen so far.
    pub fn venues(&self) -> impl Iterator<Item = &str> {
        self.venues.keys().map(String::as_str)
    }
}

const MICROS_PER_SEC: i64 = 1_000_000;

/// Most windows one call closes for one venue; a longer gap skips ahead to the window of
/// the event (after that many windows every order is past the horizon and every further
/// window would read the same).
const MAX_CATCH_UP_WINDOWS: usize = 1440;

fn align(at: i64, width: i64) -> i64 {
    at.div_euclid(width).saturating_mul(width)
}

fn time_of(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// One venue: its open window, what it carries into empty windows, and its orders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct VenueWindows {
    /// Start of the open window, microseconds since the epoch.
    start: i64,
    window: WindowAccumulator,
    carried: Carried,
    orders: BTreeMap<String, OrderTrack>,
}

/// The open window's counts and latency histograms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct WindowAccumulator {
    counts: WindowCounts,
    ack_latency: LatencyHistogram,
    fill_latency: LatencyHistogram,
    /// Orders filled in the window after a partial fill.
    fills_after_partial: u32,
}

/// Values a window without the data for them repeats from the last window that had it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct Carried {
    ack_p50_ms: f64,
    ack_p95_ms: f64,
    fill_p50_ms: f64,
    partial_fill_share: f64,
}

/// What is known of one order. Short field names: the state is stored as JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct OrderTrack {
    /// Sent at (microseconds since the epoch).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    sent: Option<i64>,
    /// Acknowledged at.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    acked: Option<i64>,
    /// Filled (final fill) at.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    filled: Option<i64>,
    /// Resolved (first final report) at.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    resolved: Option<i64>,
    /// Latest event of any kind.
    #[serde(rename = "l")]
    last: i64,
    /// The kinds seen, one bit each.
    #[serde(rename = "k")]
    seen: u8,
}

impl OrderTrack {
    fn has(&self, kind: EventKind) -> bool {
        self.seen & kind.bit() != 0
    }

    /// The event repeats what the order already said.
    fn repeats(&self, kind: EventKind) -> bool {
        match kind {
            EventKind::PartialFill => false,
            k if k.is_final() => self.resolved.is_some(),
            k => self.has(k),
        }
    }
}

impl VenueWindows {
    fn starting_at(start: i64) -> Self {
        VenueWindows { start, ..VenueWindows::default() }
    }

    fn end(&self, config: &TelemetryConfig) -> i64 {
        self.start.saturating_add(config.window_micros())
    }

    /// Closes the windows that end at or before `at`.
    fn advance_to(&mut self, venue: &str, at: i64, config: &TelemetryConfig) -> Vec<FeatureVector> {
        let mut closed = Vec::new();
        while at >= self.end(config) && closed.len() < MAX_CATCH_UP_WINDOWS {
            closed.push(self.close(venue, config));
        }
        if at >= self.end(config) {
            self.start = align(at, config.window_micros());
            let dropped = self.prune(self.start, self.start, config);
            self.window.counts.dropped = self.window.counts.dropped.saturating_add(dropped);
        }
        closed
    }

    fn record(&mut self, order_id: &str, kind: EventKind, at: i64, config: &TelemetryConfig) {
        if !self.orders.contains_key(order_id) && self.orders.len() >= config.max_orders.max(1) {
            self.trim(config.max_orders.max(1) * 9 / 10);
        }
        let window = &mut self.window;
        bump(&mut window.counts.events);
        if at < self.start {
            bump(&mut window.counts.late);
        }
        let track = self.orders.entry(order_id.to_string()).or_insert(OrderTrack { last: at, ..OrderTrack::default() });
        track.last = track.last.max(at);
        if track.repeats(kind) {
            bump(&mut window.counts.duplicates);
            return;
        }
        let first_partial = kind == EventKind::PartialFill && !track.has(kind);
        track.seen |= kind.bit();
        match kind {
            EventKind::Sent => window.sent(track, at),
            EventKind::Ack => window.acked(track, at),
            EventKind::PartialFill if first_partial => window.partially_filled(track),
            EventKind::PartialFill => {}
            EventKind::Fill => window.filled(track, at),
            EventKind::Reject => bump(&mut window.counts.rejects),
            EventKind::Cancel => bump(&mut window.counts.cancels),
        }
        if kind.is_final() {
            track.resolved = Some(at);
        }
    }

    /// Emits the open window's features and opens the next one.
    fn close(&mut self, venue: &str, config: &TelemetryConfig) -> FeatureVector {
        let end = self.end(config);
        let silent_share = self.silent_share(end, config);
        let window = std::mem::take(&mut self.window);
        let mut values = window.features(config, &mut self.carried);
        values[Feature::SilentShare.index()] = silent_share;
        let mut counts = window.counts;
        counts.dropped = counts.dropped.saturating_add(self.prune(self.start, end, config));
        let vector = FeatureVector { venue: venue.to_string(), window_start: time_of(self.start), values, counts };
        self.start = end;
        vector
    }

    fn silent_share(&self, end: i64, config: &TelemetryConfig) -> f64 {
        let timeout = i64::from(config.silence_timeout_secs) * MICROS_PER_SEC;
        let open = self.orders.values().filter(|o| o.resolved.is_none());
        let (silent, total) = open.fold((0u32, 0u32), |(silent, total), o| {
            (silent + u32::from(end.saturating_sub(o.last) > timeout), total + 1)
        });
        ratio(silent, total, 0.0)
    }

    /// Forgets orders resolved before `resolved_before` and open orders silent past the
    /// horizon at `now`; returns how many open ones were dropped.
    fn prune(&mut self, resolved_before: i64, now: i64, config: &TelemetryConfig) -> u32 {
        let horizon = i64::from(config.horizon_secs) * MICROS_PER_SEC;
        let mut dropped = 0u32;
        self.orders.retain(|_, o| match o.resolved {
            Some(at) => at >= resolved_before,
            None if now.saturating_sub(o.last) > horizon => {
                dropped += 1;
                false
            }
            None => true,
        });
        dropped
    }

    /// Drops the oldest orders, resolved ones first, until `keep` remain.
    fn trim(&mut self, keep: usize) {
        let excess = self.orders.len().saturating_sub(keep);
        if excess == 0 {
            return;
        }
        let mut by_age: Vec<(bool, i64, &String)> =
            self.orders.iter().map(|(id, o)| (o.resolved.is_none(), o.last, id)).collect();
        by_age.sort_unstable();
        let oldest: Vec<(bool, String)> =
            by_age.into_iter().take(excess).map(|(open, _, id)| (open, id.clone())).collect();
        for (open, id) in oldest {
            self.orders.remove(&id);
            if open {
                bump(&mut self.window.counts.dropped);
            }
        }
    }
}

impl WindowAccumulator {
    fn sent(&mut self, track: &mut OrderTrack, at: i64) {
        bump(&mut self.counts.sent);
        track.sent = Some(at);
        if let Some(acked) = track.acked {
            self.ack_latency.record(acked - at);
        }
        if let Some(filled) = track.filled {
            self.fill_latency.record(filled - at);
        }
    }

    fn acked(&mut self, track: &mut OrderTrack, at: i64) {
        bump(&mut self.counts.acks);
        track.acked = Some(at);
        if let Some(sent) = track.sent {
            self.ack_latency.record(at - sent);
        }
    }

    fn partially_filled(&mut self, track: &OrderTrack) {
        bump(&mut self.counts.partial_fills);
        if track.has(EventKind::Fill) {
            bump(&mut self.fills_after_partial);
        }
    }

    fn filled(&mut self, track: &mut OrderTrack, at: i64) {
        bump(&mut self.counts.fills);
        track.filled = Some(at);
        if let Some(sent) = track.sent {
            self.fill_latency.record(at - sent);
        }
        if track.has(EventKind::PartialFill) {
            bump(&mut self.fills_after_partial);
        }
    }

    /// The window's features (silence excepted), updating what empty windows carry.
    fn features(&self, config: &TelemetryConfig, carried: &mut Carried) -> [f64; N_FEATURES] {
        let c = &self.counts;
        if let (Some(p50), Some(p95)) = (self.ack_latency.percentile_ms(0.5), self.ack_latency.percentile_ms(0.95)) {
            (carried.ack_p50_ms, carried.ack_p95_ms) = (p50, p95);
        }
        if let Some(p50) = self.fill_latency.percentile_ms(0.5) {
            carried.fill_p50_ms = p50;
        }
        if c.fills > 0 {
            carried.partial_fill_share = ratio(self.fills_after_partial, c.fills, 0.0).min(1.0);
        }
        let mut values = [0.0; N_FEATURES];
        values[Feature::OrderRate.index()] = f64::from(c.sent) / config.window_minutes();
        values[Feature::AckLatencyP50.index()] = carried.ack_p50_ms;
        values[Feature::AckLatencyP95.index()] = carried.ack_p95_ms;
        values[Feature::FillLatencyP50.index()] = carried.fill_p50_ms;
        values[Feature::RejectRate.index()] = ratio(c.rejects, c.resolved(), 0.0);
        values[Feature::CancelRate.index()] = ratio(c.cancels, c.resolved(), 0.0);
        values[Feature::FillRatio.index()] = ratio(c.fills, c.sent, 1.0);
        values[Feature::PartialFillShare.index()] = carried.partial_fill_share;
        values[Feature::DuplicateShare.index()] = ratio(c.duplicates, c.events, 0.0);
        values
    }
}

fn bump(counter: &mut u32) {
    *counter = counter.saturating_add(1);
}

/// `part / whole`, or `empty` when `whole` is 0.
fn ratio(part: u32, whole: u32, empty: f64) -> f64 {
    if whole == 0 {
        empty
    } else {
        f64::from(part) / f64::from(whole)
    }
}

/// Latencies on a log scale: bucket `b` holds `[GROWTH^b, GROWTH^(b+1))` microseconds
/// (bucket 0 also everything below 1 µs, negative clock skew included).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LatencyHistogram {
    buckets: BTreeMap<u16, u32>,
    count: u32,
}

const GROWTH: f64 = 1.02;

impl LatencyHistogram {
    fn record(&mut self, micros: i64) {
        // i64 → f64 is exact enough here; ln of a value ≥ 1 is ≥ 0 and at most ~44.
        let bucket = if micros <= 1 { 0 } else { ((micros as f64).ln() / GROWTH.ln()).floor() as u16 };
        bump(self.buckets.entry(bucket).or_insert(0));
        bump(&mut self.count);
    }

    /// The nearest-rank percentile `p` (0 < p ≤ 1) in milliseconds: the geometric middle
    /// of the bucket holding it. `None` when empty.
    fn percentile_ms(&self, p: f64) -> Option<f64> {
        let rank = ((p * f64::from(self.count)).ceil() as u32).clamp(1, self.count.max(1));
        let mut seen = 0u32;
        for (&bucket, &n) in &self.buckets {
            seen = seen.saturating_add(n);
            if seen >= rank {
                return Some(GROWTH.powf(f64::from(bucket) + 0.5) / 1000.0);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    const VENUE: &str = "XNAS";

    fn t0() -> DateTime<Utc> {
        "2026-03-02T14:30:00Z".parse().unwrap()
    }

    fn at_ms(ms: i64) -> DateTime<Utc> {
        t0() + TimeDelta::milliseconds(ms)
    }

    fn event(order: &str, kind: EventKind, ms: i64) -> TelemetryEvent {
        TelemetryEvent { venue: VENUE.into(), order_id: order.into(), at: at_ms(ms), kind }
    }

    fn windows() -> TelemetryWindows {
        TelemetryWindows::new(TelemetryConfig::default())
    }

    fn assert_finite(vectors: &[FeatureVector]) {
        for v in vectors {
            assert!(v.values.iter().all(|x| x.is_finite()), "{v:?}");
        }
    }

    fn assert_near(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= expected.abs() * relative,
            "{actual} is not within {relative} of {expected}"
        );
    }

    /// Ten orders, one every 5 s from 14:30:00, with acks after 1..=10 ms; orders 0..8
    /// fill after 100 + 10·i ms (orders 1 and 2 after a partial fill), order 8 is
    /// rejected and order 9 cancelled.
    fn hand_made() -> Vec<TelemetryEvent> {
        let mut events = Vec::new();
        for i in 0..10 {
            let id = format!("o{i}");
            let sent = i * 5_000;
            events.push(event(&id, EventKind::Sent, sent));
            events.push(event(&id, EventKind::Ack, sent + i + 1));
            match i {
                8 => events.push(event(&id, EventKind::Reject, sent + 50)),
                9 => events.push(event(&id, EventKind::Cancel, sent + 50)),
                _ => {
                    if i == 1 || i == 2 {
                        events.push(event(&id, EventKind::PartialFill, sent + 60));
                    }
                    events.push(event(&id, EventKind::Fill, sent + 100 + 10 * i));
                }
            }
        }
        events
    }

    /// The closed first window of `events`, closed by an event of another order at 60 s.
    fn first_window(events: &[TelemetryEvent]) -> FeatureVector {
        let mut w = windows();
        assert!(w.extend(events).is_empty(), "nothing closes before the window's end");
        let closed = w.push(&event("next", EventKind::Sent, 60_000));
        assert_eq!(closed.len(), 1);
        closed.into_iter().next().unwrap()
    }

    #[test]
    fn rates_and_percentiles_of_a_hand_made_window() {
        let v = first_window(&hand_made());
        assert_eq!(v.venue, VENUE);
        assert_eq!(v.window_start, t0());
        assert_eq!(v.get(Feature::OrderRate), 10.0);
        // Ack latencies 1..=10 ms: nearest rank 5 and 10.
        assert_near(v.get(Feature::AckLatencyP50), 5.0, 0.01);
        assert_near(v.get(Feature::AckLatencyP95), 10.0, 0.01);
        // Fill latencies 100, 110, ..., 170 ms: rank 4 of 8.
        assert_near(v.get(Feature::FillLatencyP50), 130.0, 0.01);
        assert_eq!(v.get(Feature::RejectRate), 0.1);
        assert_eq!(v.get(Feature::CancelRate), 0.1);
        assert_eq!(v.get(Feature::FillRatio), 0.8);
        assert_eq!(v.get(Feature::PartialFillShare), 0.25);
        assert_eq!(v.get(Feature::SilentShare), 0.0);
        assert_eq!(v.get(Feature::DuplicateShare), 0.0);
        let c = v.counts;
        assert_eq!((c.sent, c.acks, c.fills, c.rejects, c.cancels, c.partial_fills), (10, 10, 8, 1, 1, 2));
    }

    #[test]
    fn an_ack_counts_in_the_window_where_it_arrives() {
        let mut w = windows();
        w.extend(&[event("early", EventKind::Sent, 59_000)]);
        let first = w.push(&event("early", EventKind::Ack, 61_500));
        assert_eq!(first[0].counts.acks, 0);
        assert_eq!(first[0].get(Feature::OrderRate), 1.0);
        let second = w.close_until(at_ms(120_000));
        assert_eq!(second[0].counts.acks, 1);
        assert_eq!(second[0].get(Feature::OrderRate), 0.0);
        assert_near(second[0].get(Feature::AckLatencyP50), 2_500.0, 0.01);
    }

    #[test]
    fn open_orders_without_news_past_the_timeout_are_silent() {
        let mut w = windows();
        // Four orders; two are acknowledged late in the window, two hear nothing after
        // being sent early, one is filled (no longer open).
        w.extend(&[
            event("a", EventKind::Sent, 1_000),
            event("b", EventKind::Sent, 2_000),
            event("c", EventKind::Sent, 3_000),
            event("c", EventKind::Ack, 55_000),
            event("d", EventKind::Sent, 4_000),
            event("d", EventKind::Ack, 56_000),
            event("e", EventKind::Sent, 5_000),
            event("e", EventKind::Fill, 5_100),
        ]);
        let v = &w.close_until(at_ms(60_000))[0];
        assert_eq!(v.get(Feature::SilentShare), 0.5);
        // The acked ones go quiet too; a minute later all four are silent.
        let v = &w.close_until(at_ms(120_000))[0];
        assert_eq!(v.get(Feature::SilentShare), 1.0);
    }

    #[test]
    fn a_silent_venue_still_produces_windows() {
        let mut w = windows();
        w.extend(&hand_made());
        w.push(&event("stuck", EventKind::Sent, 58_000));
        let closed = w.close_until(at_ms(5 * 60_000 + 30_000));
        assert_eq!(closed.len(), 5, "one window a minute, the open one excepted");
        let starts: Vec<_> = closed.iter().map(|v| v.window_start).collect();
        assert_eq!(starts, (0..5).map(|m| at_ms(m * 60_000)).collect::<Vec<_>>());
        assert_finite(&closed);
        let (busy, quiet) = (&closed[0], &closed[1..]);
        for v in quiet {
            assert_eq!(v.get(Feature::OrderRate), 0.0);
            assert_eq!(v.get(Feature::RejectRate), 0.0);
            assert_eq!(v.get(Feature::FillRatio), 1.0);
            for carried in
                [Feature::AckLatencyP50, Feature::AckLatencyP95, Feature::FillLatencyP50, Feature::PartialFillShare]
            {
                assert_eq!(v.get(carried), busy.get(carried), "{}", carried.name());
            }
            assert_eq!(v.get(Feature::SilentShare), 1.0, "the stuck order");
        }
    }

    #[test]
    fn duplicates_do_not_count_twice() {
        let clean = first_window(&hand_made());
        let mut events = hand_made();
        events.push(event("o0", EventKind::Ack, 30_000)); // a redelivered ack
        events.push(event("o3", EventKind::Fill, 30_000)); // a fill delivered twice
        events.push(event("o8", EventKind::Reject, 30_000));
        events.push(event("o9", EventKind::Fill, 30_000)); // a fill after the cancel
        events.push(event("o0", EventKind::Sent, 30_000));
        let v = first_window(&events);
        assert_eq!(v.counts.duplicates, 5);
        assert_eq!(v.get(Feature::DuplicateShare), 5.0 / f64::from(v.counts.events));
        let mut without = v.clone();
        without.values[Feature::DuplicateShare.index()] = 0.0;
        without.counts.duplicates = 0;
        without.counts.events -= 5;
        assert_eq!(without, clean);
    }

    #[test]
    fn events_out_of_order_within_a_window_give_the_same_features() {
        let in_order = first_window(&hand_made());
        let mut shuffled = hand_made();
        shuffled.reverse(); // every fill and ack before its send
        shuffled.swap(3, 17);
        assert_eq!(first_window(&shuffled), in_order);
    }

    #[test]
    fn late_events_count_in_the_open_window() {
        let mut w = windows();
        w.push(&event("a", EventKind::Sent, 59_990));
        w.push(&event("b", EventKind::Sent, 60_010));
        let closed = w.push(&event("a", EventKind::Ack, 59_995)); // arrives after the window closed
        assert!(closed.is_empty());
        let v = &w.close_until(at_ms(120_000))[0];
        assert_eq!((v.counts.late, v.counts.acks), (1, 1));
        assert_near(v.get(Feature::AckLatencyP50), 5.0, 0.01);
    }

    #[test]
    fn the_state_survives_a_json_round_trip() {
        let events = hand_made();
        let (before, after) = events.split_at(events.len() / 2);
        let mut w = windows();
        w.extend(before);
        let json = serde_json::to_string(&w).unwrap();
        let mut restored: TelemetryWindows = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, w);
        for w in [&mut w, &mut restored] {
            w.extend(after);
        }
        assert_eq!(restored.close_until(at_ms(180_000)), w.close_until(at_ms(180_000)));
    }

    #[test]
    fn the_state_stays_bounded_however_many_orders_pass() {
        let config = TelemetryConfig { max_orders: 500, ..TelemetryConfig::default() };
        let mut w = TelemetryWindows::new(config);
        let mut windows_seen = 0;
        let mut dropped = 0;
        // 20 orders a second for an hour: most fill, one in ten is never answered.
        for i in 0..72_000i64 {
            let id = format!("order-{i:07}");
            let sent = i * 50;
            let mut closed = w.push(&event(&id, EventKind::Sent, sent));
            if i % 10 != 0 {
                closed.extend(w.push(&event(&id, EventKind::Fill, sent + 5)));
            }
            windows_seen += closed.len();
            dropped += closed.iter().map(|v| v.counts.dropped).sum::<u32>();
            assert!(w.tracked_orders(VENUE) <= 500);
        }
        assert_eq!(windows_seen, 59);
        assert!(dropped > 6_000, "the unanswered orders are let go ({dropped})");
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.len() < 64 * 1024, "{} bytes", json.len());
    }

    #[test]
    fn orders_are_forgotten_once_resolved_or_past_the_horizon() {
        let mut w = windows();
        w.extend(&[event("done", EventKind::Sent, 1_000), event("done", EventKind::Fill, 1_200)]);
        w.extend(&[event("lost", EventKind::Sent, 2_000)]);
        w.close_until(at_ms(60_000));
        assert_eq!(w.tracked_orders(VENUE), 2, "a resolved order is kept a window to catch late duplicates");
        w.close_until(at_ms(120_000));
        assert_eq!(w.tracked_orders(VENUE), 1, "then only the open one");
        let closed = w.close_until(at_ms(11 * 60_000));
        assert_eq!(w.tracked_orders(VENUE), 0, "silent past the ten-minute horizon");
        assert_eq!(closed.iter().map(|v| v.counts.dropped).sum::<u32>(), 1);
        assert_eq!(closed.last().unwrap().get(Feature::SilentShare), 1.0, "silent until it is dropped");
    }

    #[test]
    fn odd_input_neither_panics_nor_floods() {
        let mut w = windows();
        assert!(w.push(&TelemetryEvent { venue: String::new(), ..event("a", EventKind::Sent, 0) }).is_empty());
        assert!(w.push(&TelemetryEvent { order_id: String::new(), ..event("a", EventKind::Sent, 0) }).is_empty());
        w.push(&event("a", EventKind::Sent, 0));
        let far = TelemetryEvent { at: DateTime::<Utc>::MAX_UTC, ..event("a", EventKind::Fill, 0) };
        let closed = w.push(&far);
        assert_eq!(closed.len(), MAX_CATCH_UP_WINDOWS);
        assert_finite(&closed);
        let zero_width = TelemetryConfig { window_secs: 0, max_orders: 0, ..TelemetryConfig::default() };
        let mut w = TelemetryWindows::new(zero_width);
        w.extend(&hand_made());
        assert_finite(&w.close_until(at_ms(120_000)));
    }

    #[test]
    fn feature_names_match_their_indices() {
        for (i, f) in Feature::ALL.into_iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(f.name(), FEATURE_NAMES[i]);
        }
    }
}
