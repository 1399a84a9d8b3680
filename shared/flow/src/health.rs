//! Market-center health: what the anomaly detector's verdicts do to a venue's routing
//! (ARCHITECTURE.md, flow 2), and where an order goes given the venues' health.
//!
//! Each closed telemetry window of a venue gets a [`Verdict`] (its score, the learned
//! threshold and an anomaly grade). [`VenueHealth::observe`] moves the venue between
//! HEALTHY, DEGRADED and HALTED with hysteresis: one anomalous window degrades it, a run of
//! them (or one far above the threshold) halts it, and only a run of normal windows brings
//! it back, so a venue that flickers does not flap. An operator's override wins over the
//! detector until it is lifted; the detector's view is still kept and recorded.
//!
//! [`route`] decides, per order, whether it goes to its venue, to the venue's alternative,
//! or waits (held) until the venue recovers.

use ballast_core::VenueStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many windows move a venue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthPolicy {
    /// Consecutive anomalous windows that degrade a healthy venue.
    pub degrade_after: u32,
    /// Consecutive anomalous windows that halt it.
    pub halt_after: u32,
    /// A grade at or above this halts at once (a reject storm, a venue gone silent).
    pub halt_grade: f64,
    /// Consecutive normal windows that bring a degraded or halted venue back.
    pub recover_after: u32,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy { degrade_after: 1, halt_after: 3, halt_grade: 0.9, recover_after: 5 }
    }
}

/// The detector's verdict on one window of one venue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub window_start: DateTime<Utc>,
    pub score: f64,
    pub threshold: f64,
    /// 0 for a normal window; up to 1 the further the score is above the threshold.
    pub grade: f64,
}

impl Verdict {
    pub fn anomalous(&self) -> bool {
        self.grade > 0.0
    }
}

/// An operator's decision that overrides the detector until it is lifted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub status: VenueStatus,
    pub by: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// One venue's health as the detector and operators left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueHealth {
    pub venue: String,
    /// What the detector concluded.
    pub detected: VenueStatus,
    pub since: Option<DateTime<Utc>>,
    pub anomalous_streak: u32,
    pub normal_streak: u32,
    /// The last window observed; an older or equal window is a redelivery and is ignored.
    pub last_window: Option<DateTime<Utc>>,
    #[serde(default)]
    pub override_: Option<Override>,
    /// Increases with every change (the stores' optimistic concurrency).
    #[serde(default)]
    pub version: u64,
}

/// What an observation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing changed state.
    None,
    /// The window was at or before the last one seen: ignored.
    Stale,
    Degrade,
    Halt,
    Recover,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Stale => "stale",
            Action::Degrade => "degrade",
            Action::Halt => "halt",
            Action::Recover => "recover",
        }
    }
}

/// The effect of one verdict: the effective status before and after, and the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: VenueStatus,
    pub to: VenueStatus,
    pub action: Action,
}

impl VenueHealth {
    pub fn new(venue: impl Into<String>) -> VenueHealth {
        VenueHealth {
            venue: venue.into(),
            detected: VenueStatus::Healthy,
            since: None,
            anomalous_streak: 0,
            normal_streak: 0,
            last_window: None,
            override_: None,
            version: 0,
        }
    }

    /// The status routing uses: the operator's override, else the detector's.
    pub fn effective(&self) -> VenueStatus {
        self.override_.as_ref().map_or(self.detected, |o| o.status)
    }

    /// Applies one window's verdict.
    pub fn observe(&mut self, v: &Verdict, policy: &HealthPolicy) -> Transition {
        let from = self.effective();
        if self.last_window.is_some_and(|last| v.window_start <= last) {
            return Transition { from, to: from, action: Action::Stale };
        }
        self.last_window = Some(v.window_start);
        self.version += 1;
        if v.anomalous() {
            self.anomalous_streak += 1;
            self.normal_streak = 0;
        } else {
            self.normal_streak += 1;
            self.anomalous_streak = 0;
        }
        let next = match self.detected {
            _ if v.anomalous() && (v.grade >= policy.halt_grade || self.anomalous_streak >= policy.halt_after) => {
                VenueStatus::Halted
            }
            VenueStatus::Healthy if v.anomalous() && self.anomalous_streak >= policy.degrade_after => {
                VenueStatus::Degraded
            }
            VenueStatus::Degraded | VenueStatus::Halted if self.normal_streak >= policy.recover_after => {
                VenueStatus::Healthy
            }
            current => current,
        };
        let action = match (self.detected, next) {
            (a, b) if a == b => Action::None,
            (_, VenueStatus::Halted) => Action::Halt,
            (_, VenueStatus::Degraded) => Action::Degrade,
            (_, VenueStatus::Healthy) => Action::Recover,
        };
        if next != self.detected {
            self.detected = next;
            self.since = Some(v.window_start);
        }
        Transition { from, to: self.effective(), action }
    }

