//! The wash-sale window (IRC §1091): a loss is disallowed when a substantially identical
//! security is bought within 30 days before or after the sale. The rebalancer (which must
//! not create wash sales) and the pre-trade checks (which must catch them) read the
//! account's recent activity through this one scan.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::account::Account;
use crate::book::{Reference, SecIdx};
use crate::trade::Side;

/// Days either side of a loss sale in which a purchase makes it a wash sale.
pub const WASH_WINDOW_DAYS: u64 = 30;

/// The first day of the window that ends on `trade_date`.
pub fn window_start(trade_date: NaiveDate) -> NaiveDate {
    trade_date.checked_sub_days(Days::new(WASH_WINDOW_DAYS)).unwrap_or(NaiveDate::MIN)
}

/// Loss sales and purchases of the account inside the window, by wash-sale group.
#[derive(Debug, Clone, Default)]
pub struct WashActivity {
    /// (group, index into `account.recent_trades`) of each sale at a loss.
    pub loss_sales: Vec<(u32, usize)>,
    /// (group, date) of each purchase: recorded buys and lots acquired in the window.
    pub purchases: Vec<(u32, NaiveDate)>,
}

impl WashActivity {
    /// Scans recent trades and lot dates; `securities` are the reference indices of the
    /// account's positions, in position order.
    pub fn scan(reference: &Reference, account: &Account, securities: &[SecIdx]) -> Self {
        let trade_date = reference.trade_date;
        let start = window_start(trade_date);
        let mut activity = WashActivity::default();
        for (k, t) in account.recent_trades.iter().enumerate() {
            if t.trade_date < start || t.trade_date > trade_date {
                continue;
            }
            let Some(i) = reference.security_index(&t.security) else { continue };
            let g = reference.wash_group(i);
            match t.side {
                Side::Sell if t.realized_gain < Decimal::ZERO => activity.loss_sales.push((g, k)),
                Side::Buy => activity.purchases.push((g, t.trade_date)),
                Side::Sell => {}
            }
        }
        for (p, &i) in account.positions.iter().zip(securities) {
            if let Some(d) = p.lots.iter().map(|l| l.acquired).filter(|&d| d >= start).max() {
                activity.purchases.push((reference.wash_group(i), d));
            }
        }
        activity
    }

    /// The latest purchase of the group in the window.
    pub fn last_purchase(&self, group: u32) -> Option<NaiveDate> {
        self.purchases.iter().filter(|p| p.0 == group).map(|p| p.1).max()
    }

    /// The first recorded loss sale of the group in the window (index into recent trades).
    pub fn loss_sale(&self, group: u32) -> Option<usize> {
        self.loss_sales.iter().find(|s| s.0 == group).map(|s| s.1)
    }
}
