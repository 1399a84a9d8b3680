#[allow(unused_imports)]
use crate::*;

/// Buys 10 LEV at 40: an ETF with daily leverage `factor` (negative: inverse).
fn leveraged(s: &mut Scenario, factor: &str) {
    let x = s.book.add("LEV", SecurityKind::Etf, "40");
    let f = dec(factor);
    x.profile.flags.leverage_factor = Some(f);
    x.profile.flags.leveraged = f.abs() > Decimal::ONE;
    x.profile.flags.inverse = f < Decimal::ZERO;
    s.trade = buy("LEV", "10", "40");
}

/// Buys 10 of a flagged ETF `id` at 25, in an account approved for complex products.
fn flagged(s: &mut Scenario, id: &str, set: fn(&mut ProductFlags)) {
    set(&mut s.book.add(id, SecurityKind::Etf, "25").profile.flags);
    s.account.profile.complex_approved = true;
    s.trade = buy(id, "10", "25");
}

/// A call on AAA (strike 100, 100 shares a contract) at 500 a contract.
fn call_on_aaa(s: &mut Scenario) {
    s.book.add("AAAC", SecurityKind::Option, "500").profile.option = Some(OptionTerms {
        underlying: "AAA".into(),
        right: OptionRight::Call,
        strike: dec("100"),
        expiry: date("2027-01-15"),
        multiplier: dec("100"),
    });
}

/// Buys 1000 of mutual fund FND (50 shares at 20) of the given share class.
fn fund(s: &mut Scenario, class: ShareClass) {
    s.book.add("FND", SecurityKind::MutualFund, "20").profile.fund = Some(FundTerms {
        share_class: class,
        min_initial: Decimal::ZERO,
        min_subsequent: Decimal::ZERO,
        closed_to_new: false,
        closed: false,
        redemption_fee_days: 0,
        redemption_fee: Decimal::ZERO,
        front_load: Decimal::ZERO,
        breakpoint: None,
    });
    s.trade = buy("FND", "50", "20");
}

fn terms(s: &mut Scenario) -> &mut FundTerms {
    s.book.get("FND").profile.fund.as_mut().expect("fund terms")
}