    /// Sets or lifts (`None`) the operator's override.
    pub fn set_override(&mut self, o: Option<Override>) -> Transition {
        let from = self.effective();
        self.override_ = o;
        self.version += 1;
        let to = self.effective();
        let action = match (from, to) {
            (a, b) if a == b => Action::None,
            (_, VenueStatus::Halted) => Action::Halt,
            (_, VenueStatus::Degraded) => Action::Degrade,
            (_, VenueStatus::Healthy) => Action::Recover,
        };
        Transition { from, to, action }
    }
}

/// Where one order goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To this venue (`rerouted_from` names the venue it was meant for, when rerouted).
    Send { venue: String, rerouted_from: Option<String> },
    /// Nowhere yet: it waits until its venue recovers.
    Hold { reason: String },
}

/// Routes an order meant for `venue`. A healthy venue takes it. A degraded one passes it
/// to its healthy alternative when the order may be rerouted, else still takes it (it is
/// slow, not down). A halted one passes it to the healthy alternative when allowed, and
/// otherwise the order is held.
pub fn route(
    venue: &str,
    status_of: impl Fn(&str) -> VenueStatus,
    alternative: Option<&str>,
    may_reroute: bool,
) -> Route {
    let status = status_of(venue);
    if status == VenueStatus::Healthy {
        return Route::Send { venue: venue.to_string(), rerouted_from: None };
    }
    let healthy_alt = alternative.filter(|a| *a != venue && status_of(a) == VenueStatus::Healthy);
    match (healthy_alt, may_reroute) {
        (Some(alt), true) => Route::Send { venue: alt.to_string(), rerouted_from: Some(venue.to_string()) },
        _ if status == VenueStatus::Degraded => Route::Send { venue: venue.to_string(), rerouted_from: None },
        (Some(_), false) => {
            Route::Hold { reason: format!("market center {venue} is halted and this order may not be rerouted") }
        }
        (None, _) => Route::Hold { reason: format!("market center {venue} is halted and has no healthy alternative") },
    }
}

/// An operator's verdict on the detector: the anomaly model's label for the next training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyLabel {
    /// The venue was in trouble: the model was right to degrade or halt it.
    TruePositive,
    /// The operator lifted a degradation or halt the model imposed.
    FalsePositive,
    /// The operator halted a venue the model still saw as healthy.
    FalseNegative,
}

impl AnomalyLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyLabel::TruePositive => "true_positive",
            AnomalyLabel::FalsePositive => "false_positive",
            AnomalyLabel::FalseNegative => "false_negative",
        }
    }

    /// Whether the window is a real anomaly (kept out of the detector's training data).
    pub fn is_anomaly(self) -> bool {
        matches!(self, AnomalyLabel::TruePositive | AnomalyLabel::FalseNegative)
    }

    /// What an operator setting `operator` on a venue the detector sees as `detected` says
    /// of the model: resuming a venue it degraded or halted is a false positive, keeping
    /// one degraded or halted confirms it, stopping one it saw as healthy is a miss.
    /// Healthy over healthy says nothing.
    pub fn of_override(detected: VenueStatus, operator: VenueStatus) -> Option<AnomalyLabel> {
        match (detected, operator) {
            (VenueStatus::Healthy, VenueStatus::Healthy) => None,
            (VenueStatus::Healthy, _) => Some(AnomalyLabel::FalseNegative),
            (_, VenueStatus::Healthy) => Some(AnomalyLabel::FalsePositive),
            (_, _) => Some(AnomalyLabel::TruePositive),
        }
    }
}

/// An operator's action on a venue as a verdict on the detector's decision behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorVerdict {
    pub venue: String,
    /// When the operator acted: the verdict labels the latest decision at or before it.
    pub at: DateTime<Utc>,
    pub label: AnomalyLabel,
    pub operator_id: String,
    pub reason: Option<String>,
}

