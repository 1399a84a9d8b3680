//! Output lines: trades as CSV and JSON lines, and exception lines, written straight into
//! a chunk's byte buffers (decimals and JSON written directly, no intermediate Strings on
//! the hot path).

use std::io::Write;

use ballast_core::checks::CheckOutcome;
use ballast_core::{AccountOutcome, EngineException, ProposedTrade, Term};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
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
    for d in [t.quantity, t.price, t.amount] {
        out.push(b',');
        decimal(out, d);
    }
    out.push(b',');
    out.extend_from_slice(t.reason.as_str().as_bytes());
    for d in [t.short_term_gain, t.long_term_gain] {
        out.push(b',');
        decimal(out, d);
    }
    out.push(b',');
    for (k, lot) in t.lots.iter().enumerate() {
        if k > 0 {
            out.push(b';');
        }
        date(out, lot.acquired);
        out.push(b':');
        decimal(out, lot.quantity);
        out.push(b'@');
        decimal(out, lot.cost_basis);
    }
    out.push(b'\n');
}

/// Appends one trade as a JSON line: the serde form of `ProposedTrade` with every lot,
/// byte for byte, written directly (the hot path of a million-account run; a test holds
/// it to serde's output).
pub fn json_line(out: &mut Vec<u8>, t: &ProposedTrade) {
    out.extend_from_slice(b"{\"account\":");
    json_str(out, &t.account);
    out.extend_from_slice(b",\"security\":");
    json_str(out, &t.security);
    out.extend_from_slice(b",\"side\":\"");
    out.extend_from_slice(t.side.as_str().as_bytes());
    json_decimal(out, "\",\"quantity\":", t.quantity);
    json_decimal(out, ",\"price\":", t.price);
    json_decimal(out, ",\"amount\":", t.amount);
    out.extend_from_slice(b",\"reason\":\"");
    out.extend_from_slice(t.reason.as_str().as_bytes());
    out.extend_from_slice(b"\",\"lots\":[");
    for (k, lot) in t.lots.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'{');
        if !lot.lot_id.is_empty() {
            out.extend_from_slice(b"\"lot_id\":");
            json_str(out, &lot.lot_id);
            out.push(b',');
        }
        out.extend_from_slice(b"\"acquired\":\"");
        date(out, lot.acquired);
        out.push(b'"');
        json_decimal(out, ",\"quantity\":", lot.quantity);
        json_decimal(out, ",\"cost_basis\":", lot.cost_basis);
        json_decimal(out, ",\"proceeds\":", lot.proceeds);
        json_decimal(out, ",\"gain\":", lot.gain);
        out.extend_from_slice(match lot.term {
            Term::ShortTerm => b",\"term\":\"short_term\"}",
            Term::LongTerm => b",\"term\":\"long_term\"}",
        });
    }
    out.push(b']');
    json_decimal(out, ",\"short_term_gain\":", t.short_term_gain);
    json_decimal(out, ",\"long_term_gain\":", t.long_term_gain);
    out.extend_from_slice(b"}\n");
}

/// `key` then the decimal as a JSON string (rust_decimal's serde form).
fn json_decimal(out: &mut Vec<u8>, key: &str, d: Decimal) {
    out.extend_from_slice(key.as_bytes());
    out.push(b'"');
    decimal(out, d);
    out.push(b'"');
}

/// A JSON string; ids without characters to escape (all of them, in practice) are copied.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Serializing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// A decimal exactly as its `Display` writes it (every digit of its scale), without the
/// formatter machinery: the mantissa's digits with the point inserted.
pub fn decimal(out: &mut Vec<u8>, d: Decimal) {
    let m = d.mantissa();
    let scale = d.scale() as usize;
    let mut buf = [0u8; 40];
    let mut at = buf.len();
    let mut u = m.unsigned_abs();
    // Most amounts fit in 64 bits, where division is cheap.
    if let Ok(mut v) = u64::try_from(u) {
        loop {
            at -= 1;
            buf[at] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
    } else {
        loop {
            at -= 1;
            buf[at] = b'0' + (u % 10) as u8;
            u /= 10;
            if u == 0 {
                break;
            }
        }
    }
    let digits = &buf[at..];
    // Display keeps the sign of a negative zero ("-0").
    if d.is_sign_negative() {
        out.push(b'-');
    }
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits);
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
    fn decimals_are_written_as_display_writes_them() {
        let mut values: Vec<Decimal> = [
            "0",
            "-0",
            "0.00",
            "1",
            "-1",
            "0.5",
            "-0.05",
            "0.000123",
            "123.450",
            "3750.00",
            "-1468.80",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "18446744073709551615",
            "18446744073709551616.5",
            "1e-10",
        ]
        .iter()
        .map(|s| s.parse::<Decimal>().or_else(|_| Decimal::from_scientific(s)).unwrap())
        .collect();
        values.push(-Decimal::ZERO);
        values.push(Decimal::new(-0, 3));
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = (x as i64) >> (x % 50);
            values.push(Decimal::new(m, (x % 19) as u32));
        }
        for d in values {
            let mut out = Vec::new();
            decimal(&mut out, d);
            assert_eq!(String::from_utf8(out).unwrap(), d.to_string(), "{d:?}");
        }
    }

    #[test]
    fn json_lines_are_byte_for_byte_what_serde_writes() {
        let mut trades = vec![sale()];
        let mut t = sale();
        t.account = "ACC \"7\"\\\n\u{1}é".into();
        t.security = "ÉTF/\u{7f}".into();
        t.lots[0].lot_id.clear();
        t.short_term_gain = -Decimal::new(5, 3);
        trades.push(t);
        let mut t = sale();
        t.side = Side::Buy;
        t.reason = TradeReason::CashDeploy;
        t.lots.clear();
        trades.push(t);
        for t in trades {
            let mut out = Vec::new();
            json_line(&mut out, &t);
            let mut expected = serde_json::to_vec(&t).unwrap();
            expected.push(b'\n');
            assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(expected).unwrap());
        }
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
