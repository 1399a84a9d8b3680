#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "MODEL.BUY_OFF_MODEL",
            |_| {},
            |s| s.trade = buy("OFF", "10", "10"),
            "OFF is not in model M nor a substitute for one of its holdings",
        ),
        case(
            "MODEL.TRADE_AGAINST_DRIFT",
            |_| {},
            |s| s.trade = sell("BBB", "10", "50"),
            "sell BBB while it is at 20.00% against a target of 48.00%",
        ),
        case(
            "MODEL.CHURN",
            |_| {},
            |s| {
                for k in 0..21 {
                    s.account.recent_trades.push(RecentTrade {
                        security: "OFF".into(),
                        side: Side::Sell,
                        quantity: dec("1"),
                        trade_date: date("2026-11-01") + chrono::Days::new(k),
                        realized_gain: Decimal::ZERO,
                        price: None,
                        paid_with_unsettled: false,
                    });
                }
            },
            "account CHK-1 already traded 21 times in the last 30 days (limit 20)",
        ),
    ]
}
