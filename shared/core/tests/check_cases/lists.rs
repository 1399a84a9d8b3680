#[allow(unused_imports)]
use crate::*;

/// A call on AAA (issuer Alpha Inc, strike 100, 100 shares a contract) at 500 a contract.
fn call_on_aaa(s: &mut Scenario) {
    s.book.get("AAA").profile.issuer = "Alpha Inc".into();
    s.book.add("AAAC", SecurityKind::Option, "500").profile.option = Some(OptionTerms {
        underlying: "AAA".into(),
        right: OptionRight::Call,
        strike: dec("100"),
        expiry: date("2027-01-15"),
        multiplier: dec("100"),
    });
}

/// BBB is issued by Beta Corp, and `issuer` has an insider relationship with account CHK-1.
fn insider(s: &mut Scenario, issuer: &str, window_open: bool) {
    s.book.get("BBB").profile.issuer = "Beta Corp".into();
    s.book.lists.insiders.push(Insider {
        account: Some("CHK-1".into()),
        household: None,
        issuer: issuer.into(),
        role: "officer".into(),
        window_open,
    });
}

fn executed(security: &str, side: Side, quantity: &str, on: &str, price: &str) -> RecentTrade {
    RecentTrade {
        security: security.into(),
        side,
        quantity: dec(quantity),
        trade_date: date(on),
        realized_gain: Decimal::ZERO,
        price: Some(dec(price)),
        paid_with_unsettled: false,
    }
}

