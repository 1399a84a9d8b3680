//! What a run did, in numbers: tallied per chunk by the workers, merged in chunk order by
//! the writer (so sums are deterministic), printed as a table and saved as summary.json.

use std::collections::BTreeMap;
use std::fmt;

use ballast_core::checks::{CheckOutcome, Severity};
use ballast_core::{AccountOutcome, AccountResult, EngineException, Side, TradeReason};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Counts and sums of a set of accounts; merged chunk by chunk.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub accounts: u64,
    pub rebalanced: u64,
    pub no_trades_needed: u64,
    pub skipped: u64,
    pub invalid: u64,
    /// Accounts whose rebalance failed (the engine panicked).
    pub errors: u64,
    pub malformed_lines: u64,
    pub buys: u64,
    pub sells: u64,
    pub by_reason: BTreeMap<&'static str, u64>,
    pub bought: Decimal,
    pub sold: Decimal,
    /// Accounts evaluated against their model (rebalanced or no trades needed).
    pub evaluated: u64,
    pub turnover: f64,
    pub drift_before_total: f64,
    pub drift_before_max: f64,
    pub drift_after_total: f64,
    pub drift_after_max: f64,
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    pub estimated_tax: Decimal,
    /// Every exception, by code.
    pub exceptions: BTreeMap<String, CodeTally>,
    /// Why accounts were skipped or invalid: (outcome, code).
    pub not_rebalanced: BTreeMap<(&'static str, String), CodeTally>,
    /// Proposed trades run through the pre-trade checks, and those blocked or warned.
    pub trades_checked: u64,
    pub trades_blocked: u64,
    pub trades_warned: u64,
    /// Per check id: trades it blocked, trades it warned on, and one example reason.
    pub checks: BTreeMap<&'static str, CheckTally>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CheckTally {
    pub blocked: u64,
    pub warned: u64,
    pub example: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CodeTally {
    pub count: u64,
    /// The first message seen, in book order.
    pub example: String,
}

/// Decimal sums saturate instead of panicking on absurd input amounts.
fn add(to: &mut Decimal, x: Decimal) {
    *to = to.checked_add(x).unwrap_or(if x.is_sign_negative() { Decimal::MIN } else { Decimal::MAX });
}

fn count_code(map: &mut BTreeMap<String, CodeTally>, code: &str, message: &str) {
    match map.get_mut(code) {
        Some(t) => t.count += 1,
        None => {
            map.insert(code.to_string(), CodeTally { count: 1, example: message.to_string() });
        }
    }
}

impl Tally {
    /// Counts one proposed trade's check outcomes.
    pub fn record_checks(&mut self, outcomes: &[CheckOutcome], blocked: bool) {
        self.trades_checked += 1;
        if blocked {
            self.trades_blocked += 1;
        } else if outcomes.iter().any(|o| o.severity == Severity::Warn) {
            self.trades_warned += 1;
        }
        for o in outcomes {
            let t = self
                .checks
                .entry(o.id)
                .or_insert_with(|| CheckTally { example: o.reason.clone(), ..Default::default() });
            match o.severity {
                Severity::Block => t.blocked += 1,
                Severity::Warn => t.warned += 1,
                Severity::Info => {}
            }
        }
    }

    pub fn record(&mut self, r: &AccountResult) {
        self.accounts += 1;
        let outcome = match r.outcome {
            AccountOutcome::Rebalanced => {
                self.rebalanced += 1;
                None
            }
            AccountOutcome::NoTradesNeeded => {
                self.no_trades_needed += 1;
                None
            }
            AccountOutcome::Skipped => {
                self.skipped += 1;
                Some("skipped")
            }
            AccountOutcome::Invalid => {
                self.invalid += 1;
                Some("invalid")
            }
        };
        match outcome {
            None => {
                self.evaluated += 1;
                self.turnover += finite(r.turnover);
                self.drift_before_total += finite(r.drift_before.total);
                self.drift_before_max += finite(r.drift_before.max);
                self.drift_after_total += finite(r.drift_after.total);
                self.drift_after_max += finite(r.drift_after.max);
            }
            Some(o) => {
                for e in &r.exceptions {
                    self.count_not_rebalanced(o, &e.code, &e.message);
                }
            }
        }
        for t in &r.trades {
            match t.side {
                Side::Buy => self.buys += 1,
                Side::Sell => self.sells += 1,
            }
            *self.by_reason.entry(reason_str(t.reason)).or_default() += 1;
        }
        add(&mut self.bought, r.bought);
        add(&mut self.sold, r.sold);
        add(&mut self.short_term_gain, r.short_term_gain);
        add(&mut self.long_term_gain, r.long_term_gain);
        add(&mut self.estimated_tax, r.estimated_tax);
        for e in &r.exceptions {
            count_code(&mut self.exceptions, &e.code, &e.message);
        }
    }

    /// An input line that is not an account, or an account the engine failed on.
    pub fn record_failure(&mut self, outcome: &'static str, e: &EngineException) {
        self.accounts += 1;
        match outcome {
            "error" => self.errors += 1,
            _ => {
                self.invalid += 1;
                if e.code == "malformed_json" {
                    self.malformed_lines += 1;
                }
            }
        }
        self.count_not_rebalanced(outcome, &e.code, &e.message);
        count_code(&mut self.exceptions, &e.code, &e.message);
    }

    fn count_not_rebalanced(&mut self, outcome: &'static str, code: &str, message: &str) {
        match self.not_rebalanced.get_mut(&(outcome, code.to_string())) {
            Some(t) => t.count += 1,
            None => {
                self.not_rebalanced
                    .insert((outcome, code.to_string()), CodeTally { count: 1, example: message.to_string() });
            }
        }
    }

    /// Adds a later chunk's tally; examples already seen are kept (first in book order).
    pub fn merge(&mut self, o: Tally) {
        self.accounts += o.accounts;
        self.trades_checked += o.trades_checked;
        self.trades_blocked += o.trades_blocked;
        self.trades_warned += o.trades_warned;
        for (id, c) in o.checks {
            let t = self
                .checks
                .entry(id)
                .or_insert_with(|| CheckTally { example: c.example.clone(), ..Default::default() });
            t.blocked += c.blocked;
            t.warned += c.warned;
        }
        self.rebalanced += o.rebalanced;
        self.no_trades_needed += o.no_trades_needed;
        self.skipped += o.skipped;
        self.invalid += o.invalid;
        self.errors += o.errors;
        self.malformed_lines += o.malformed_lines;
        self.buys += o.buys;
        self.sells += o.sells;
        for (k, v) in o.by_reason {
            *self.by_reason.entry(k).or_default() += v;
        }
        add(&mut self.bought, o.bought);
        add(&mut self.sold, o.sold);
        self.evaluated += o.evaluated;
        self.turnover += o.turnover;
        self.drift_before_total += o.drift_before_total;
        self.drift_before_max += o.drift_before_max;
        self.drift_after_total += o.drift_after_total;
        self.drift_after_max += o.drift_after_max;
        add(&mut self.short_term_gain, o.short_term_gain);
        add(&mut self.long_term_gain, o.long_term_gain);
        add(&mut self.estimated_tax, o.estimated_tax);
        for (k, v) in o.exceptions {
            self.exceptions.entry(k).or_insert_with(|| CodeTally { count: 0, example: v.example }).count += v.count;
        }
        for (k, v) in o.not_rebalanced {
            self.not_rebalanced.entry(k).or_insert_with(|| CodeTally { count: 0, example: v.example }).count += v.count;
        }
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

fn reason_str(r: TradeReason) -> &'static str {
    r.as_str()
}

/// Accounts by outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountCounts {
    pub total: u64,
    pub rebalanced: u64,
    pub no_trades_needed: u64,
    pub skipped: u64,
    pub invalid: u64,
    /// The engine failed on the account (a bug, reported rather than stopping the run).
    pub errors: u64,
}

/// How many times a code came up, with the first message seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeCount {
    pub code: String,
    pub count: u64,
    pub example: String,
}