/// What an override says of the detector (`"verdict"` in the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictRequest {
    /// No `"verdict"`: from the detector's status and the operator's ([`AnomalyLabel::of_override`]).
    Derived,
    /// `"none"`: the action says nothing about the model (maintenance, a venue notice).
    NotAVerdict,
    Label(AnomalyLabel),
}

impl VerdictRequest {
    /// The label this request puts on the detector, given what it detected and what the
    /// operator set.
    pub fn label(self, detected: VenueStatus, operator: VenueStatus) -> Option<AnomalyLabel> {
        match self {
            VerdictRequest::Derived => AnomalyLabel::of_override(detected, operator),
            VerdictRequest::NotAVerdict => None,
            VerdictRequest::Label(l) => Some(l),
        }
    }
}

/// What an operator asks of a venue (`PUT /venues/{venue}/override`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    pub status: String,
    pub by: String,
    pub reason: String,
    /// `true_positive`, `false_positive`, `false_negative` or `none`; absent: derived.
    #[serde(default)]
    pub verdict: Option<String>,
}

impl OverrideRequest {
    /// The override it asks for and what it says of the detector, or why it cannot be one.
    pub fn parse(body: &[u8], at: DateTime<Utc>) -> Result<(Override, VerdictRequest), crate::ApiError> {
        use crate::ApiError;
        let r: OverrideRequest = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "INVALID_OVERRIDE",
                format!("the body must be {{\"status\", \"by\", \"reason\"[, \"verdict\"]}}: {e}"),
            )
        })?;
        let verdict = match r.verdict.as_deref() {
            None => VerdictRequest::Derived,
            Some("none") => VerdictRequest::NotAVerdict,
            Some("true_positive") => VerdictRequest::Label(AnomalyLabel::TruePositive),
            Some("false_positive") => VerdictRequest::Label(AnomalyLabel::FalsePositive),
            Some("false_negative") => VerdictRequest::Label(AnomalyLabel::FalseNegative),
            Some(other) => {
                return Err(ApiError::bad_request(
                    "INVALID_VERDICT",
                    format!("verdict {other:?} is not one of true_positive, false_positive, false_negative, none"),
                ))
            }
        };
        let status = match r.status.as_str() {
            "healthy" => VenueStatus::Healthy,
            "degraded" => VenueStatus::Degraded,
            "halted" => VenueStatus::Halted,
            other => {
                return Err(ApiError::bad_request(
                    "INVALID_STATUS",
                    format!("status {other:?} is not one of healthy, degraded, halted"),
                ))
            }
        };
        for (field, value) in [("by", &r.by), ("reason", &r.reason)] {
            if value.trim().is_empty() || value.len() > 500 {
                return Err(ApiError::bad_request(
                    "INVALID_OVERRIDE",
                    format!("{field} must say who and why, in 1 to 500 characters"),
                ));
            }
        }
        Ok((Override { status, by: r.by.trim().to_string(), reason: r.reason.trim().to_string(), at }, verdict))
    }
}

