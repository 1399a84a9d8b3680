//! Simulated market centers for fault detection: venues that acknowledge, fill, partially
//! fill, cancel and reject orders with realistic latencies, faults injected over a time
//! interval, and an order flow to drive them. Everything runs on simulated time: a
//! submitted order comes back as its execution reports, each stamped with the time it
//! would have arrived, and nothing sleeps.
//!
//! # Behaviour of a healthy venue ([`VenueProfile`])
//!
//! An order sent at `t` is answered after an ack latency drawn from a log-normal
//! distribution (median `ack_median_ms`, shape `ack_sigma`: most acks within a few
//! milliseconds, a heavy tail of slow ones). With probability `reject_rate` the answer is a
//! reject (seq 1); otherwise it is an ack (seq 1) followed, a log-normal fill delay later
//! (median `fill_median_ms`, shape `fill_sigma`), by
//! - a cancel (seq 2), with probability `cancel_rate`;
//! - or a partial fill of 20–80 % of the quantity somewhere in between and a fill of the
//!   rest (seq 2 and 3), with probability `partial_rate`;
//! - or a fill of the whole quantity (seq 2).
//!
//! Fills are at the order's price; quantities are [`Decimal`]s and add up to the order.
//!
//! # Faults ([`Fault`])
//!
//! A fault applies to the orders sent to its venue during `[start, end)`; orders sent
//! before or after are answered exactly as by the healthy venue (the same reports at the
//! same times). Faults on one venue combine.
//! - [`FaultKind::LatencySpike`]: ack and fill delays are multiplied by `factor`.
//! - [`FaultKind::RejectStorm`]: orders are rejected with probability `reject_rate` (or
//!   the profile's, if higher). The orders a healthy venue rejects are rejected too, and
//!   an order the storm spares gets the reports the healthy venue would have sent.
//! - [`FaultKind::SilentDrop`]: no report at all.
//! - [`FaultKind::DuplicateAcks`]: every ack is delivered twice, the copy with the same
//!   seq a few milliseconds later (a redelivery, possibly after later reports).
//! - [`FaultKind::Degradation`]: delays and rejects worsen linearly over the interval, from
//!   the profile's at `start` towards `latency_factor` times the delays and `reject_rate`
//!   at `end`.
//!
//! # Determinism
//!
//! Every random draw comes from a small generator of our own (SplitMix64), seeded from the
//! scenario seed, the venue and the order id: the same seed gives the same reports on any
//! platform and with any dependency versions, and an order's draws do not depend on the
//! other orders or on the faults, which is what lets a fault change only the orders it
//! covers. (The `rand` crates would add dependencies and do not promise the same stream
//! across versions for their default generators.)

use std::collections::BTreeMap;

use ballast_core::{Decimal, Side};
use ballast_ml::telemetry::{EventKind, TelemetryEvent};
use chrono::{DateTime, TimeDelta, Utc};

use crate::model::{ExecutionReport, OrderMessage, ReportKind};

/// How a healthy market center answers (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct VenueProfile {
    /// The venue's name, as reports and telemetry carry it.
    pub name: String,
    /// Median time from the order being sent to its ack or reject, in milliseconds.
    pub ack_median_ms: f64,
    /// Shape of the log-normal ack latency (0: every ack at the median).
    pub ack_sigma: f64,
    /// Median time from the ack to the final fill or cancel, in milliseconds.
    pub fill_median_ms: f64,
    /// Shape of the log-normal fill delay.
    pub fill_sigma: f64,
    /// Share of orders rejected.
    pub reject_rate: f64,
    /// Share of accepted orders filled in two parts.
    pub partial_rate: f64,
    /// Share of accepted orders the venue cancels instead of filling.
    pub cancel_rate: f64,
}

impl VenueProfile {
    /// A lit exchange: acks in 2 ms at the median (p95 about 5 ms, p99.9 about 13 ms),
    /// fills 40 ms after the ack at the median (p95 about 150 ms), 1.5 % rejects, 10 %
    /// partial fills, 0.5 % cancels.
    pub fn exchange(name: &str) -> Self {
        VenueProfile {
            name: name.to_string(),
            ack_median_ms: 2.0,
            ack_sigma: 0.6,
            fill_median_ms: 40.0,
            fill_sigma: 0.8,
            reject_rate: 0.015,
            partial_rate: 0.10,
            cancel_rate: 0.005,
        }
    }

