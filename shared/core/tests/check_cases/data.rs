#[allow(unused_imports)]
use crate::*;

/// Adds bond `BND` at 98.50 (per $100 of face), maturing on `maturity`, $1,000 minimum
/// piece, and makes the trade a buy of 20 units ($2,000 face).
pub fn with_bond(s: &mut Scenario, maturity: &str) {
    s.book.add("BND", SecurityKind::Bond, "98.50").profile.bond = Some(BondTerms {
        rating: Rating::Aa,
        maturity: date(maturity),
        call_date: None,
        muni_state: None,
        min_denomination: dec("1000"),
    });
    s.trade = buy("BND", "20", "98.50");
}

/// Adds option `OPT` (a call on AAA, strike 105, 100 shares) at 3.20 expiring on `expiry`,
/// and makes the trade a buy of 2 contracts.
pub fn with_option(s: &mut Scenario, expiry: &str) {
    s.book.add("OPT", SecurityKind::Option, "3.20").profile.option = Some(OptionTerms {
        underlying: "AAA".into(),
        right: OptionRight::Call,
        strike: dec("105"),
        expiry: date(expiry),
        multiplier: dec("100"),
    });
    s.trade = buy("OPT", "2", "3.20");
}

/// Adds no-load mutual fund `FND` at 25 and makes the trade a buy of 40 shares ($1,000).
pub fn with_fund(s: &mut Scenario) {
    s.book.add("FND", SecurityKind::MutualFund, "25").profile.fund = Some(FundTerms {
        share_class: ShareClass::I,
        min_initial: Decimal::ZERO,
        min_subsequent: Decimal::ZERO,
        closed_to_new: false,
        closed: false,
        redemption_fee_days: 0,
        redemption_fee: Decimal::ZERO,
        front_load: Decimal::ZERO,
        breakpoint: None,
    });
    s.trade = buy("FND", "40", "25");
}

/// Changes a security's reference price (the trade keeps its own).
pub fn set_price(s: &mut Scenario, id: &str, price: &str) {
    if let Some(p) = s.book.prices.iter_mut().find(|p| p.0 == id) {
        p.1 = dec(price);
    }
}

