#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "CASH.NEGATIVE_BALANCE",
            |_| {},
            |s| s.account.cash = dec("100"),
            "the account's orders leave cash at -400 (cash now 100)",
        ),
        case(
            "CASH.RESERVE_BREACH",
            |_| {},
            |s| s.account.cash_reserve = dec("19800"),
            "leave cash at 19500, below its reserve of 19800",
        ),
        case(
            "CASH.GOOD_FAITH_VIOLATION",
            |s| {
                s.trade = sell("BBB", "10", "50");
                bought(s, "BBB", "2026-11-25", true);
            },
            |s| s.account.recent_trades[0].trade_date = date("2026-11-27"),
            "selling BBB bought on 2026-11-27 with unsettled proceeds before they settle on 2026-11-30 is a good-faith violation (0 already in the last 12 months)",
        ),
        case(
            "CASH.GOOD_FAITH_RESTRICTION",
            |s| {
                s.trade = sell("BBB", "10", "50");
                bought(s, "BBB", "2026-11-27", true);
                s.account.profile.good_faith_violations_12m = 1;
            },
            |s| s.account.profile.good_faith_violations_12m = 2,
            "would be good-faith violation number 3 in 12 months: the account would be restricted to settled cash for 90 days",
        ),
        case(
            "CASH.FREE_RIDING",
            |s| {
                s.trade = sell("BBB", "10", "50");
                bought(s, "BBB", "2026-11-27", false);
                s.account.recent_trades.push(RecentTrade {
                    security: "AAA".into(),
                    side: Side::Buy,
                    quantity: dec("2"),
                    trade_date: date("2026-11-27"),
                    realized_gain: Decimal::ZERO,
                    price: Some(dec("100")),
                    paid_with_unsettled: true,
                });
                s.account.profile.unsettled_cash = dec("20200");
            },
            |s| s.account.profile.unsettled_cash = dec("20700"),
            "selling BBB bought on 2026-11-27 before that purchase settles on 2026-11-30 is free-riding: settled cash is -700, leaving 500 of purchases unpaid",
        ),
        case(
            "CASH.SETTLED_CASH_ONLY",
            |s| {
                s.account.profile.settled_cash_only_until = Some(date("2027-01-15"));
                s.account.profile.unsettled_cash = dec("19000");
            },
            |s| s.account.profile.unsettled_cash = dec("19700"),
            "account CHK-1 may buy only with settled cash until 2027-01-15: the batch buys 500 (working buy orders 0) against settled cash of 300",
        ),
        case(
            "CASH.PENDING_BUYS_CONSUME_CASH",
            |s| s.account.profile.pending_orders.push(working(Side::Buy, "AAA", "1000")),
            |s| {
                s.account.profile.pending_orders[0].amount = dec("19800");
                s.account.profile.pending_orders.push(working(Side::Sell, "BBB", "1000"));
            },
            "working buy orders of 19800 and this batch leave buying power at -300 (cash after the batch 19500); working sales of 1000 are not counted",
        ),
        case(
            "CASH.UNSETTLED_FUNDS_BUY",
            |s| s.account.profile.unsettled_cash = dec("19000"),
            |s| s.account.profile.unsettled_cash = dec("19700"),
            "the batch's buys of 500 exceed settled cash of 300: 200 is paid with unsettled sale proceeds",
        ),
        case(
            "CASH.BUYING_POWER_INPUTS_INVALID",
            |s| s.account.profile.pending_orders.push(working(Side::Buy, "AAA", "100")),
            |s| s.account.profile.unsettled_cash = dec("-250"),
            "buying power of account CHK-1 cannot be computed: unsettled proceeds are negative (-250)",
        ),
        case(
            "CASH.UNSETTLED_BUY_NEAR_RESTRICTION",
            |s| s.account.profile.good_faith_violations_12m = 2,
            |s| s.account.profile.unsettled_cash = dec("19700"),
            "account CHK-1 has 2 good-faith violations in the last 12 months and the batch's buys of 500 exceed settled cash of 300",
        ),
        case(
            "CASH.MONEY_MARKET_UNSETTLED_FUNDS",
            |s| {
                s.book.add("MMF", SecurityKind::CashEquivalent, "1");
                s.trade = buy("MMF", "1000", "1");
            },
            |s| s.account.profile.unsettled_cash = dec("19500"),
            "the 1000 purchase of MMF settles today but settled cash is 500: the rest would come from proceeds settling 2026-11-30",
        ),
        case(
            "CASH.BELOW_MODEL_CASH",
            |s| {
                s.book.models[0].cash_weight = dec("0.10");
                s.book.models[0].holdings[1].weight = dec("0.40");
            },
            |s| s.account.cash = dec("2500"),
            "the batch leaves cash at 6.15% of the account, below the model's 10% cash target less its 2.5% band",
        ),
        case(
            "CASH.WITHDRAWAL_NOT_FUNDED",
            |s| s.account.withdrawal = dec("10000"),
            |s| s.account.withdrawal = dec("19800"),
            "the batch's buys leave cash at 19500, below the pending withdrawal of 19800",
        ),
        case(
            "CASH.WITHDRAWAL_RAISE_SHORTFALL",
            |s| {
                s.trade = sell("BBB", "10", "50");
                s.trade.reason = TradeReason::CashRaise;
                s.account.withdrawal = dec("20000");
            },
            |s| s.account.withdrawal = dec("25000"),
            "the batch's sales raise 500 but leave cash at 20500, 4500 short of the pending withdrawal of 25000",
        ),
        case(
            "CASH.WITHDRAWAL_AWAITS_SETTLEMENT",
            |s| {
                s.trade = sell("BBB", "10", "50");
                s.trade.reason = TradeReason::CashRaise;
                s.account.withdrawal = dec("1000");
            },
            |s| s.account.withdrawal = dec("25000"),
            "the pending withdrawal of 25000 exceeds settled cash of 20000: it can be paid on 2026-11-30 at the earliest",
        ),
        case(
            "CASH.EXCESS_CASH_SALE",
            |s| {
                s.account.cash = dec("1000");
                s.trade = sell("BBB", "10", "50");
            },
            |s| s.account.cash = dec("20000"),
            "would hold 20500 of uninvested cash beyond its withdrawal and reserve, 41% of its 50000 value (limit 25%)",
        ),
        case(
            "CASH.RMD_NOT_COVERED",
            |s| {
                s.account.account_type = AccountType::TraditionalIra;
                s.account.profile.rmd_remaining = dec("5000");
            },
            |s| s.account.profile.rmd_remaining = dec("25000"),
            "the batch leaves cash of 19500, short of the 25000 required minimum distribution still due by 2026-12-31",
        ),
        case(
            "CASH.RMD_SETTLES_NEXT_YEAR",
            |s| {
                s.account.account_type = AccountType::TraditionalIra;
                s.account.profile.rmd_remaining = dec("25000");
                s.trade = sell("BBB", "10", "50");
                s.trade_date = Some("2026-12-30");
            },
            |s| s.trade_date = Some("2026-12-31"),
            "this sale settles on 2027-01-04, after year end: its proceeds cannot fund the 25000 required minimum distribution still due for 2026 (settled cash 20000)",
        ),
        case(
            "CASH.PDT_DESIGNATION",
            |s| {
                s.account.profile.margin = true;
                s.account.profile.day_trades_5d = 2;
                s.trade = sell("BBB", "10", "50");
                bought(s, "BBB", "2026-11-27", false);
            },
            |s| s.account.profile.day_trades_5d = 3,
            "selling BBB bought today is day trade number 4 in five business days: the account becomes a pattern day trader",
        ),
        case(
            "CASH.PDT_MIN_EQUITY",
            |s| {
                s.account.profile.margin = true;
                s.account.profile.day_trades_5d = 4;
                s.trade = sell("BBB", "10", "50");
                bought(s, "BBB", "2026-11-27", false);
            },
            |s| {
                s.account.cash = dec("1000");
                s.account.positions[0].lots[0].quantity = dec("10");
            },
            "account CHK-1 is a pattern day trader (4 day trades in five business days) with equity of 12000, below the 25000 minimum: day trade in BBB refused",
        ),
    ]
}

/// Records a purchase of 10 shares at 50 on `day`, paid or not with unsettled proceeds.
fn bought(s: &mut Scenario, security: &str, day: &str, paid_with_unsettled: bool) {
    s.account.recent_trades.push(RecentTrade {
        security: security.into(),
        side: Side::Buy,
        quantity: dec("10"),
        trade_date: date(day),
        realized_gain: Decimal::ZERO,
        price: Some(dec("50")),
        paid_with_unsettled,
    });
}

/// An order already working at a market center, placed the day before.
fn working(side: Side, security: &str, amount: &str) -> PendingOrder {
    PendingOrder {
        security: security.into(),
        side,
        quantity: dec("10"),
        amount: dec(amount),
        placed: date("2026-11-26"),
    }
}
