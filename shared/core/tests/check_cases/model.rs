#[allow(unused_imports)]
use crate::*;

fn with_reason(t: ProposedTrade, reason: TradeReason) -> ProposedTrade {
    ProposedTrade { reason, ..t }
}

/// `sub` (a new ETF at `price`) is an approved substitute for `of`.
fn substitute(s: &mut Scenario, of: &str, sub: &str, price: &str) {
    s.book.add(sub, SecurityKind::Etf, price);
    s.book.substitutes.entry(of.into()).or_default().push(sub.into());
}

fn recent(security: &str, side: Side, on: &str) -> RecentTrade {
    RecentTrade {
        security: security.into(),
        side,
        quantity: dec("5"),
        trade_date: date(on),
        realized_gain: Decimal::ZERO,
        price: None,
        paid_with_unsettled: false,
    }
}

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
        case(
            "MODEL.INVALID_MODEL",
            |_| {},
            |s| s.account.model = "NOPE".into(),
            "account CHK-1's model cannot be used (model NOPE does not exist): the buy of BBB cannot be checked against it",
        ),
        case(
            "MODEL.BUY_ABOVE_BAND",
            |s| s.trade = buy("AAA", "100", "100"),
            |s| s.trade = buy("AAA", "150", "100"),
            "AAA would be 70% of the account after this batch, above its 50% target plus the 12.5% band",
        ),
        case(
            "MODEL.SELL_BELOW_BAND",
            |s| s.trade = sell("AAA", "10", "100"),
            |s| s.trade = sell("AAA", "20", "100"),
            "AAA would be 36% of the account after this batch, below its 50% target minus the 12.5% band",
        ),
        case(
            "MODEL.OVERSHOOT",
            |s| s.trade = buy("AAA", "80", "100"),
            |s| s.trade = buy("AAA", "110", "100"),
            "the buy of AAA takes it from 40% to 62%, past its 50% target: it ends further from the target than it started",
        ),
        case(
            "MODEL.SELL_OFF_MODEL_UNDER_HOLD",
            |s| {
                s.account.off_model_policy = OffModelPolicy::Hold;
                hold(&mut s.account, "OFF", &[("100", "8", "2021-03-01")]);
                s.trade = sell("AAA", "10", "100");
            },
            |s| s.trade = sell("OFF", "50", "10"),
            "OFF is held outside model M and the account's off-model policy is hold: selling it needs the client's instruction",
        ),
        case(
            "MODEL.TURNOVER",
            |s| s.overrides.push(set("MODEL.TURNOVER", "max_turnover", "0.10")),
            |s| {
                s.trade = sell("AAA", "100", "100");
                s.others.push(buy("BBB", "160", "50"));
            },
            "the batch buys 8000 and sells 10000: a turnover of 16% of the account's 50000 (limit 10%)",
        ),
        case(
            "MODEL.MODEL_HOLDING_CLOSED",
            |s| s.trade = sell("AAA", "10", "100"),
            |s| s.trade = sell("AAA", "200", "100"),
            "the sale closes AAA entirely although model M holds it at 50%",
        ),
        case(
            "MODEL.SUBSTITUTE_WHILE_PRIMARY_BUYABLE",
            |s| {
                substitute(s, "AAA", "AAS", "100");
                s.book.get("AAA").restricted = true;
                s.trade = buy("AAS", "10", "100");
            },
            |s| s.book.get("AAA").restricted = false,
            "AAS is bought as a substitute for AAA of model M, but AAA itself can be bought",
        ),
        case(
            "MODEL.HARVEST_WITHOUT_REPLACEMENT",
            |s| {
                substitute(s, "AAA", "AAS", "100");
                s.trade = with_reason(sell("AAA", "10", "100"), TradeReason::TaxLossHarvest);
                s.others.push(with_reason(buy("AAS", "10", "100"), TradeReason::HarvestReplacement));
            },
            |s| s.others.clear(),
            "tax-loss harvest sale of AAA has no replacement buy in this batch: its exposure would sit in cash through the 31-day wash-sale window",
        ),
        case(
            "MODEL.ROUND_TRIP",
            |s| s.account.recent_trades.push(recent("BBB", Side::Sell, "2026-10-01")),
            |s| s.account.recent_trades.push(recent("BBB", Side::Sell, "2026-11-17")),
            "buying BBB 10 days after selling it on 2026-11-17: in-and-out trading within 30 days",
        ),
        case(
            "MODEL.REASON_INCONSISTENT",
            |_| {},
            |s| s.trade.reason = TradeReason::CashRaise,
            "the buy of BBB gives the reason cash_raise, which only a sale can have",
        ),
        case(
            "MODEL.PRIMARY_AND_SUBSTITUTE_BOUGHT",
            |s| {
                substitute(s, "BBB", "BBS", "50");
                s.others.push(buy("AAA", "10", "100"));
            },
            |s| s.others.push(buy("BBS", "10", "50")),
            "BBB and its substitute BBS are both bought in this batch: the 48% model slot would be filled twice",
        ),
        case(
            "MODEL.SHARE_EXCEEDS_BAND",
            |s| {
                s.book.add("TNY", SecurityKind::Etf, "1500");
                let m = &mut s.book.models[0];
                m.holdings[1].weight = dec("0.46");
                m.holdings.push(ModelHolding { security: "TNY".into(), weight: dec("0.02") });
                s.trade = buy("TNY", "1", "1500");
            },
            |s| {
                s.book.prices.iter_mut().find(|p| p.0 == "TNY").expect("priced").1 = dec("2500");
                s.trade = buy("TNY", "1", "2500");
            },
            "one share of TNY at 2500 is worth more than its 2% target plus band (2000.00) in this account: it is too small to hold the position in whole shares",
        ),
    ]
}