/// Buys 10 of bond BND at 98, maturing 2031-06-15 with the given rating.
fn bond(s: &mut Scenario, rating: Rating) {
    s.book.add("BND", SecurityKind::Bond, "98").profile.bond = Some(BondTerms {
        rating,
        maturity: date("2031-06-15"),
        call_date: None,
        muni_state: None,
        min_denomination: Decimal::ZERO,
    });
    s.trade = buy("BND", "10", "98");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT",
            |s| s.account.account_type = AccountType::RothIra,
            |s| {
                s.account.account_type = AccountType::RothIra;
                s.trade = buy("CPX", "10", "20");
            },
            "CPX is a complex (leveraged/inverse) product and cannot be bought in a retirement account",
        ),
        case(
            "SUIT.LEVERAGED_NOT_APPROVED",
            |s| {
                leveraged(s, "2");
                s.account.profile.complex_approved = true;
            },
            |s| s.account.profile.complex_approved = false,
            "LEV is a leveraged product (2x the daily return of its index); account CHK-1 is not approved for complex products",
        ),
        case(
            "SUIT.INVERSE_NOT_APPROVED",
            |s| {
                leveraged(s, "-1");
                s.account.profile.complex_approved = true;
            },
            |s| s.account.profile.complex_approved = false,
            "LEV is an inverse product (-1x the daily return of its index); account CHK-1 is not approved",
        ),
        case(
            "SUIT.VOLATILITY_NOT_APPROVED",
            |s| flagged(s, "VOL", |f| f.volatility = true),
            |s| s.account.profile.complex_approved = false,
            "VOL is a volatility-linked product (VIX futures, which decay in contango); account CHK-1 is not approved",
        ),
        case(
            "SUIT.ETN_NOT_APPROVED",
            |s| {
                flagged(s, "NOTE", |f| f.etn = true);
                s.book.get("NOTE").profile.issuer = "Big Bank plc".into();
            },
            |s| s.account.profile.complex_approved = false,
            "NOTE is an exchange-traded note carrying the credit risk of Big Bank plc; account CHK-1 is not approved",
        ),
        case(
            "SUIT.COMMODITY_FUTURES_NOT_APPROVED",
            |s| {
                flagged(s, "CMF", |f| f.commodity_futures = true);
                s.book.get("CMF").profile.k1 = true;
            },
            |s| s.account.profile.complex_approved = false,
            "CMF holds commodity futures (returns depend on the roll) and is a K-1 partnership; account CHK-1 is not approved",
        ),
        case(
            "SUIT.COMPLEX_NOT_APPROVED",
            |s| {
                s.account.profile.complex_approved = true;
                s.trade = buy("CPX", "10", "20");
            },
            |s| s.account.profile.complex_approved = false,
            "CPX is classified by the firm as a complex product; account CHK-1 is not approved",
        ),
        case(
            "SUIT.LEVERAGE_FACTOR_LIMIT",
            |s| {
                leveraged(s, "-2");
                s.account.profile.complex_approved = true;
            },
            |s| s.book.get("LEV").profile.flags.leverage_factor = Some(dec("3")),
            "LEV returns 3x its index daily, beyond the firm's limit of 2x for any account",
        ),
        case(
            "SUIT.COMPLEX_FOR_CONSERVATIVE_OBJECTIVE",
            |s| {
                leveraged(s, "2");
                s.account.profile.complex_approved = true;
                s.account.profile.objective = Objective::Growth;
            },
            |s| s.account.profile.objective = Objective::Income,
            "LEV is a leveraged product, unsuitable for the income objective of account CHK-1",
        ),
        case(
            "SUIT.DAILY_RESET_HELD_LONG",
            |s| {
                leveraged(s, "2");
                s.account.profile.complex_approved = true;
                hold(&mut s.account, "LEV", &[("20", "38", "2026-11-20")]);
            },
            |s| s.account.positions[2].lots[0].acquired = date("2026-09-01"),
            "account CHK-1 has held the leveraged product LEV since 2026-09-01 (87 days, limit 30)",
        ),
        case(
            "SUIT.OPTION_LEVEL",
            |s| {
                call_on_aaa(s);
                s.account.profile.options_level = 2;
                s.trade = buy("AAAC", "2", "500");
            },
            |s| s.account.profile.options_level = 1,
            "a long option purchase of 2 AAAC needs options approval level 2; account CHK-1 has level 1",
        ),
        case(
            "SUIT.OPTION_RETIREMENT_STRATEGY",
            |s| {
                call_on_aaa(s);
                s.account.account_type = AccountType::RothIra;
                s.account.profile.options_level = 4;
                s.trade = sell("AAAC", "2", "500");
            },
            |s| s.trade = buy("AAAC", "2", "500"),
            "a long option purchase of 2 AAAC is a level 2 strategy; Roth IRA account CHK-1 allows options strategies up to level 1",
        ),
        case(
            "SUIT.OPTION_UNCOVERED_WITHOUT_MARGIN",
            |s| {
                call_on_aaa(s);
                s.account.profile.options_level = 4;
                s.trade = sell("AAAC", "2", "500");
            },
            |s| s.trade = sell("AAAC", "3", "500"),
            "writing an uncovered call of 3 contracts of AAAC needs a margin account; account CHK-1 has none",
        ),
        case(
            "SUIT.A_SHARES_BELOW_BREAKPOINT",
            |s| {
                fund(s, ShareClass::A);
                terms(s).front_load = dec("0.0575");
                terms(s).breakpoint = Some(dec("25000"));
            },
            |s| {
                hold(&mut s.account, "FND", &[("100", "19", "2025-01-02")]);
                s.account.cash = dec("30000");
                s.trade = buy("FND", "1100", "20");
            },
            "buy of 22000 of FND A shares with 2000 already held reaches 24000, 1000 short of the 25000 breakpoint; the 5.75% load costs 1265.00",
        ),
        case(
            "SUIT.C_SHARES_LONG_HORIZON",
            |s| {
                fund(s, ShareClass::C);
                s.account.profile.horizon_years = Some(3);
            },
            |s| s.account.profile.horizon_years = Some(10),
            "FND C shares charge a yearly level load; over the client's 10-year horizon (flagged from 7 years)",
        ),
        case(
            "SUIT.B_SHARES",
            |s| fund(s, ShareClass::I),
            |s| terms(s).share_class = ShareClass::B,
            "FND is a B share class, no longer offered for purchase",
        ),
        case(
            "SUIT.R_SHARES_OUTSIDE_PLAN",
            |s| fund(s, ShareClass::I),
            |s| terms(s).share_class = ShareClass::R,
            "FND is an R share class, sold only to qualified plans, and account CHK-1 is a taxable account",
        ),
        case(
            "SUIT.FRONT_LOAD_IN_ADVISORY",
            |s| fund(s, ShareClass::A),
            |s| terms(s).front_load = dec("0.0575"),
            "FND A shares carry a 5.75% front-end load (57.50 on this buy of 1000) in advisory account CHK-1",
        ),
        case(
            "SUIT.FUND_CLOSED",
            |s| {
                fund(s, ShareClass::I);
                terms(s).closed_to_new = true;
                hold(&mut s.account, "FND", &[("10", "19", "2025-01-02")]);
            },
            |s| terms(s).closed = true,
            "FND is closed to all purchases",
        ),
        case(
            "SUIT.FUND_CLOSED_TO_NEW_INVESTORS",
            |s| {
                fund(s, ShareClass::I);
                terms(s).closed_to_new = true;
                hold(&mut s.account, "FND", &[("10", "19", "2025-01-02")]);
            },
            |s| s.account.positions.retain(|p| p.security != "FND"),
            "FND is closed to new investors and account CHK-1 does not hold it",
        ),
        case(
            "SUIT.FUND_MIN_INITIAL",
            |s| {
                fund(s, ShareClass::I);
                terms(s).min_initial = dec("1000");
            },
            |s| terms(s).min_initial = dec("2500"),
            "first purchase of 1000 in FND is below the fund's minimum initial investment of 2500",
        ),
        case(
            "SUIT.FUND_MIN_SUBSEQUENT",
            |s| {
                fund(s, ShareClass::I);
                terms(s).min_initial = dec("2500");
                terms(s).min_subsequent = dec("100");
                hold(&mut s.account, "FND", &[("200", "19", "2025-01-02")]);
            },
            |s| terms(s).min_subsequent = dec("2000"),
            "additional purchase of 1000 in FND is below the fund's minimum subsequent investment of 2000",
        ),
        case(
            "SUIT.HIGH_YIELD_FOR_CONSERVATIVE",
            |s| bond(s, Rating::Bb),
            |s| s.account.profile.objective = Objective::Preservation,
            "BND is rated BB, below investment grade and account CHK-1 has a capital preservation objective with risk tolerance 3",
        ),
        case(
            "SUIT.BOND_BEYOND_HORIZON",
            |s| {
                bond(s, Rating::Aa);
                s.account.profile.horizon_years = Some(10);
            },
            |s| s.account.profile.horizon_years = Some(3),
            "BND matures on 2031-06-15, after 2029-11-27, the end of the client's 3-year horizon",
        ),
        case(
            "SUIT.MUNI_IN_RETIREMENT",
            |s| {
                bond(s, Rating::Aa);
                s.account.account_type = AccountType::TraditionalIra;
            },
            |s| s.book.get("BND").profile.bond.as_mut().expect("bond").muni_state = Some("CA".into()),
            "BND is a tax-exempt CA municipal bond bought in traditional IRA account CHK-1",
        ),
        case(
            "SUIT.RISK_ABOVE_TOLERANCE",
            // A model holding rated 5 is suitable as part of the model; an off-model buy at 3 is within tolerance.
            |s| {
                s.book.get("BBB").profile.risk_rating = 5;
                s.book.get("OFF").profile.risk_rating = 3;
                s.trade = buy("OFF", "10", "10");
            },
            |s| s.book.get("OFF").profile.risk_rating = 5,
            "OFF has risk rating 5, above account CHK-1's risk tolerance of 3 (allowed excess 0)",
        ),
        case(
            "SUIT.SPECULATIVE_FOR_PRESERVATION",
            |s| {
                s.account.profile.objective = Objective::Preservation;
                s.book.get("BBB").profile.risk_rating = 2;
            },
            |s| s.book.get("BBB").profile.risk_rating = 4,
            "BBB has risk rating 4 (speculative from 4) and account CHK-1's objective is capital preservation",
        ),
        case(
            "SUIT.PFIC_IN_TAXABLE",
            |s| {
                s.book.get("BBB").profile.pfic = true;
                s.account.profile.country = "DE".into();
            },
            |s| s.account.profile.country = "US".into(),
            "BBB is a passive foreign investment company bought by a US person in taxable account CHK-1",
        ),
        case(
            "SUIT.K1_IN_RETIREMENT",
            |s| s.account.account_type = AccountType::RothIra,
            |s| s.book.get("BBB").profile.k1 = true,
            "BBB is a K-1 partnership: unrelated business income above 1000 a year makes Roth IRA account CHK-1 owe tax",
        ),
        case(
            "SUIT.ACCREDITED_ONLY",
            |s| {
                s.book.get("BBB").profile.accredited_only = true;
                s.account.profile.accredited = true;
            },
            |s| s.account.profile.accredited = false,
            "BBB is offered only to accredited investors and the client of account CHK-1 is not accredited",
        ),
        case(
            "SUIT.RULE_144A_NON_QIB",
            |s| {
                s.book.get("BBB").profile.rule_144a = true;
                s.account.profile.qualified_institutional = true;
            },
            |s| s.account.profile.qualified_institutional = false,
            "BBB is a Rule 144A security and the client of account CHK-1 is not a qualified institutional buyer",
        ),
        case(
            "SUIT.ILLIQUID_SHORT_HORIZON",
            |s| {
                s.book.get("BBB").profile.illiquid = true;
                s.account.profile.horizon_years = Some(10);
            },
            |s| s.account.profile.horizon_years = Some(2),
            "BBB is illiquid and the client of account CHK-1 needs the money within 2 years (flagged at 3 or fewer)",
        ),
        case(
            "SUIT.SENIOR_COMPLEX_OR_ILLIQUID",
            |s| {
                s.book.get("BBB").profile.illiquid = true;
                s.account.profile.birth_date = Some(date("1970-01-01"));
            },
            |s| s.account.profile.birth_date = Some(date("1950-05-01")),
            "the client of account CHK-1 is 76 (senior from 65) and BBB is an illiquid product",
        ),
    ]
}