/// A market center's id as the API accepts it: 2 to 12 of A–Z and 0–9.
pub fn valid_venue(venue: &str) -> bool {
    (2..=12).contains(&venue.len()) && venue.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 15, minute, 0).unwrap()
    }

    fn verdict(minute: u32, grade: f64) -> Verdict {
        Verdict { window_start: at(minute), score: 1.0 + grade, threshold: 1.0, grade }
    }

    fn run(h: &mut VenueHealth, grades: &[f64]) -> Vec<VenueStatus> {
        let p = HealthPolicy::default();
        let start = h.last_window.map_or(0, |w| w.minute() + 1);
        grades.iter().enumerate().map(|(i, g)| h.observe(&verdict(start + i as u32, *g), &p).to).collect()
    }

    use VenueStatus::{Degraded as D, Halted as X, Healthy as H};

    #[test]
    fn one_bad_window_degrades_a_run_halts_and_a_run_of_good_ones_recovers() {
        let mut h = VenueHealth::new("XNYS");
        assert_eq!(run(&mut h, &[0.0, 0.3, 0.4, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]), [H, D, D, X, X, X, X, X, H]);
    }

    #[test]
    fn a_flickering_venue_does_not_flap_back_to_healthy() {
        let mut h = VenueHealth::new("XNYS");
        // Bad, then good windows interrupted by a bad one before the run of five completes.
        let states = run(&mut h, &[0.3, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(states, [D, D, D, D, D, D, D, D, D, D, H]);
    }

    #[test]
    fn a_window_far_above_the_threshold_halts_at_once() {
        let mut h = VenueHealth::new("ARCX");
        assert_eq!(run(&mut h, &[0.95]), [X]);
        assert_eq!(h.since, Some(at(0)));
    }

    #[test]
    fn a_redelivered_or_older_window_changes_nothing() {
        let mut h = VenueHealth::new("XNYS");
        let p = HealthPolicy::default();
        h.observe(&verdict(5, 0.3), &p);
        let before = h.clone();
        let t = h.observe(&verdict(5, 0.3), &p);
        assert_eq!(t.action, Action::Stale);
        assert_eq!(h.observe(&verdict(4, 0.95), &p).action, Action::Stale);
        assert_eq!(h, before);
    }

    #[test]
    fn an_operator_override_wins_until_lifted_and_the_detector_keeps_its_view() {
        let mut h = VenueHealth::new("XNYS");
        let o = Override { status: X, by: "ops-7".into(), reason: "venue notice".into(), at: at(0) };
        assert_eq!(h.set_override(Some(o)), Transition { from: H, to: X, action: Action::Halt });
        assert_eq!(run(&mut h, &[0.0; 6]), [X; 6]);
        assert_eq!(h.detected, H);
        assert_eq!(h.set_override(None).to, H);
    }

    #[test]
    fn an_override_says_what_the_operator_thinks_of_the_detector_unless_told_otherwise() {
        let body = |extra: &str| format!(r#"{{"status": "healthy", "by": "ops-7", "reason": "venue fine"{extra}}}"#);
        let (o, v) = OverrideRequest::parse(body("").as_bytes(), at(0)).unwrap();
        assert_eq!((o.status, v), (H, VerdictRequest::Derived));
        // Resuming what the detector stopped, keeping it stopped, stopping what it missed.
        assert_eq!(v.label(X, H), Some(AnomalyLabel::FalsePositive));
        assert_eq!(v.label(D, H), Some(AnomalyLabel::FalsePositive));
        assert_eq!(v.label(D, X), Some(AnomalyLabel::TruePositive));
        assert_eq!(v.label(H, X), Some(AnomalyLabel::FalseNegative));
        assert_eq!(v.label(H, H), None);
        // An explicit verdict wins; "none" is a maintenance halt, not a judgement.
        let (_, v) = OverrideRequest::parse(body(r#", "verdict": "none""#).as_bytes(), at(0)).unwrap();
        assert_eq!(v.label(H, X), None);
        let (_, v) = OverrideRequest::parse(body(r#", "verdict": "true_positive""#).as_bytes(), at(0)).unwrap();
        assert_eq!(v.label(X, H), Some(AnomalyLabel::TruePositive));
        let e = OverrideRequest::parse(body(r#", "verdict": "maybe""#).as_bytes(), at(0)).unwrap_err();
        assert_eq!((e.status, e.code), (400, "INVALID_VERDICT"));
        let e = OverrideRequest::parse(body(r#", "verdict": 3"#).as_bytes(), at(0)).unwrap_err();
        assert_eq!(e.code, "INVALID_OVERRIDE");
    }

    #[test]
    fn routing_follows_health_alternatives_and_the_accounts_rules() {
        let status = |v: &str| match v {
            "XNYS" => X,
            "ARCX" => D,
            "BATS" => H,
            "XNAS" => X,
            _ => H,
        };
        let send = |v: &str, from: Option<&str>| Route::Send { venue: v.into(), rerouted_from: from.map(Into::into) };
        assert_eq!(route("BATS", status, None, true), send("BATS", None));
        // Degraded: to the healthy alternative when allowed, else still to the venue.
        assert_eq!(route("ARCX", status, Some("BATS"), true), send("BATS", Some("ARCX")));
        assert_eq!(route("ARCX", status, Some("BATS"), false), send("ARCX", None));
        // Halted: the alternative is halted too, or the order may not move: held.
        assert!(matches!(route("XNYS", status, Some("XNAS"), true), Route::Hold { .. }));
        assert!(matches!(route("XNYS", status, None, true), Route::Hold { .. }));
        assert!(matches!(
            route("XNAS", |v: &str| if v == "XNAS" { X } else { H }, Some("XNYS"), false),
            Route::Hold { .. }
        ));
        assert_eq!(
            route("XNAS", |v: &str| if v == "XNAS" { X } else { H }, Some("XNYS"), true),
            send("XNYS", Some("XNAS"))
        );
    }
}