/// Why accounts were not rebalanced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub outcome: String,
    pub code: String,
    pub count: u64,
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradeCounts {
    pub total: u64,
    pub buys: u64,
    pub sells: u64,
    pub by_reason: BTreeMap<String, u64>,
}

/// Averages over the accounts evaluated against their model, in percent of account value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftSummary {
    pub accounts: u64,
    pub total_before_pct: f64,
    pub total_after_pct: f64,
    pub max_before_pct: f64,
    pub max_after_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaxSummary {
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    pub estimated_tax: Decimal,
}

/// What the pre-trade checks did to the proposed trades.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecksSummary {
    pub trades_checked: u64,
    /// Never written as orders; listed in blocked.jsonl with their reasons.
    pub trades_blocked: u64,
    pub trades_warned: u64,
    /// Per check id, most blocks first.
    pub by_check: Vec<CheckCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCount {
    pub id: String,
    pub blocked: u64,
    pub warned: u64,
    pub example: String,
}

/// The result of a run, as printed and as written to summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// "generated (seed 42)" or the accounts file read.
    pub book: String,
    pub mode: String,
    pub accounts: AccountCounts,
    /// Top reasons accounts were skipped or invalid, most frequent first.
    pub not_rebalanced: Vec<ReasonCount>,
    /// Accounts-file lines that were not an account (malformed or truncated JSON).
    pub malformed_lines: u64,
    /// Problems found in the reference data (bad models, prices); the accounts they touch
    /// are reported as invalid.
    pub reference_problems: u64,
    pub trades: TradeCounts,
    pub dollars_bought: Decimal,
    pub dollars_sold: Decimal,
    /// Average of (bought + sold) / 2 / value over evaluated accounts, in percent.
    pub average_turnover_pct: f64,
    pub drift: DriftSummary,
    pub realized: TaxSummary,
    /// Every exception by code, most frequent first.
    pub exceptions_by_code: Vec<CodeCount>,
    pub checks: ChecksSummary,
    pub wall_time_secs: f64,
    pub accounts_per_second: f64,
    /// Peak resident memory (VmHWM), when the platform reports it.
    pub peak_memory_mib: Option<f64>,
    pub output_dir: String,
}