    /// A slower venue such as a dark pool: acks in 6 ms at the median, fills 180 ms after
    /// at the median with a heavier tail, 1 % rejects, 20 % partial fills, 1 % cancels.
    pub fn dark_pool(name: &str) -> Self {
        VenueProfile {
            name: name.to_string(),
            ack_median_ms: 6.0,
            ack_sigma: 0.7,
            fill_median_ms: 180.0,
            fill_sigma: 1.0,
            reject_rate: 0.01,
            partial_rate: 0.20,
            cancel_rate: 0.01,
        }
    }
}

/// What goes wrong at a venue (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    LatencySpike { factor: f64 },
    RejectStorm { reject_rate: f64 },
    SilentDrop,
    DuplicateAcks,
    Degradation { latency_factor: f64, reject_rate: f64 },
}

/// A fault over the orders sent during `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Fault {
    pub fn new(kind: FaultKind, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Fault { kind, start, end }
    }

    /// Whether an order sent at `at` is affected.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// How far into the interval `at` is: 0 at the start, towards 1 at the end.
    fn progress(&self, at: DateTime<Utc>) -> f64 {
        let total = (self.end - self.start).num_microseconds().unwrap_or(i64::MAX);
        let done = (at - self.start).num_microseconds().unwrap_or(0);
        if total <= 0 {
            0.0
        } else {
            (done as f64 / total as f64).clamp(0.0, 1.0)
        }
    }

    fn apply(&self, conditions: &mut Conditions, at: DateTime<Utc>) {
        match self.kind {
            FaultKind::LatencySpike { factor } => conditions.latency_factor *= factor_or_one(factor),
            FaultKind::RejectStorm { reject_rate } => {
                conditions.reject_rate = conditions.reject_rate.max(probability(reject_rate));
            }
            FaultKind::SilentDrop => conditions.silent = true,
            FaultKind::DuplicateAcks => conditions.duplicate_acks = true,
            FaultKind::Degradation { latency_factor, reject_rate } => {
                let p = self.progress(at);
                conditions.latency_factor *= 1.0 + (factor_or_one(latency_factor) - 1.0) * p;
                let worse = conditions.reject_rate + (probability(reject_rate) - conditions.reject_rate) * p;
                conditions.reject_rate = conditions.reject_rate.max(worse);
            }
        }
    }
}

/// A multiplier as given, or 1 when it is not a finite non-negative number.
fn factor_or_one(factor: f64) -> f64 {
    if factor.is_finite() && factor >= 0.0 {
        factor
    } else {
        1.0
    }
}

/// A probability as given, clamped to [0, 1] (0 when not a number).
fn probability(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// How the venue treats one order: its profile with the active faults applied.
#[derive(Debug, Clone, Copy)]
struct Conditions {
    reject_rate: f64,
    latency_factor: f64,
    silent: bool,
    duplicate_acks: bool,
}

/// One market center: a profile, the faults injected into it, and a seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedMarketCenter {
    profile: VenueProfile,
    seed: u64,
    faults: Vec<Fault>,
}

impl SimulatedMarketCenter {
    pub fn new(profile: VenueProfile, seed: u64) -> Self {
        SimulatedMarketCenter { profile, seed, faults: Vec::new() }
    }

    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    pub fn profile(&self) -> &VenueProfile {
        &self.profile
    }

    /// The reports the venue sends for an order sent at `sent_at`, in time order, each
    /// with its `at`. The reports name this venue, whatever venue the order names.
    pub fn submit(&self, order: &OrderMessage, sent_at: DateTime<Utc>) -> Vec<ExecutionReport> {
        let conditions = self.conditions_at(sent_at);
        if conditions.silent {
            return Vec::new();
        }
        let draws = Draws::new(&mut Rng::for_parts(self.seed, &[&self.profile.name, &order.order_id]));
        let reply = Reply { order, venue: &self.profile.name };
        let p = &self.profile;
        let ack_at = after(sent_at, log_normal(p.ack_median_ms, p.ack_sigma, draws.ack_z) * conditions.latency_factor);
        if draws.reject < conditions.reject_rate {
            let reason = if draws.reject < p.reject_rate {
                "price outside the venue's collar"
            } else {
                "market center unavailable: order not accepted"
            };
            return vec![with_reason(reply.report(1, ReportKind::Reject, None, ack_at), reason)];
        }
        let fill_ms = log_normal(p.fill_median_ms, p.fill_sigma, draws.fill_z) * conditions.latency_factor;
        let mut reports = vec![reply.report(1, ReportKind::Ack, None, ack_at)];
        reports.extend(reply.after_ack(p, &draws, ack_at, fill_ms));
        if conditions.duplicate_acks {
            reports.push(reply.report(1, ReportKind::Ack, None, after(ack_at, draws.duplicate_after_ms)));
        }
        reports.sort_by_key(|r| r.at);
        reports
    }