pub fn fund_terms(s: &mut Scenario) -> &mut FundTerms {
    s.book.get("FND").profile.fund.as_mut().expect("fund terms")
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "DATA.UNKNOWN_SECURITY",
            |_| {},
            |s| s.trade = buy("ZZZ", "10", "50"),
            "ZZZ is not in the security master",
        ),
        case(
            "DATA.MISSING_PRICE",
            |_| {},
            |s| {
                s.book.securities.push(security("NOP", SecurityKind::Etf));
                s.trade = buy("NOP", "10", "50");
            },
            "no reference price for NOP",
        ),
        case(
            "DATA.STALE_PRICE",
            |_| {},
            |s| s.stale = Some("BBB"),
            "price of BBB is from 2026-11-17, more than 3 days before",
        ),
        case(
            "DATA.PRICE_COLLAR",
            |_| {},
            |s| s.trade = buy("BBB", "10", "60"),
            "order price 60 is 20.00% from the reference price 50 (limit 5.00%)",
        ),
        case("DATA.NON_POSITIVE_QUANTITY", |_| {}, |s| s.trade = buy("BBB", "0", "50"), "quantity 0 is not positive"),
        case(
            "DATA.FRACTIONAL_NOT_ALLOWED",
            |_| {},
            |s| s.trade = buy("BBB", "10.5", "50"),
            "quantity 10.5 of BBB has more than 0 decimal places",
        ),
        case(
            "DATA.AMOUNT_MISMATCH",
            |_| {},
            |s| s.trade.amount = dec("400"),
            "amount 400 differs from quantity 10 × price 50 = 500",
        ),
        case("DATA.NON_POSITIVE_PRICE", |_| {}, |s| s.trade = buy("BBB", "10", "0"), "order price 0 is not positive"),
        case(
            "DATA.PRICE_DATE_IN_FUTURE",
            |_| {},
            |s| s.trade_date = Some("2026-11-25"),
            "price of BBB is dated 2026-11-27, after the trade date 2026-11-25",
        ),
        case(
            "DATA.PRICE_NOT_LAST_CLOSE",
            // Monday: Friday's close is the last session's, though three days old.
            |s| s.trade_date = Some("2026-11-30"),
            |s| s.trade_date = Some("2026-12-01"),
            "price of BBB is from 2026-11-27, before the last session's close on 2026-11-30",
        ),
        case(
            "DATA.UNKNOWN_HOLDING",
            |_| {},
            |s| hold(&mut s.account, "ZZZ", &[("5", "10", "2020-01-02")]),
            "account CHK-1 holds ZZZ, which is not in the security master: its value is missing from the account's 50000",
        ),
        case(
            "DATA.VOLUME_UNKNOWN_LARGE_ORDER",
            |s| {
                s.overrides.push(set("DATA.VOLUME_UNKNOWN_LARGE_ORDER", "min_notional", "100"));
                s.book.get("BBB").profile.adv = Some(dec("2000000"));
            },
            |s| s.book.get("BBB").profile.adv = None,
            "no average daily volume is recorded for BBB: the order of 500 cannot be sized against the market (reported from 100)",
        ),
        case(
            "DATA.BOND_TERMS_MISSING",
            |s| with_bond(s, "2031-05-15"),
            |s| s.book.get("BND").profile.bond = None,
            "bond BND has no terms (maturity, rating, minimum denomination)",
        ),
        case(
            "DATA.BOND_MATURED",
            |s| with_bond(s, "2031-05-15"),
            |s| s.book.get("BND").profile.bond.as_mut().unwrap().maturity = date("2026-11-15"),
            "bond BND matured on 2026-11-15, on or before the trade date 2026-11-27",
        ),
        case(
            "DATA.OPTION_TERMS_MISSING",
            |s| with_option(s, "2027-01-15"),
            |s| s.book.get("OPT").profile.option = None,
            "option OPT has no contract terms (underlying, strike, expiry, multiplier)",
        ),
        case(
            "DATA.OPTION_EXPIRED",
            // Expiring on the trade date itself still trades.
            |s| with_option(s, "2026-11-27"),
            |s| s.book.get("OPT").profile.option.as_mut().unwrap().expiry = date("2026-11-20"),
            "option OPT expired on 2026-11-20, before the trade date 2026-11-27",
        ),
        case(
            "DATA.OPTION_TERMS_INVALID",
            |s| with_option(s, "2027-01-15"),
            |s| s.book.get("OPT").profile.option.as_mut().unwrap().multiplier = Decimal::ZERO,
            "option OPT has a multiplier that is not positive (underlying \"AAA\", strike 105, multiplier 0)",
        ),
        case(
            "DATA.FUND_TERMS_MISSING",
            with_fund,
            |s| s.book.get("FND").profile.fund = None,
            "mutual fund FND has no fund terms (share class, minimums, loads, closed status)",
        ),
        case(
            "DATA.SUB_PENNY_PRICE",
            |s| s.trade = buy("BBB", "10", "50.10"),
            |s| s.trade = buy("BBB", "10", "50.005"),
            "order price 50.005 of BBB is finer than the $0.01 tick Reg NMS Rule 612 allows for a price of $1.00 or more",
        ),
        case(
            "DATA.MONEY_MARKET_OFF_DOLLAR",
            |s| {
                s.book.add("MMF", SecurityKind::CashEquivalent, "1.00");
                s.trade = buy("MMF", "100", "1.00");
            },
            |s| {
                set_price(s, "MMF", "0.99");
                s.trade = buy("MMF", "100", "0.99");
            },
            "reference price 0.99 of MMF is 0.01 from the $1.00 stable NAV (limit 0.005)",
        ),
        case(
            "DATA.KIND_TERMS_MISMATCH",
            |_| {},
            |s| {
                with_option(s, "2027-01-15");
                let terms = s.book.get("OPT").profile.option.clone();
                s.book.get("BBB").profile.option = terms;
                s.trade = buy("BBB", "10", "50");
            },
            "BBB is classified as ETF but carries option contract terms",
        ),
        case(
            "DATA.ROUTING_KIND_MISMATCH",
            |s| s.book.get("BBB").profile.venue = "ARCX".into(),
            |s| s.book.get("BBB").profile.venue = "FUNDSERV".into(),
            "BBB is a listed ETF but routes to FUNDSERV, the mutual fund network",
        ),
        case(
            "DATA.FUND_LOAD_IMPLAUSIBLE",
            |s| {
                with_fund(s);
                fund_terms(s).front_load = dec("0.0575");
            },
            |s| fund_terms(s).front_load = dec("5.75"),
            "front load 5.75 recorded for FND is outside 0 to 0.085 (the FINRA Rule 2341 maximum of 8.5%)",
        ),
        case(
            "DATA.REDEMPTION_FEE_IMPLAUSIBLE",
            |s| {
                with_fund(s);
                fund_terms(s).redemption_fee = dec("0.02");
                hold(&mut s.account, "FND", &[("100", "20", "2020-01-02")]);
                s.trade = sell("FND", "40", "25");
            },
            |s| fund_terms(s).redemption_fee = dec("2"),
            "redemption fee 2 recorded for FND is outside 0 to 0.02 (the SEC Rule 22c-2 maximum of 2%)",
        ),
    ]
}