impl Summary {
    pub(crate) fn from_tally(
        t: Tally,
        book: String,
        mode: String,
        reference_problems: u64,
        wall: f64,
        output_dir: String,
    ) -> Summary {
        let n = t.evaluated.max(1) as f64;
        let pct = |x: f64| if t.evaluated == 0 { 0.0 } else { 100.0 * x / n };
        let mut not_rebalanced: Vec<ReasonCount> = t
            .not_rebalanced
            .into_iter()
            .map(|((outcome, code), c)| ReasonCount {
                outcome: outcome.to_string(),
                code,
                count: c.count,
                example: c.example,
            })
            .collect();
        not_rebalanced.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        let mut exceptions_by_code: Vec<CodeCount> =
            t.exceptions.into_iter().map(|(code, c)| CodeCount { code, count: c.count, example: c.example }).collect();
        exceptions_by_code.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        let mut by_check: Vec<CheckCount> = t
            .checks
            .into_iter()
            .map(|(id, c)| CheckCount { id: id.to_string(), blocked: c.blocked, warned: c.warned, example: c.example })
            .collect();
        by_check.sort_by(|a, b| (b.blocked, b.warned).cmp(&(a.blocked, a.warned)).then_with(|| a.id.cmp(&b.id)));
        let checks = ChecksSummary {
            trades_checked: t.trades_checked,
            trades_blocked: t.trades_blocked,
            trades_warned: t.trades_warned,
            by_check,
        };
        Summary {
            book,
            mode,
            accounts: AccountCounts {
                total: t.accounts,
                rebalanced: t.rebalanced,
                no_trades_needed: t.no_trades_needed,
                skipped: t.skipped,
                invalid: t.invalid,
                errors: t.errors,
            },
            not_rebalanced,
            malformed_lines: t.malformed_lines,
            reference_problems,
            trades: TradeCounts {
                total: t.buys + t.sells,
                buys: t.buys,
                sells: t.sells,
                by_reason: t.by_reason.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            },
            dollars_bought: t.bought.round_dp(2),
            dollars_sold: t.sold.round_dp(2),
            average_turnover_pct: pct(t.turnover),
            drift: DriftSummary {
                accounts: t.evaluated,
                total_before_pct: pct(t.drift_before_total),
                total_after_pct: pct(t.drift_after_total),
                max_before_pct: pct(t.drift_before_max),
                max_after_pct: pct(t.drift_after_max),
            },
            realized: TaxSummary {
                short_term_gain: t.short_term_gain.round_dp(2),
                long_term_gain: t.long_term_gain.round_dp(2),
                estimated_tax: t.estimated_tax.round_dp(2),
            },
            exceptions_by_code,
            checks,
            wall_time_secs: wall,
            accounts_per_second: if wall > 0.0 { t.accounts as f64 / wall } else { 0.0 },
            peak_memory_mib: peak_memory_mib(),
            output_dir,
        }
    }
}

/// Peak resident set size of this process, from /proc/self/status (Linux only).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// 1234567 -> "1,234,567".
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    // Digits before the first separator, then groups of three.
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    for (i, c) in digits.chars().enumerate() {
        if i >= head && (i - head) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whole dollars with separators: "$1,234,567" or "-$12".
fn dollars(d: Decimal) -> String {
    let whole = d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let negative = whole.is_sign_negative() && !whole.is_zero();
    let digits = whole.abs().to_string();
    let n: Option<u64> = digits.parse().ok();
    let body = match n {
        Some(n) => grouped(n),
        None => digits,
    };
    if negative {
        format!("-${body}")
    } else {
        format!("${body}")
    }
}

fn share(part: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        format!("({:.1} %)", 100.0 * part as f64 / total as f64)
    }
}

