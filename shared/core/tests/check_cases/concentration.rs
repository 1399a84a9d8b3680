#[allow(unused_imports)]
use crate::*;

/// A bond with terms, for the fixed-income rules.
fn bond(s: &mut Scenario, id: &str, issuer: &str, rating: Rating, maturity: &str) {
    let b = s.book.add(id, SecurityKind::Bond, "100");
    b.asset_class = "corporate_bond".into();
    b.profile.issuer = issuer.into();
    b.profile.bond = Some(BondTerms {
        rating,
        maturity: date(maturity),
        call_date: None,
        muni_state: None,
        min_denomination: Decimal::ZERO,
    });
}

/// An exchange-traded fund of an asset class.
fn fund(s: &mut Scenario, id: &str, price: &str, class: &str) {
    s.book.add(id, SecurityKind::Etf, price).asset_class = class.into();
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "CONC.SINGLE_SECURITY",
            |_| {},
            |s| s.trade = buy("BBB", "100", "50"),
            "BBB would be 30.00% of the account after this buy (limit 25.00%)",
        ),
        case(
            "CONC.SINGLE_ISSUER",
            |s| {
                s.book.add("XYZ", SecurityKind::Equity, "100").profile.issuer = "Xyz Corp".into();
                hold(&mut s.account, "XYZ", &[("20", "90", "2022-05-02")]);
                s.trade = buy("XYZ", "20", "100");
            },
            |s| {
                bond(s, "XYZ30", "Xyz Corp", Rating::Bbb, "2030-06-15");
                hold(&mut s.account, "XYZ30", &[("20", "100", "2022-05-02")]);
            },
            "issuer Xyz Corp would be 11.11% of the account after this batch across 2 of its securities (limit 10%)",
        ),
        case(
            "CONC.SECTOR",
            |s| {
                s.book.add("XYZ", SecurityKind::Equity, "100").profile.sector = "Energy".into();
                hold(&mut s.account, "XYZ", &[("50", "90", "2022-05-02")]);
                s.trade = buy("XYZ", "50", "100");
            },
            |s| {
                s.book.add("OIL", SecurityKind::Equity, "100").profile.sector = "Energy".into();
                hold(&mut s.account, "OIL", &[("100", "90", "2022-05-02")]);
            },
            "the Energy sector would be 30.77% of the account after this batch (limit 30%)",
        ),
        case(
            "CONC.ASSET_CLASS_OVER_MODEL",
            |s| {
                s.book.get("OFF").asset_class = "commodities".into();
                s.trade = buy("OFF", "100", "10");
            },
            |s| s.trade = buy("OFF", "700", "10"),
            "commodities would be 14% of the account after this batch against 0% in model M (more than 10% over)",
        ),
        case(
            "CONC.FOREIGN_TOTAL",
            |s| {
                s.book.add("FRN", SecurityKind::Equity, "100").profile.country = "DE".into();
                s.trade = buy("FRN", "10", "100");
            },
            |s| hold(&mut s.account, "FRN", &[("350", "90", "2022-05-02")]),
            "foreign issuers (non-US domicile or ADRs) would be 42.35% of the account after this batch (limit 40%)",
        ),
        case(
            "CONC.SINGLE_FOREIGN_COUNTRY",
            |s| {
                s.book.add("FRN", SecurityKind::Equity, "100").profile.country = "DE".into();
                s.trade = buy("FRN", "10", "100");
            },
            |s| hold(&mut s.account, "FRN", &[("100", "90", "2022-05-02")]),
            "issuers domiciled in DE would be 18.33% of the account after this batch (limit 15%)",
        ),
        case(
            "CONC.FUND_OWNERSHIP",
            |s| s.book.get("BBB").profile.aum = Some(dec("10000000")),
            |s| s.book.get("BBB").profile.aum = Some(dec("500000")),
            "the account would own 2.1% of BBB's 500000 of assets after this buy (limit 1%)",
        ),
        case(
            "CONC.ILLIQUID_TOTAL",
            |s| {
                s.book.add("ILQ", SecurityKind::Equity, "100").profile.illiquid = true;
                s.trade = buy("ILQ", "10", "100");
            },
            |s| hold(&mut s.account, "ILQ", &[("100", "90", "2022-05-02")]),
            "illiquid holdings would be 18.33% of the account (11000.00) after this batch (limit 15%)",
        ),
        case(
            "CONC.COMPLEX_EXPOSURE",
            |s| s.trade = buy("CPX", "10", "20"),
            |s| {
                s.book.get("CPX").profile.flags.leverage_factor = Some(dec("3"));
                hold(&mut s.account, "CPX", &[("150", "20", "2025-05-02")]);
            },
            "complex products would carry 9600.00 of effective exposure after this batch, 18.11% of the account (value × leverage factor; limit 15%)",
        ),
        case(
            "CONC.BOND_ISSUER_SHARE",
            |s| {
                bond(s, "CORP1", "Acme", Rating::Bbb, "2030-06-15");
                fund(s, "AGG", "100", "us_aggregate_bond");
                hold(&mut s.account, "AGG", &[("100", "95", "2022-05-02")]);
                s.trade = buy("CORP1", "10", "100");
            },
            |s| s.trade = buy("CORP1", "30", "100"),
            "Acme bonds would be 23.08% of the account's fixed income (3000.00 of 13000.00) after this batch (limit 20%)",
        ),
        case(
            "CONC.HIGH_YIELD_TOTAL",
            |s| {
                fund(s, "HYG", "100", "high_yield_bond");
                s.trade = buy("HYG", "10", "100");
            },
            |s| hold(&mut s.account, "HYG", &[("150", "95", "2022-05-02")]),
            "below-investment-grade bonds and high-yield funds would be 24.62% of the account after this batch (limit 20%)",
        ),
        case(
            "CONC.OPTIONS_NOTIONAL",
            |s| {
                s.book.add("AAA-C", SecurityKind::Option, "500").profile.option = Some(OptionTerms {
                    underlying: "AAA".into(),
                    right: OptionRight::Call,
                    strike: dec("100"),
                    expiry: date("2027-01-15"),
                    multiplier: dec("100"),
                });
                s.trade = buy("AAA-C", "1", "500");
            },
            |s| s.trade = buy("AAA-C", "3", "500"),
            "long options would control 30000.00 of underlying value after this batch, 60% of the account (limit 50%)",
        ),
        case(
            "CONC.LIQUIDATION_DAYS",
            |s| s.book.get("BBB").profile.adv = Some(dec("10000")),
            |s| s.book.get("BBB").profile.adv = Some(dec("180")),
            "210 BBB after this buy would take 5.8 days to sell at 20% of its average daily volume of 180 (limit 5 days)",
        ),
        case(
            "CONC.ADD_TO_CONCENTRATED",
            |s| {
                s.book.add("XYZ", SecurityKind::Equity, "100");
                hold(&mut s.account, "XYZ", &[("50", "90", "2022-05-02")]);
                s.trade = buy("XYZ", "10", "100");
            },
            |s| s.account.positions[2].lots[0].quantity = dec("150"),
            "XYZ is already 23.08% of the account, above the 20% limit for a single stock or bond: it may be reduced but not added to",
        ),
        case(
            "CONC.IPS_MAX_EQUITY",
            |s| s.account.profile.max_equity_weight = Some(dec("0.70")),
            |s| s.account.profile.max_equity_weight = Some(dec("0.60")),
            "equities would be 61% of the account after this batch, above the investment policy maximum of 60%",
        ),
        case(
            "CONC.IPS_MIN_FIXED_INCOME",
            |s| {
                fund(s, "AGG", "100", "us_aggregate_bond");
                hold(&mut s.account, "AGG", &[("100", "95", "2022-05-02")]);
                s.account.profile.min_fixed_income_weight = Some(dec("0.10"));
                s.trade = sell("AGG", "10", "100");
            },
            |s| s.trade = sell("AGG", "50", "100"),
            "fixed income would be 8.33% of the account after this batch, below the investment policy minimum of 10%",
        ),
        case(
            "CONC.ALTERNATIVES_TOTAL",
            |s| {
                s.book.add("PVT", SecurityKind::MutualFund, "100").profile.accredited_only = true;
                s.trade = buy("PVT", "10", "100");
            },
            |s| hold(&mut s.account, "PVT", &[("50", "100", "2024-05-02")]),
            "alternative investments (accredited-only products) would be 10.91% of the account after this batch (limit 10%)",
        ),
        case(
            "CONC.BOND_MATURITY_YEAR",
            |s| {
                bond(s, "B30", "Acme", Rating::A, "2030-06-15");
                s.trade = buy("B30", "10", "100");
            },
            |s| {
                bond(s, "B30B", "Other Co", Rating::A, "2030-12-01");
                hold(&mut s.account, "B30B", &[("160", "100", "2022-05-02")]);
            },
            "bonds maturing in 2030 would be 25.76% of the account after this batch (limit 25%)",
        ),
    ]
}