    fn conditions_at(&self, at: DateTime<Utc>) -> Conditions {
        let mut conditions = Conditions {
            reject_rate: probability(self.profile.reject_rate),
            latency_factor: 1.0,
            silent: false,
            duplicate_acks: false,
        };
        for fault in self.faults.iter().filter(|f| f.covers(at)) {
            fault.apply(&mut conditions, at);
        }
        conditions
    }
}

/// Builds the reports of one order.
struct Reply<'a> {
    order: &'a OrderMessage,
    venue: &'a str,
}

impl Reply<'_> {
    /// What follows the ack, `fill_ms` later: a cancel, a fill, or a partial fill and a fill.
    fn after_ack(
        &self,
        profile: &VenueProfile,
        draws: &Draws,
        ack_at: DateTime<Utc>,
        fill_ms: f64,
    ) -> Vec<ExecutionReport> {
        let quantity = self.order.quantity;
        let done_at = after(ack_at, fill_ms);
        if draws.cancel < profile.cancel_rate {
            return vec![with_reason(
                self.report(2, ReportKind::Cancel, None, done_at),
                "cancelled by the market center",
            )];
        }
        match partial_quantity(quantity, draws.part_percent).filter(|_| draws.partial < profile.partial_rate) {
            Some(part) => vec![
                self.report(2, ReportKind::PartialFill, Some(part), after(ack_at, fill_ms * draws.part_at)),
                self.report(3, ReportKind::Fill, Some(quantity - part), done_at),
            ],
            None => vec![self.report(2, ReportKind::Fill, Some(quantity), done_at)],
        }
    }

    fn report(&self, seq: u64, kind: ReportKind, quantity: Option<Decimal>, at: DateTime<Utc>) -> ExecutionReport {
        ExecutionReport {
            order_id: self.order.order_id.clone(),
            venue: self.venue.to_string(),
            seq,
            kind,
            quantity,
            price: quantity.map(|_| self.order.price),
            reason: None,
            at: Some(at),
        }
    }
}

fn with_reason(mut report: ExecutionReport, reason: &str) -> ExecutionReport {
    report.reason = Some(reason.to_string());
    report
}

/// Every random number one order needs, drawn in a fixed order whatever the outcome.
#[derive(Debug, Clone, Copy)]
struct Draws {
    reject: f64,
    cancel: f64,
    partial: f64,
    ack_z: f64,
    fill_z: f64,
    /// Share of the quantity in the partial fill, in percent (20–80).
    part_percent: u64,
    /// When the partial fill comes, as a share of the fill delay (0.2–0.8).
    part_at: f64,
    duplicate_after_ms: f64,
}

impl Draws {
    fn new(rng: &mut Rng) -> Self {
        Draws {
            reject: rng.unit(),
            cancel: rng.unit(),
            partial: rng.unit(),
            ack_z: rng.normal(),
            fill_z: rng.normal(),
            part_percent: 20 + rng.below(61),
            part_at: 0.2 + 0.6 * rng.unit(),
            duplicate_after_ms: 1.0 + 19.0 * rng.unit(),
        }
    }
}

/// `percent` % of the quantity, rounded down to a whole unit, when that is a real part
/// (more than nothing, less than all).
fn partial_quantity(quantity: Decimal, percent: u64) -> Option<Decimal> {
    let part = quantity.checked_mul(Decimal::from(percent))?.checked_div(Decimal::from(100))?.floor();
    (part > Decimal::ZERO && part < quantity).then_some(part)
}

/// `median · e^(sigma · z)`: a log-normal draw from a standard normal one.
fn log_normal(median: f64, sigma: f64, z: f64) -> f64 {
    median * (sigma * z).exp()
}

