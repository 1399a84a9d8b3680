//! Proposed trades: what to buy or sell, why, and which tax lots a sale relieves.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// Why a trade exists. Every proposed trade carries exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeReason {
    /// Brings a holding back toward its model weight.
    Drift,
    /// Raises cash for a withdrawal, the cash target or the reserve.
    CashRaise,
    /// Invests cash above the model's cash target.
    CashDeploy,
    /// Realizes a loss for tax purposes.
    TaxLossHarvest,
    /// Buys the substitute that keeps the exposure of a harvested security.
    HarvestReplacement,
    /// Sells a holding that is not in the model (policy: sell).
    OffModel,
    /// Sells a holding the account must not hold.
    Restricted,
}

impl TradeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeReason::Drift => "drift",
            TradeReason::CashRaise => "cash_raise",
            TradeReason::CashDeploy => "cash_deploy",
            TradeReason::TaxLossHarvest => "tax_loss_harvest",
            TradeReason::HarvestReplacement => "harvest_replacement",
            TradeReason::OffModel => "off_model",
            TradeReason::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    ShortTerm,
    LongTerm,
}

impl Term {
    /// Long-term when sold after the one-year anniversary of the acquisition date.
    /// A lot bought on 29 February has its anniversary on 28 February of a common year.
    pub fn of_sale(acquired: NaiveDate, trade_date: NaiveDate) -> Term {
        HoldingPeriod::new(trade_date).term(acquired)
    }
}

/// The holding-period test for one trade date, set up once and applied to many lots.
///
/// Sold after the anniversary ⇔ (acquired year, month, day) < (trade year − 1, month, day),
/// with a 29 February acquisition counted as the 28th (the year after a leap year is
/// never a leap year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldingPeriod {
    cutoff: i64,
}

impl HoldingPeriod {
    pub fn new(trade_date: NaiveDate) -> Self {
        use chrono::Datelike;
        HoldingPeriod { cutoff: date_key(trade_date.year() - 1, trade_date.month(), trade_date.day()) }
    }

    pub fn term(&self, acquired: NaiveDate) -> Term {
        use chrono::Datelike;
        let (m, d) = (acquired.month(), acquired.day());
        let d = if m == 2 && d == 29 { 28 } else { d };
        if date_key(acquired.year(), m, d) < self.cutoff {
            Term::LongTerm
        } else {
            Term::ShortTerm
        }
    }
}

/// Orders (year, month, day) triples, valid dates or not.
fn date_key(year: i32, month: u32, day: u32) -> i64 {
    year as i64 * 512 + (month * 32 + day) as i64
}

/// The part of one tax lot a sale consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LotRelief {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lot_id: String,
    pub acquired: NaiveDate,
    pub quantity: Decimal,
    /// Cost basis per share.
    pub cost_basis: Decimal,
    pub proceeds: Decimal,
    pub gain: Decimal,
    pub term: Term,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedTrade {
    /// Shared by every trade of the account (one allocation per account, not per trade).
    pub account: std::sync::Arc<str>,
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    /// Reference price used for the estimate.
    pub price: Decimal,
    /// Estimated notional: quantity × price.
    pub amount: Decimal,
    pub reason: TradeReason,
    /// Lots relieved by a sale, in relief order; empty for buys.
    pub lots: Vec<LotRelief>,
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_sale_on_the_anniversary_is_still_short_term() {
        assert_eq!(Term::of_sale(d("2025-03-15"), d("2026-03-15")), Term::ShortTerm);
        assert_eq!(Term::of_sale(d("2025-03-15"), d("2026-03-16")), Term::LongTerm);
        assert_eq!(Term::of_sale(d("2024-02-29"), d("2025-02-28")), Term::ShortTerm);
        assert_eq!(Term::of_sale(d("2024-02-29"), d("2025-03-01")), Term::LongTerm);
        assert_eq!(Term::of_sale(d("2027-02-28"), d("2028-02-29")), Term::LongTerm);
        assert_eq!(Term::of_sale(d("2025-12-31"), d("2026-12-31")), Term::ShortTerm);
    }

    /// The fast test agrees with "trade date after acquisition + 12 months" (chrono clamps
    /// 29 February to the 28th) for every day of six years against 40 trade dates.
    #[test]
    fn holding_period_agrees_with_calendar_arithmetic() {
        let trade_dates: Vec<NaiveDate> = (0..40).map(|i| d("2026-01-01") + chrono::Days::new(i * 37)).collect();
        let mut acquired = d("2023-01-01");
        while acquired < d("2029-01-01") {
            let anniversary = acquired.checked_add_months(chrono::Months::new(12)).unwrap();
            for &t in &trade_dates {
                let expected = if t > anniversary { Term::LongTerm } else { Term::ShortTerm };
                assert_eq!(Term::of_sale(acquired, t), expected, "{acquired} sold {t}");
            }
            acquired = acquired.succ_opt().unwrap();
        }
    }
}