fn household(security: Option<&str>, issuer: Option<&str>, reason: &str) -> HouseholdRestriction {
    HouseholdRestriction {
        household: "HH-1".into(),
        security: security.map(Into::into),
        issuer: issuer.map(Into::into),
        reason: reason.into(),
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "LIST.FIRM_RESTRICTED",
            |_| {},
            |s| s.trade = buy("RST", "10", "30"),
            "RST is on the firm's restricted list",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_BUY",
            |_| {},
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotBuy }),
            "account CHK-1 has a do-not-buy restriction on BBB",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_HOLD",
            |_| {},
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotHold }),
            "account CHK-1 must not hold BBB",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_SELL",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| {
                s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotSell });
                s.trade = sell("BBB", "10", "50");
            },
            "account CHK-1 has a do-not-sell restriction on BBB",
        ),
        case(
            "LIST.RESTRICTION_BYPASS_IDENTICAL",
            |s| {
                s.book.get("BBB").wash_sale_group = Some("BETA-FUND".into());
                s.book.add("BBX", SecurityKind::Etf, "50").wash_sale_group = Some("BETA-FUND".into());
                s.account.restrictions.push(Restriction { security: "OFF".into(), kind: RestrictionKind::DoNotHold });
                s.account.restrictions.push(Restriction { security: "BBX".into(), kind: RestrictionKind::DoNotSell });
            },
            |s| s.account.restrictions.push(Restriction { security: "BBX".into(), kind: RestrictionKind::DoNotHold }),
            "account CHK-1 has a do-not-hold restriction on BBX, and BBB is substantially identical to it",
        ),
        case(
            "LIST.WATCH_LIST",
            |s| s.book.lists.watch.push("AAA".into()),
            |s| s.book.lists.watch.push("BBB".into()),
            "BBB is on the compliance watch list: the buy will be reviewed",
        ),
        case(
            "LIST.RESTRICTED_ISSUER",
            |s| {
                s.book.lists.restricted_issuers.push("Acme".into());
                s.book.get("BBB").profile.issuer = "Beta Corp".into();
            },
            |s| s.book.get("BBB").profile.issuer = "Acme".into(),
            "BBB is issued by Acme, which is on the firm's restricted issuer list",
        ),
        case(
            "LIST.RESTRICTED_UNDERLYING",
            |s| {
                call_on_aaa(s);
                s.trade = buy("AAAC", "2", "500");
            },
            |s| s.book.get("AAA").restricted = true,
            "buy of AAAC opens an option position on AAA, and AAA is on the firm's restricted list",
        ),
        case(
            "LIST.INSIDER_WINDOW_CLOSED",
            |s| {
                s.book.get("BBB").profile.issuer = "Beta Corp".into();
                s.book.lists.insiders.push(Insider {
                    account: None,
                    household: Some("HH-1".into()),
                    issuer: "Beta Corp".into(),
                    role: "director".into(),
                    window_open: true,
                });
            },
            |s| s.book.lists.insiders[0].window_open = false,
            "household HH-1 of account CHK-1 (director of Beta Corp) may not buy BBB: the issuer's trading window is closed",
        ),
        case(
            "LIST.INSIDER_WINDOW_OPEN",
            |s| insider(s, "Acme", true),
            |s| s.book.lists.insiders[0].issuer = "Beta Corp".into(),
            "account CHK-1 (officer of Beta Corp) trades BBB in an open window",
        ),
        case(
            "LIST.INSIDER_SHORT_SWING",
            |s| {
                insider(s, "Beta Corp", true);
                s.account.recent_trades.push(executed("BBB", Side::Buy, "20", "2026-10-01", "48"));
            },
            |s| s.trade = sell("BBB", "10", "50"),
            "account CHK-1 (officer of Beta Corp) bought BBB on 2026-10-01; this sell of BBB within six months is a short-swing trade",
        ),
        case(
            "LIST.INSIDER_OPTIONS",
            |s| {
                call_on_aaa(s);
                s.book.lists.insiders.push(Insider {
                    account: Some("CHK-1".into()),
                    household: None,
                    issuer: "Alpha Inc".into(),
                    role: "director".into(),
                    window_open: true,
                });
                hold(&mut s.account, "AAAC", &[("2", "400", "2026-10-01")]);
                s.trade = sell("AAAC", "2", "500");
            },
            |s| s.trade = buy("AAAC", "2", "500"),
            "account CHK-1 (director of Alpha Inc) may not open an option position in AAAC on the company's stock",
        ),
        case(
            "LIST.AFFILIATE_FORM_144",
            |s| {
                s.book.add("EQ", SecurityKind::Equity, "20").profile.issuer = "Eq Corp".into();
                s.book.lists.insiders.push(Insider {
                    account: Some("CHK-1".into()),
                    household: None,
                    issuer: "Eq Corp".into(),
                    role: "officer".into(),
                    window_open: true,
                });
                hold(&mut s.account, "EQ", &[("10000", "5", "2015-03-02")]);
                s.account.recent_trades.push(executed("EQ", Side::Sell, "3000", "2026-06-15", "20"));
                s.trade = sell("EQ", "100", "20");
            },
            |s| {
                s.account.recent_trades.push(executed("EQ", Side::Sell, "3000", "2026-10-15", "20"));
                s.trade = sell("EQ", "2100", "20");
            },
            "with this sale account CHK-1 (officer of Eq Corp) sells 5100 shares worth 102000 of EQ in three months, above 5000 shares or 50000: Form 144 must be filed",
        ),
        case(
            "LIST.HOUSEHOLD_SECURITY",
            |s| s.book.lists.household_restrictions.push(household(Some("AAA"), None, "")),
            |s| s.book.lists.household_restrictions.push(household(Some("BBB"), None, "spouse is a director")),
            "household HH-1 of account CHK-1 may not buy BBB (spouse is a director)",
        ),
        case(
            "LIST.HOUSEHOLD_ISSUER",
            |s| {
                s.book.get("BBB").profile.issuer = "Beta Corp".into();
                s.book.lists.household_restrictions.push(household(None, Some("Acme"), "employer stock plan"));
            },
            |s| s.book.get("BBB").profile.issuer = "Acme".into(),
            "household HH-1 of account CHK-1 may not buy securities of Acme such as BBB (employer stock plan)",
        ),
        case(
            "LIST.SANCTIONED_ISSUER",
            |s| {
                s.book.lists.sanctioned_countries.push("RU".into());
                s.book.get("BBB").profile.country = "DE".into();
            },
            |s| s.book.get("BBB").profile.country = "RU".into(),
            "BBB's issuer is domiciled in RU, a sanctioned country: it may not be bought",
        ),
        case(
            "LIST.NOT_RECOMMENDED",
            |s| s.book.lists.not_recommended.push("AAA".into()),
            |s| s.book.lists.not_recommended.push("BBB".into()),
            "BBB is on the firm's not-recommended list: the buy needs a documented reason",
        ),
        case(
            "LIST.VALUES_EXCLUSION",
            |s| {
                s.account.profile.exclusions.push("tobacco".into());
                s.book.get("BBB").profile.tags.push("energy".into());
            },
            |s| s.book.get("BBB").profile.tags.push("Tobacco".into()),
            "BBB is tagged Tobacco, a category the client of account CHK-1 excludes",
        ),
        case(
            "LIST.EMPLOYEE_NOT_PRECLEARED",
            |s| {
                s.account.profile.employee = true;
                s.account.profile.precleared.push("BBB".into());
            },
            |s| s.account.profile.precleared.clear(),
            "account CHK-1 is an employee account and the buy of BBB has not been pre-cleared",
        ),
        case(
            "LIST.NEW_ISSUE_RESTRICTED_PERSON",
            |s| {
                s.book.add("NEWCO", SecurityKind::Equity, "25").profile.ipo_date = Some(date("2026-09-01"));
                s.account.profile.ipo_restricted_person = true;
                s.trade = buy("NEWCO", "10", "25");
            },
            |s| s.book.get("NEWCO").profile.ipo_date = Some(date("2026-11-20")),
            "NEWCO went public on 2026-11-20, 7 days ago (window 30 days), and account CHK-1 belongs to a FINRA Rule 5130 restricted person",
        ),
    ]
}
