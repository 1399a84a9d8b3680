#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "TAX.SHORT_TERM_GAIN_AVOIDED",
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm),
            |s| {
                s.account.tax.avoid_short_term_gains = true;
                s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::ShortTerm);
            },
            "sale of BBB realizes a short-term gain of 100 although the account avoids them",
        ),
        case(
            "TAX.WASH_SALE_BUY",
            |_| {},
            |s| {
                s.account.recent_trades.push(RecentTrade {
                    security: "BBB".into(),
                    side: Side::Sell,
                    quantity: dec("50"),
                    trade_date: date("2026-11-17"),
                    realized_gain: dec("-700"),
                    price: None,
                    paid_with_unsettled: false,
                })
            },
            "buying BBB within 30 days of the -700 loss sale of BBB on 2026-11-17 would be a wash sale",
        ),
        case(
            "TAX.GAIN_BUDGET",
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm),
            |s| {
                s.account.tax.gain_budget = Some(dec("500"));
                s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm);
                s.account.tax.realized_gains_ytd = dec("450");
            },
            "this sale's gain of 100 brings the year's realized gains to 550, above the budget of 500",
        ),
        case(
            "TAX.WASH_SALE_LOSS_SALE",
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm),
            |s| {
                s.trade = with_gain(sell("BBB", "10", "50"), "-100", Term::LongTerm);
                s.account.recent_trades.push(RecentTrade {
                    security: "BBB".into(),
                    side: Side::Buy,
                    quantity: dec("5"),
                    trade_date: date("2026-11-17"),
                    realized_gain: Decimal::ZERO,
                    price: None,
                    paid_with_unsettled: false,
                });
            },
            "selling BBB at a loss of -100 within 30 days of buying it on 2026-11-17 would be a wash sale",
        ),
        case(
            "TAX.LOSS_SALE_AND_REBUY_IN_BATCH",
            |_| {},
            |s| s.others.push(with_gain(sell("BBB", "4", "50"), "-40", Term::LongTerm)),
            "BBB is bought in the batch that sells it (or an identical security) at a loss",
        ),
        case(
            "TAX.LARGE_SHORT_TERM_GAIN",
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm),
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "20000", Term::ShortTerm),
            "sale of BBB realizes a short-term gain of 20000, above 10000",
        ),
    ]
}
