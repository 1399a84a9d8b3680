//! `ballast drill`: a market-center fault in process (ARCHITECTURE.md, flow 2). Simulated
//! venues trade for an hour; midway one of them (ARCX) starts rejecting half its orders.
//! The anomaly detector (a Random Cut Forest trained on six clean hours) watches every
//! venue's one-minute telemetry windows; a rebalance job submitted while ARCX is halted is
//! routed around it (or held, for clients who direct their own routing); once ARCX
//! recovers the held orders go out, and every order reaches a final state.

use std::fmt;
use std::time::Instant;

use ballast_core::{Account, VenueStatus};
use ballast_flow::anomaly::{train_model, venue_detector_config, Detection, ModelScorer};
use ballast_flow::health::{Action, HealthPolicy};
use ballast_flow::memory::MemoryPlatform;
use ballast_flow::ports::{AccountStore, OrderStore, VenueHealthStore};
use ballast_flow::simulator::{Fault, FaultKind, Scenario, VenueProfile};
use ballast_flow::OrderState;
use ballast_ml::telemetry::{TelemetryConfig, TelemetryEvent};
use ballast_refcache::{MemorySource, ReferenceCache, Ttls};
use chrono::{DateTime, TimeDelta, Utc};

const VENUES: [&str; 4] = ["XNYS", "XNAS", "ARCX", "BATS"];
const FAULTY: &str = "ARCX";
const MINUTES: i64 = 60;
const FAULT_FROM: i64 = 25;
const FAULT_TO: i64 = 40;

/// What happened.
#[derive(Debug, Clone)]
pub struct DrillReport {
    pub detected_minute: Option<i64>,
    pub halted_minute: Option<i64>,
    pub recovered_minute: Option<i64>,
    pub false_alarms: usize,
    pub job_minute: Option<i64>,
    pub orders: usize,
    pub rerouted: usize,
    pub held: usize,
    pub released: u32,
    pub final_orders: usize,
    pub queue_sends: u64,
    pub windows_scored: usize,
    pub seconds: f64,
}

fn minute(start: DateTime<Utc>, m: i64) -> DateTime<Utc> {
    start + TimeDelta::minutes(m)
}

