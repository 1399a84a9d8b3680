//! Output lines: trades as CSV and JSON lines, and exception lines, written straight into
//! a chunk's byte buffers (Decimal's Display, no intermediate Strings on the hot path).

use std::io::Write;

use ballast_core::checks::CheckOutcome;
use ballast_core::{AccountOutcome, EngineException, ProposedTrade};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// The header of trades.csv.
pub const CSV_HEADER: &str = "account,security,side,quantity,price,amount,reason,short_term_gain,long_term_gain,lots\n";

/// Appends one CSV row. The `lots` column lists the lots a sale relieves as
/// `acquired:quantity@cost_basis`, separated by `;`.
pub fn csv_row(out: &mut Vec<u8>, t: &ProposedTrade) {
    csv_field(out, &t.account);
    out.push(b',');
    csv_field(out, &t.security);
    out.push(b',');
    out.extend_from_slice(t.side.as_str().as_bytes());
    // Writing into a Vec cannot fail.
    let _ = write!(out, ",{},{},{},", t.quantity, t.price, t.amount);
    out.extend_from_slice(t.reason.as_str().as_bytes());
    let _ = write!(out, ",{},{},", t.short_term_gain, t.long_term_gain);
    for (k, lot) in t.lots.iter().enumerate() {
        if k > 0 {
            out.push(b';');
        }
        date(out, lot.acquired);
        let _ = write!(out, ":{}@{}", lot.quantity, lot.cost_basis);
    }
    out.push(b'\n');
}

/// Appends one trade as a JSON line (the serde form of `ProposedTrade`, with every lot).
pub fn json_line(out: &mut Vec<u8>, t: &ProposedTrade) {
    if serde_json::to_writer(&mut *out, t).is_ok() {
        out.push(b'\n');
    }
}

/// One line of blocked.jsonl: a proposed trade the pre-trade checks stopped, and why.
pub fn blocked_line(out: &mut Vec<u8>, t: &ProposedTrade, outcomes: &[CheckOutcome]) {
    #[derive(Serialize)]
    struct Blocked<'a> {
        trade: &'a ProposedTrade,
        checks: &'a [CheckOutcome],
    }
    if serde_json::to_writer(&mut *out, &Blocked { trade: t, checks: outcomes }).is_ok() {
        out.push(b'\n');
    }
}

/// One line of exceptions.jsonl.
#[derive(Debug, Serialize)]
pub struct ExceptionLine<'a> {
    /// The account id; absent for reference problems and for lines too broken to name one.
    pub account: Option<&'a str>,
    /// 1-based line of the accounts file, for file input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// rebalanced, no_trades_needed, skipped, invalid, error (the engine failed), or
    /// reference (a problem in the reference file).
    pub outcome: &'a str,
    /// The first exception's code and message, for grep and spreadsheets…
    pub code: &'a str,
    pub message: &'a str,
    /// …and every exception of the account.
    pub exceptions: &'a [EngineException],
}

pub fn exception_line(out: &mut Vec<u8>, line: &ExceptionLine<'_>) {
    if serde_json::to_writer(&mut *out, line).is_ok() {
        out.push(b'\n');
    }
}

pub fn outcome_str(o: AccountOutcome) -> &'static str {
    match o {
        AccountOutcome::Rebalanced => "rebalanced",
        AccountOutcome::NoTradesNeeded => "no_trades_needed",
        AccountOutcome::Skipped => "skipped",
        AccountOutcome::Invalid => "invalid",
    }
}

/// A CSV field, quoted only when it must be (ids from a user's book may hold anything).
fn csv_field(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// `YYYY-MM-DD` without going through the formatter machinery.
fn date(out: &mut Vec<u8>, d: NaiveDate) {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        let _ = write!(out, "{d}");
        return;
    }
    let (y, m, day) = (y as u32, d.month(), d.day());
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (day / 10) as u8,
        b'0' + (day % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_core::{LotRelief, Side, Term, TradeReason};
    use rust_decimal::Decimal;

    fn sale() -> ProposedTrade {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        ProposedTrade {
            account: "ACC-1".into(),
            security: "VTI".into(),
            side: Side::Sell,
            quantity: Decimal::new(15, 0),
            price: Decimal::new(25000, 2),
            amount: Decimal::new(375000, 2),
            reason: TradeReason::Drift,
            lots: vec![
                LotRelief {
                    lot_id: "L1".into(),
                    acquired: d("2019-03-04"),
                    quantity: Decimal::new(12, 0),
                    cost_basis: Decimal::new(4510, 2),
                    proceeds: Decimal::new(300000, 2),
                    gain: Decimal::new(245880, 2),
                    term: Term::LongTerm,
                },
                LotRelief {
                    lot_id: "L2".into(),
                    acquired: d("2026-06-01"),
                    quantity: Decimal::new(3, 0),
                    cost_basis: Decimal::new(8000, 2),
                    proceeds: Decimal::new(75000, 2),
                    gain: Decimal::new(51000, 2),
                    term: Term::ShortTerm,
                },
            ],
            short_term_gain: Decimal::new(51000, 2),
            long_term_gain: Decimal::new(245880, 2),
        }
    }

    #[test]
    fn a_sale_row_lists_the_lots_it_relieves() {
        let mut out = Vec::new();
        csv_row(&mut out, &sale());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ACC-1,VTI,sell,15,250.00,3750.00,drift,510.00,2458.80,2019-03-04:12@45.10;2026-06-01:3@80.00\n"
        );
        assert_eq!(CSV_HEADER.split(',').count(), 10);
    }

    #[test]
    fn awkward_ids_are_quoted() {
        let mut t = sale();
        t.account = "ACC,\"7\"".into();
        t.lots.clear();
        let mut out = Vec::new();
        csv_row(&mut out, &t);
        assert!(String::from_utf8(out).unwrap().starts_with("\"ACC,\"\"7\"\"\",VTI,sell"));
    }

    #[test]
    fn a_json_line_carries_every_lot_and_reads_back() {
        let mut out = Vec::new();
        json_line(&mut out, &sale());
        assert_eq!(out.last(), Some(&b'\n'));
        let back: ProposedTrade = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, sale());
    }
}