/// `ms` milliseconds after `at` (the latest representable time if that is past it).
fn after(at: DateTime<Utc>, ms: f64) -> DateTime<Utc> {
    at.checked_add_signed(delay(ms)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Milliseconds as a delay, rounded to the microsecond and kept within [0, 1 hour].
fn delay(ms: f64) -> TimeDelta {
    const HOUR_MS: f64 = 3_600_000.0;
    let ms = if ms.is_finite() { ms.clamp(0.0, HOUR_MS) } else { 0.0 };
    TimeDelta::microseconds((ms * 1000.0).round() as i64)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast and good enough for simulation.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A stream for a seed and some names: FNV-1a over them (each followed by a 0xff,
    /// which no UTF-8 text contains), so that ("ab", "c") and ("a", "bc") differ.
    fn for_parts(seed: u64, parts: &[&str]) -> Self {
        const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
        let bytes = parts.iter().flat_map(|p| p.bytes().chain([0xff]));
        let hash = seed
            .to_le_bytes()
            .into_iter()
            .chain(bytes)
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
        Rng(hash)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0; the modulo bias is below 2^-50 for the small n used here).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: the logarithm stays finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with the given mean.
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// An order sent during a scenario and the reports it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub order: OrderMessage,
    pub sent_at: DateTime<Utc>,
    pub reports: Vec<ExecutionReport>,
}

/// A steady order flow to a set of venues over a time span, with faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub duration: TimeDelta,
    /// Orders a minute to each venue, on average (random, Poisson arrivals).
    pub orders_per_minute: u32,
    pub venues: Vec<VenueProfile>,
    /// Faults, each with the name of its venue.
    pub faults: Vec<(String, Fault)>,
}

/// Securities the generated orders trade.
const SECURITIES: [&str; 8] = ["VTI", "VXUS", "BND", "BNDX", "SPY", "AGG", "IEFA", "VWO"];

impl Scenario {
    pub fn new(
        seed: u64,
        start: DateTime<Utc>,
        duration: TimeDelta,
        orders_per_minute: u32,
        venues: Vec<VenueProfile>,
    ) -> Self {
        Scenario { seed, start, duration, orders_per_minute, venues, faults: Vec::new() }
    }

    pub fn with_fault(mut self, venue: &str, fault: Fault) -> Self {
        self.faults.push((venue.to_string(), fault));
        self
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start.checked_add_signed(self.duration).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The market center of a venue of the scenario, with its faults.
    pub fn market_center(&self, venue: &str) -> Option<SimulatedMarketCenter> {
        let profile = self.venues.iter().find(|p| p.name == venue)?;
        let faults = self.faults.iter().filter(|(v, _)| v == venue).map(|(_, f)| *f);
        Some(faults.fold(SimulatedMarketCenter::new(profile.clone(), self.seed), SimulatedMarketCenter::with_fault))
    }

    /// Every order of the scenario with the time it is sent, in time order.
    pub fn orders(&self) -> Vec<(OrderMessage, DateTime<Utc>)> {
        let mut orders: Vec<_> = self.venues.iter().flat_map(|v| self.venue_orders(&v.name)).collect();
        orders.sort_by(|(a, at), (b, bt)| (at, &a.order_id).cmp(&(bt, &b.order_id)));
        orders
    }

    /// Every order sent to its venue's market center, in the order sent.
    pub fn run(&self) -> Vec<Submission> {
        let centers: BTreeMap<&str, SimulatedMarketCenter> =
            self.venues.iter().filter_map(|v| Some((v.name.as_str(), self.market_center(&v.name)?))).collect();
        self.orders()
            .into_iter()
            .filter_map(|(order, sent_at)| {
                let reports = centers.get(order.venue.as_str())?.submit(&order, sent_at);
                Some(Submission { order, sent_at, reports })
            })
            .collect()
    }

    /// The telemetry of [`Scenario::run`]: every send and every report, in time order.
    pub fn telemetry(&self) -> Vec<TelemetryEvent> {
        let mut events: Vec<TelemetryEvent> =
            self.run().iter().flat_map(|s| telemetry_events(&s.order, s.sent_at, &s.reports)).collect();
        events.sort_by_key(|e| e.at);
        events
    }

    /// Every venue's closed telemetry windows over the scenario, as feature vectors in time
    /// order: the history an anomaly model is trained on.
    pub fn feature_windows(
        &self,
        config: ballast_ml::telemetry::TelemetryConfig,
    ) -> BTreeMap<String, Vec<[f64; ballast_ml::telemetry::N_FEATURES]>> {
        let mut windows = ballast_ml::telemetry::TelemetryWindows::new(config);
        let mut closed = windows.extend(&self.telemetry());
        closed.extend(windows.close_until(self.end()));
        let mut by_venue: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for fv in closed {
            by_venue.entry(fv.venue).or_default().push(fv.values);
        }
        by_venue
    }

    /// One venue's orders: Poisson arrivals at `orders_per_minute` from `start` to the end.
    fn venue_orders(&self, venue: &str) -> Vec<(OrderMessage, DateTime<Utc>)> {
        if self.orders_per_minute == 0 {
            return Vec::new();
        }
        let mut rng = Rng::for_parts(self.seed, &["order flow", venue]);
        let mean_gap_ms = 60_000.0 / f64::from(self.orders_per_minute);
        // At least a microsecond apart, so that time always moves on.
        let mut gap = || rng.exponential(mean_gap_ms).max(0.001);
        let mut times = Vec::new();
        let mut at = after(self.start, gap());
        while at < self.end() {
            times.push(at);
            at = after(at, gap());
        }
        times.into_iter().enumerate().map(|(n, at)| (self.order(venue, n, &mut rng), at)).collect()
    }

    fn order(&self, venue: &str, n: usize, rng: &mut Rng) -> OrderMessage {
        let security = SECURITIES[rng.below(SECURITIES.len() as u64) as usize];
        OrderMessage {
            order_id: format!("sim-{venue}-{n:06}"),
            job_id: format!("sim-{}", self.seed),
            account: format!("SIM{:04}", rng.below(500)),
            security: security.to_string(),
            side: if rng.below(2) == 0 { Side::Buy } else { Side::Sell },
            quantity: Decimal::from(1 + rng.below(500)),
            // $20.00 to $499.99.
            price: Decimal::new(2_000 + rng.below(48_000) as i64, 2),
            venue: venue.to_string(),
        }
    }
}

/// An execution report as telemetry; `None` when it has no time.
pub fn report_event(report: &ExecutionReport) -> Option<TelemetryEvent> {
    let kind = match report.kind {
        ReportKind::Ack => EventKind::Ack,
        ReportKind::PartialFill => EventKind::PartialFill,
        ReportKind::Fill => EventKind::Fill,
        ReportKind::Reject => EventKind::Reject,
        ReportKind::Cancel => EventKind::Cancel,
    };
    Some(TelemetryEvent { venue: report.venue.clone(), order_id: report.order_id.clone(), at: report.at?, kind })
}

/// The telemetry of one order: its send, then each of its reports that has a time.
pub fn telemetry_events(
    order: &OrderMessage,
    sent_at: DateTime<Utc>,
    reports: &[ExecutionReport],
) -> Vec<TelemetryEvent> {
    let sent = TelemetryEvent {
        venue: order.venue.clone(),
        order_id: order.order_id.clone(),
        at: sent_at,
        kind: EventKind::Sent,
    };
    std::iter::once(sent).chain(reports.iter().filter_map(report_event)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{Order, OrderState};
    use crate::report::{apply_to_order, validate};

    const SEED: u64 = 7;
    const VENUE: &str = "XNYS";

    /// A minute of the tests' time line, which starts at minute 0 (14:30 UTC).
    fn minute(m: i64) -> DateTime<Utc> {
        "2026-03-02T14:30:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(m)
    }

    fn exchange() -> SimulatedMarketCenter {
        SimulatedMarketCenter::new(VenueProfile::exchange(VENUE), SEED)
    }

    /// `n` orders to the venue, one every `gap_ms` from `t0`.
    fn flow(n: usize, gap_ms: i64) -> Vec<(OrderMessage, DateTime<Utc>)> {
        (0..n)
            .map(|i| {
                let order = OrderMessage {
                    order_id: format!("ord-{i:06}"),
                    job_id: "job-1".into(),
                    account: format!("A{}", i % 50),
                    security: "VTI".into(),
                    side: Side::Buy,
                    quantity: Decimal::from(10 + i % 400),
                    price: Decimal::new(28_417, 2),
                    venue: VENUE.into(),
                };
                (order, minute(0) + TimeDelta::milliseconds(i as i64 * gap_ms))
            })
            .collect()
    }

    fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
    }

    fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
        values.sort_by(f64::total_cmp);
        values[((values.len() as f64 * p) as usize).min(values.len() - 1)]
    }

    fn share(part: usize, whole: usize) -> f64 {
        part as f64 / whole as f64
    }

    fn first_of(reports: &[ExecutionReport], kind: ReportKind) -> Option<&ExecutionReport> {
        reports.iter().find(|r| r.kind == kind)
    }

    /// The order after the platform applied every report, in the order they arrived.
    fn final_order(order: &OrderMessage, reports: &[ExecutionReport]) -> Order {
        let mut state = Order {
            id: order.order_id.clone(),
            job_id: order.job_id.clone(),
            batch: 0,
            account: order.account.clone(),
            security: order.security.clone(),
            side: order.side,
            quantity: order.quantity,
            price: order.price,
            venue: order.venue.clone(),
            state: OrderState::Sent,
            filled: Decimal::ZERO,
            average_price: None,
            last_report: 0,
            reason: None,
            rerouted_from: None,
            held_for: None,
            may_reroute: true,
        };
        for report in reports {
            assert_eq!(validate(report), Ok(()));
            if let Some(next) = apply_to_order(&state, report) {
                state = next;
            }
        }
        state
    }

    #[test]
    fn a_clean_venue_behaves_like_its_profile() {
        let venue = exchange();
        let (mut rejects, mut partials, mut cancels, mut accepted) = (0, 0, 0, 0);
        let (mut ack_ms, mut fill_ms) = (Vec::new(), Vec::new());
        let orders = flow(20_000, 50);
        for (order, sent_at) in &orders {
            let reports = venue.submit(order, *sent_at);
            assert!(reports.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
            let first = &reports[0];
            ack_ms.push(ms_between(*sent_at, first.at.unwrap()));
            if first.kind == ReportKind::Reject {
                rejects += 1;
                continue;
            }
            accepted += 1;
            partials += usize::from(first_of(&reports, ReportKind::PartialFill).is_some());
            cancels += usize::from(first_of(&reports, ReportKind::Cancel).is_some());
            if let Some(fill) = first_of(&reports, ReportKind::Fill) {
                fill_ms.push(ms_between(first.at.unwrap(), fill.at.unwrap()));
            }
        }
        let reject_share = share(rejects, orders.len());
        assert!((0.011..0.019).contains(&reject_share), "{reject_share}");
        let partial_share = share(partials, accepted);
        assert!((0.09..0.11).contains(&partial_share), "{partial_share}");
        let cancel_share = share(cancels, accepted);
        assert!((0.003..0.007).contains(&cancel_share), "{cancel_share}");
        let ack_median = percentile(ack_ms.clone(), 0.5);
        assert!((ack_median - 2.0).abs() < 0.06, "ack median {ack_median} ms");
        assert!(percentile(ack_ms, 0.95) > 2.0 * ack_median, "a heavy tail");
        let fill_median = percentile(fill_ms, 0.5);
        assert!((fill_median - 40.0).abs() < 1.6, "fill median {fill_median} ms");
    }

    #[test]
    fn every_order_ends_as_its_reports_say() {
        let venue = SimulatedMarketCenter::new(VenueProfile::dark_pool(VENUE), SEED);
        let mut finals = BTreeSet::new();
        for (order, sent_at) in flow(3_000, 200) {
            let reports = venue.submit(&order, sent_at);
            assert!(reports.iter().all(|r| r.venue == VENUE && r.at.is_some_and(|at| at >= sent_at)));
            let done = final_order(&order, &reports);
            finals.insert(done.state);
            match done.state {
                OrderState::Filled => {
                    assert_eq!(done.filled, order.quantity);
                    assert_eq!(done.average_price, Some(order.price));
                }
                OrderState::Rejected | OrderState::Cancelled => assert!(done.reason.is_some()),
                other => panic!("order {} left {other:?}", order.order_id),
            }
        }
        assert_eq!(finals, BTreeSet::from([OrderState::Filled, OrderState::Rejected, OrderState::Cancelled]));
    }

    #[test]
    fn the_same_seed_gives_the_same_reports() {
        let orders = flow(500, 100);
        let answer = |seed| {
            let venue = SimulatedMarketCenter::new(VenueProfile::exchange(VENUE), seed);
            orders.iter().map(|(o, at)| venue.submit(o, *at)).collect::<Vec<_>>()
        };
        assert_eq!(answer(SEED), answer(SEED));
        assert_ne!(answer(SEED), answer(SEED + 1));
    }

    /// An order sent while a fault was on, with what the clean and the faulty venue said.
    struct Inside {
        order: OrderMessage,
        sent_at: DateTime<Utc>,
        clean: Vec<ExecutionReport>,
        faulty: Vec<ExecutionReport>,
    }

    /// Ten minutes of orders, one every 100 ms, to a clean venue and to the same venue with
    /// `kind` from minute 3 to minute 6. Asserts that the orders sent outside the fault
    /// are answered identically and returns those inside.
    fn with_fault(kind: FaultKind) -> Vec<Inside> {
        let faulty = exchange().with_fault(Fault::new(kind, minute(3), minute(6)));
        let mut inside = Vec::new();
        for (order, sent_at) in flow(6_000, 100) {
            let (clean, faulty) = (exchange().submit(&order, sent_at), faulty.submit(&order, sent_at));
            if (minute(3)..minute(6)).contains(&sent_at) {
                inside.push(Inside { order, sent_at, clean, faulty });
            } else {
                assert_eq!(clean, faulty, "{} was sent outside the fault", order.order_id);
            }
        }
        assert_eq!(inside.len(), 1_800);
        inside
    }

    fn without_times(reports: &[ExecutionReport]) -> Vec<ExecutionReport> {
        reports.iter().map(|r| ExecutionReport { at: None, ..r.clone() }).collect()
    }

    #[test]
    fn a_latency_spike_slows_every_report_and_changes_nothing_else() {
        for o in with_fault(FaultKind::LatencySpike { factor: 10.0 }) {
            assert_eq!(without_times(&o.faulty), without_times(&o.clean));
            for (clean, faulty) in o.clean.iter().zip(&o.faulty) {
                let ratio = ms_between(o.sent_at, faulty.at.unwrap()) / ms_between(o.sent_at, clean.at.unwrap());
                assert!((ratio - 10.0).abs() < 0.2, "{}: {ratio}", o.order.order_id);
            }
        }
    }

    #[test]
    fn a_reject_storm_rejects_more_orders_and_spares_the_rest() {
        let inside = with_fault(FaultKind::RejectStorm { reject_rate: 0.6 });
        let is_reject = |reports: &[ExecutionReport]| reports.len() == 1 && reports[0].kind == ReportKind::Reject;
        let rejected = inside.iter().filter(|o| is_reject(&o.faulty)).count();
        assert!((0.55..0.65).contains(&share(rejected, inside.len())), "{rejected}");
        for o in &inside {
            if is_reject(&o.faulty) {
                assert_eq!(o.faulty[0].at, o.clean[0].at, "answered when the venue would have acked");
            } else {
                assert_eq!(o.faulty, o.clean);
            }
            assert!(!is_reject(&o.clean) || is_reject(&o.faulty), "a clean reject stays a reject");
        }
    }

    #[test]
    fn a_silent_drop_sends_no_report() {
        for o in with_fault(FaultKind::SilentDrop) {
            assert!(o.faulty.is_empty() && !o.clean.is_empty());
        }
    }

    #[test]
    fn duplicate_acks_are_redeliveries_the_order_state_ignores() {
        let inside = with_fault(FaultKind::DuplicateAcks);
        let mut duplicated = 0;
        for o in &inside {
            let acks: Vec<_> = o.faulty.iter().filter(|r| r.kind == ReportKind::Ack).collect();
            if o.clean.iter().all(|r| r.kind == ReportKind::Reject) {
                assert_eq!(o.faulty, o.clean, "a reject has no ack to repeat");
                continue;
            }
            duplicated += 1;
            assert_eq!(acks.len(), 2);
            assert_eq!((acks[0].seq, acks[1].seq), (1, 1), "the copy keeps the sequence number");
            assert!(acks[1].at > acks[0].at);
            let copy = o.faulty.iter().rposition(|r| r.kind == ReportKind::Ack).unwrap();
            let mut without_copy = o.faulty.clone();
            without_copy.remove(copy);
            assert_eq!(without_copy, o.clean);
            assert_eq!(final_order(&o.order, &o.faulty), final_order(&o.order, &o.clean));
        }
        assert!(duplicated > 1_700, "{duplicated}");
    }

    #[test]
    fn a_degradation_worsens_gradually() {
        let inside = with_fault(FaultKind::Degradation { latency_factor: 5.0, reject_rate: 0.4 });
        let thirds: Vec<&[Inside]> = inside.chunks(600).collect();
        let reject_share =
            |part: &[Inside]| share(part.iter().filter(|o| o.faulty[0].kind == ReportKind::Reject).count(), part.len());
        let slowdown = |part: &[Inside]| {
            let ratios = part.iter().map(|o| {
                ms_between(o.sent_at, o.faulty[0].at.unwrap()) / ms_between(o.sent_at, o.clean[0].at.unwrap())
            });
            percentile(ratios.collect(), 0.5)
        };
        let rejects: Vec<f64> = thirds.iter().map(|t| reject_share(t)).collect();
        let slowdowns: Vec<f64> = thirds.iter().map(|t| slowdown(t)).collect();
        assert!(rejects[0] < rejects[1] && rejects[1] < rejects[2], "{rejects:?}");
        assert!(rejects[0] < 0.15 && rejects[2] > 0.25, "{rejects:?}");
        assert!(slowdowns[0] < 2.0 && slowdowns[1] > 2.5 && slowdowns[2] > 4.0, "{slowdowns:?}");
    }

    #[test]
    fn faults_with_odd_parameters_do_not_break_the_venue() {
        let odd = [
            FaultKind::LatencySpike { factor: f64::NAN },
            FaultKind::LatencySpike { factor: f64::INFINITY },
            FaultKind::RejectStorm { reject_rate: -3.0 },
            FaultKind::Degradation { latency_factor: -1.0, reject_rate: f64::NAN },
        ];
        for kind in odd {
            let venue = exchange().with_fault(Fault::new(kind, minute(0), minute(10)));
            for (order, sent_at) in flow(100, 1_000) {
                assert_eq!(venue.submit(&order, sent_at), exchange().submit(&order, sent_at), "{kind:?}");
            }
        }
        let backwards = exchange().with_fault(Fault::new(FaultKind::SilentDrop, minute(10), minute(0)));
        assert!(flow(100, 1_000).iter().all(|(o, at)| !backwards.submit(o, *at).is_empty()));
    }

    #[test]
    fn odd_orders_and_times_do_not_panic() {
        let last = DateTime::<Utc>::MAX_UTC - TimeDelta::milliseconds(1);
        let (mut order, _) = flow(1, 0).remove(0);
        order.quantity = Decimal::MAX;
        let slow = exchange().with_fault(Fault::new(FaultKind::LatencySpike { factor: 1e9 }, minute(0), last));
        for venue in [exchange(), slow] {
            for (order, at) in [(&order, last), (&order, minute(1))] {
                let reports = venue.submit(order, at);
                assert!(!reports.is_empty() && reports.iter().all(|r| r.at >= Some(at)));
            }
        }
        let venues = vec![VenueProfile::exchange(VENUE)];
        let at_the_end_of_time = Scenario::new(SEED, last - TimeDelta::minutes(1), TimeDelta::hours(1), 60, venues);
        assert!(at_the_end_of_time.orders().len() < 100);
        assert!(Scenario { orders_per_minute: 0, ..scenario() }.run().is_empty());
    }

    fn scenario() -> Scenario {
        let venues =
            vec![VenueProfile::exchange("XNYS"), VenueProfile::exchange("XNAS"), VenueProfile::dark_pool("DARK")];
        Scenario::new(SEED, minute(0), TimeDelta::minutes(20), 60, venues)
    }

    #[test]
    fn a_scenario_sends_a_steady_flow_to_every_venue() {
        let s = scenario();
        let orders = s.orders();
        assert!(orders.windows(2).all(|w| w[0].1 <= w[1].1), "in time order");
        assert!(orders.iter().all(|(_, at)| (s.start..s.end()).contains(at)));
        let ids: BTreeSet<_> = orders.iter().map(|(o, _)| o.order_id.as_str()).collect();
        assert_eq!(ids.len(), orders.len(), "order ids are unique");
        for venue in ["XNYS", "XNAS", "DARK"] {
            let n = orders.iter().filter(|(o, _)| o.venue == venue).count();
            assert!((1_080..1_320).contains(&n), "{venue}: {n} orders in 20 minutes at 60 a minute");
            let in_last_minute = orders.iter().filter(|(o, at)| o.venue == venue && *at >= minute(19)).count();
            assert!(in_last_minute > 30, "{venue}: the flow lasts to the end");
        }
        assert!(orders.iter().all(|(o, _)| o.quantity > Decimal::ZERO && o.price > Decimal::ZERO));
        assert_eq!(s.orders(), orders);
        assert_ne!(Scenario { seed: SEED + 1, ..s }.orders(), orders);
    }

    #[test]
    fn scenario_telemetry_has_every_send_and_report_in_time_order() {
        let s = scenario().with_fault("XNAS", Fault::new(FaultKind::SilentDrop, minute(5), minute(6)));
        let run = s.run();
        assert_eq!(run.len(), s.orders().len());
        let silent = run.iter().filter(|r| r.order.venue == "XNAS" && (minute(5)..minute(6)).contains(&r.sent_at));
        assert!(silent.clone().count() > 30 && silent.into_iter().all(|r| r.reports.is_empty()));
        let events = s.telemetry();
        assert_eq!(events.len(), run.iter().map(|r| 1 + r.reports.len()).sum::<usize>());
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
        let sent = events.iter().filter(|e| e.kind == EventKind::Sent).count();
        assert_eq!(sent, run.len());
        assert!(s.market_center("nowhere").is_none());
    }

    #[test]
    fn a_report_without_a_time_is_no_telemetry() {
        let (order, sent_at) = flow(1, 0).remove(0);
        let mut reports = exchange().submit(&order, sent_at);
        reports[0].at = None;
        let events = telemetry_events(&order, sent_at, &reports);
        assert_eq!(events.len(), reports.len());
        assert_eq!(events[0].kind, EventKind::Sent);
    }
}