/// Runs the drill on `accounts` generated accounts.
pub fn run_drill(seed: u64, accounts: u64) -> Result<DrillReport, String> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let start: DateTime<Utc> = "2026-11-27T14:30:00Z".parse().expect("a fixed time");
        let venues: Vec<VenueProfile> = VENUES.iter().map(|v| VenueProfile::exchange(v)).collect();
        let history = Scenario::new(seed, minute(start, -6 * 60), TimeDelta::hours(6), 60, venues.clone());
        let detector = train_model(venue_detector_config(), &history.feature_windows(TelemetryConfig::default()))
            .map_err(|e| e.to_string())?;
        let scorer = ModelScorer::new(detector, "rcf-drill");

        let file = ballast_synth::reference(seed);
        let universe = ballast_synth::Universe::new(&file).map_err(|e| e.to_string())?;
        let trade_date = file.trade_date;
        let mut book: Vec<Account> = (0..accounts).map(|i| ballast_synth::account(seed, i, &universe)).collect();
        // One client in four directs its own routing: its orders wait rather than move.
        for a in book.iter_mut().step_by(4) {
            a.profile.directed_routing = true;
        }
        let p = MemoryPlatform::new(ReferenceCache::new(MemorySource::new(file), Ttls::default()));
        p.store.put_accounts(&book).await.map_err(|e| e.to_string())?;
        let detection = Detection {
            telemetry: &p.store,
            scorer: &scorer,
            decisions: &p.store,
            orders: &p.store,
            gateway: &p.queues,
            views: &p.store,
            reference: &p.reference,
            config: TelemetryConfig::default(),
            policy: HealthPolicy::default(),
        };
        let storm =
            Fault::new(FaultKind::RejectStorm { reject_rate: 0.5 }, minute(start, FAULT_FROM), minute(start, FAULT_TO));
        let live = Scenario::new(seed + 1, start, TimeDelta::minutes(MINUTES), 60, venues).with_fault(FAULTY, storm);
        let events = live.telemetry();
        let mut report = DrillReport {
            detected_minute: None,
            halted_minute: None,
            recovered_minute: None,
            false_alarms: 0,
            job_minute: None,
            orders: 0,
            rerouted: 0,
            held: 0,
            released: 0,
            final_orders: 0,
            queue_sends: 0,
            windows_scored: 0,
            seconds: 0.0,
        };
        let mut job = None;
        for m in 0..MINUTES {
            let batch: Vec<TelemetryEvent> =
                events.iter().filter(|e| e.at >= minute(start, m) && e.at < minute(start, m + 1)).cloned().collect();
            let r = detection.observe(&batch, minute(start, m + 1), trade_date).await.map_err(|e| e.to_string())?;
            report.windows_scored += r.windows;
            report.released += r.releases.iter().map(|x| x.released).sum::<u32>();
            for d in &r.decisions {
                let acted = matches!(d.action, Action::Degrade | Action::Halt);
                if d.venue != FAULTY && acted {
                    report.false_alarms += 1;
                }
            }
            let health = p.store.venue_health().await.map_err(|e| e.to_string())?;
            let status = health.iter().find(|h| h.venue == FAULTY).map_or(VenueStatus::Healthy, |h| h.effective());
            if status != VenueStatus::Healthy && report.detected_minute.is_none() {
                report.detected_minute = Some(m);
            }
            if status == VenueStatus::Halted && report.halted_minute.is_none() {
                report.halted_minute = Some(m);
            }
            if status == VenueStatus::Healthy && report.halted_minute.is_some() && report.recovered_minute.is_none() {
                report.recovered_minute = Some(m);
            }
            // While ARCX is halted, an advisor rebalances the book.
            if status == VenueStatus::Halted && job.is_none() {
                let ids: Vec<&str> = book.iter().map(|a| a.id.as_str()).collect();
                let body = serde_json::json!({ "account_ids": ids, "mode": "full" }).to_string();
                let a =
                    p.accept(body.as_bytes(), None, minute(start, m), trade_date).await.map_err(|e| e.to_string())?;
                p.run(&a.job.id).await.map_err(|e| e.to_string())?;
                let orders = p.store.job_orders(&a.job.id).await.map_err(|e| e.to_string())?;
                report.rerouted = orders.iter().filter(|o| o.rerouted_from.as_deref() == Some(FAULTY)).count();
                report.held = orders.iter().filter(|o| o.state == OrderState::Held).count();
                report.job_minute = Some(m);
                job = Some(a.job.id);
            }
        }
        // The market centers execute everything queued (including the released orders).
        p.execute_queued().await.map_err(|e| e.to_string())?;
        if let Some(job) = &job {
            let orders = p.store.job_orders(job).await.map_err(|e| e.to_string())?;
            report.orders = orders.len();
            report.final_orders = orders.iter().filter(|o| o.state.is_final()).count();
        }
        report.queue_sends = p.queues.sends();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    })
}

impl fmt::Display for DrillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |m: Option<i64>| m.map_or("never".to_string(), |m| format!("minute {m}"));
        writeln!(f, "Market-center fault drill: {MINUTES} minutes of four venues; {FAULTY} rejects half its orders from minute {FAULT_FROM} to {FAULT_TO}")?;
        writeln!(f, "(Random Cut Forest on one-minute telemetry windows, shingles of 8, trained on six clean hours)")?;
        writeln!(f)?;
        let lag = self.detected_minute.map(|m| m - FAULT_FROM);
        writeln!(
            f,
            "{:<30}{}{}",
            "Fault detected",
            at(self.detected_minute),
            lag.map_or(String::new(), |l| format!(
                " ({} window{} after it began)",
                l + 1,
                if l == 0 { "" } else { "s" }
            ))
        )?;
        writeln!(f, "{:<30}{}", "Routing to ARCX stopped", at(self.halted_minute))?;
        writeln!(f, "{:<30}{}", "ARCX healthy again", at(self.recovered_minute))?;
        writeln!(f, "{:<30}{}", "Alarms at the other venues", self.false_alarms)?;
        writeln!(f, "{:<30}{}", "Windows scored", self.windows_scored)?;
        writeln!(f, "{:<30}{} ({} orders)", "Job submitted while halted", at(self.job_minute), self.orders)?;
        writeln!(f, "  {:<28}{}", "rerouted ARCX -> BATS", self.rerouted)?;
        writeln!(f, "  {:<28}{}", "held (directed routing)", self.held)?;
        writeln!(f, "  {:<28}{}", "released after recovery", self.released)?;
        writeln!(
            f,
            "{:<30}{} of {} orders final; {} queue sends (one per order)",
            "Every order accounted for", self.final_orders, self.orders, self.queue_sends
        )?;
        write!(f, "{:<30}{:.2} s", "Wall time", self.seconds)
    }
}