/// Messages are cut for the table; summary.json keeps them whole.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.accounts;
        writeln!(f, "Ballast rebalance: {} mode, {}", self.mode, self.book)?;
        writeln!(f)?;
        writeln!(f, "Accounts                {:>14}", grouped(a.total))?;
        writeln!(f, "  rebalanced            {:>14}  {}", grouped(a.rebalanced), share(a.rebalanced, a.total))?;
        writeln!(
            f,
            "  no trades needed      {:>14}  {}",
            grouped(a.no_trades_needed),
            share(a.no_trades_needed, a.total)
        )?;
        writeln!(f, "  skipped               {:>14}  {}", grouped(a.skipped), share(a.skipped, a.total))?;
        writeln!(f, "  invalid               {:>14}  {}", grouped(a.invalid), share(a.invalid, a.total))?;
        if a.errors > 0 {
            writeln!(f, "  engine errors         {:>14}  {}", grouped(a.errors), share(a.errors, a.total))?;
        }
        if !self.not_rebalanced.is_empty() {
            writeln!(f, "  top reasons not rebalanced:")?;
            for r in self.not_rebalanced.iter().take(8) {
                writeln!(
                    f,
                    "    {:<8} {:<28} {:>10}  e.g. {}",
                    r.outcome,
                    r.code,
                    grouped(r.count),
                    clip(&r.example, 90)
                )?;
            }
        }
        if self.malformed_lines > 0 {
            writeln!(f, "  malformed input lines {:>14}", grouped(self.malformed_lines))?;
        }
        if self.reference_problems > 0 {
            writeln!(f, "  reference problems    {:>14}  (see exceptions.jsonl)", grouped(self.reference_problems))?;
        }
        writeln!(f)?;
        let t = &self.trades;
        writeln!(f, "Trades                  {:>14}", grouped(t.total))?;
        writeln!(f, "  buys                  {:>14}", grouped(t.buys))?;
        writeln!(f, "  sells                 {:>14}", grouped(t.sells))?;
        for (reason, n) in &t.by_reason {
            writeln!(f, "  {:<22}{:>14}", reason.replace('_', " "), grouped(*n))?;
        }
        writeln!(f, "Bought                  {:>14}", dollars(self.dollars_bought))?;
        writeln!(f, "Sold                    {:>14}", dollars(self.dollars_sold))?;
        writeln!(f, "Average turnover        {:>13.2} %", self.average_turnover_pct)?;
        let d = &self.drift;
        writeln!(
            f,
            "Drift, total            {:>6.2} % -> {:.2} %   (average over {} evaluated accounts)",
            d.total_before_pct,
            d.total_after_pct,
            grouped(d.accounts)
        )?;
        writeln!(f, "Drift, largest holding  {:>6.2} % -> {:.2} %", d.max_before_pct, d.max_after_pct)?;
        writeln!(f)?;
        writeln!(f, "Realized gains (est.)")?;
        writeln!(f, "  short-term            {:>14}", dollars(self.realized.short_term_gain))?;
        writeln!(f, "  long-term             {:>14}", dollars(self.realized.long_term_gain))?;
        writeln!(f, "  estimated tax         {:>14}", dollars(self.realized.estimated_tax))?;
        if !self.exceptions_by_code.is_empty() {
            writeln!(f)?;
            writeln!(f, "Exceptions by code")?;
            for c in &self.exceptions_by_code {
                writeln!(f, "  {:<30} {:>10}", c.code, grouped(c.count))?;
            }
        }
        let c = &self.checks;
        writeln!(f)?;
        writeln!(
            f,
            "Pre-trade checks        {} trades checked: {} blocked, {} with warnings",
            grouped(c.trades_checked),
            grouped(c.trades_blocked),
            grouped(c.trades_warned)
        )?;
        for k in &c.by_check {
            writeln!(
                f,
                "  {:<34} {:>8} blocked {:>8} warned  e.g. {}",
                k.id,
                grouped(k.blocked),
                grouped(k.warned),
                clip(&k.example, 70)
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Wall time               {:>12.2} s", self.wall_time_secs)?;
        writeln!(f, "Accounts per second     {:>14}", grouped(self.accounts_per_second.round() as u64))?;
        match self.peak_memory_mib {
            Some(m) => writeln!(f, "Peak memory             {:>10.1} MiB", m)?,
            None => writeln!(f, "Peak memory             {:>14}", "n/a")?,
        }
        write!(
            f,
            "Output                  {}/{{trades.csv, trades.jsonl, blocked.jsonl, exceptions.jsonl, summary.json}}",
            self.output_dir
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(dollars(Decimal::new(123456789, 2)), "$1,234,568");
        assert_eq!(dollars(Decimal::new(-1250, 2)), "-$13");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn merging_keeps_the_first_example() {
        let mut a = Tally::default();
        a.record_failure("invalid", &EngineException::new("malformed_json", "line 3"));
        let mut b = Tally::default();
        b.record_failure("invalid", &EngineException::new("malformed_json", "line 9"));
        a.merge(b);
        assert_eq!(a.exceptions["malformed_json"].count, 2);
        assert_eq!(a.exceptions["malformed_json"].example, "line 3");
        assert_eq!(a.invalid, 2);
        assert_eq!(a.malformed_lines, 2);
    }
}
