#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case("ACCT.CLOSED", |_| {}, |s| s.account.status = AccountStatus::Closed, "account CHK-1 is closed"),
        case("ACCT.FROZEN", |_| {}, |s| s.account.status = AccountStatus::Frozen, "account CHK-1 is frozen"),
        case(
            "ACCT.DECEASED",
            |_| {},
            |s| s.account.status = AccountStatus::Deceased,
            "account CHK-1 is flagged deceased",
        ),
        case(
            "ACCT.PENDING_TRANSFER",
            |_| {},
            |s| s.account.status = AccountStatus::PendingTransfer,
            "account CHK-1 is pending transfer",
        ),
        case(
            "ACCT.RESTRICTED_BUY",
            |_| {},
            |s| s.account.status = AccountStatus::Restricted,
            "restricted to closing sales; buy of BBB refused",
        ),
        case(
            "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            |_| {},
            |s| s.trade.account = "OTHER".into(),
            "trade is for account OTHER but was checked against account CHK-1",
        ),
        case(
            "ACCT.NOT_YET_OPEN",
            |s| s.account.profile.opened = Some(date("2020-01-02")),
            |s| s.account.profile.opened = Some(date("2026-12-01")),
            "account CHK-1 opens on 2026-12-01, after the trade date 2026-11-27",
        ),
        case(
            "ACCT.NON_DISCRETIONARY_UNAPPROVED",
            |s| {
                s.account.profile.discretionary = false;
                s.account.profile.client_approved = true;
            },
            |s| s.account.profile.client_approved = false,
            "account CHK-1 is non-discretionary and the client has not approved this rebalance: buy of BBB refused",
        ),
        case(
            "ACCT.AML_HOLD",
            |_| {},
            |s| s.account.profile.aml_hold = true,
            "anti-money-laundering review hold: buy of 500 BBB refused",
        ),
        case(
            "ACCT.RETURNED_MAIL",
            |_| {},
            |s| s.account.profile.returned_mail = true,
            "returned undeliverable: no new purchases (500 of BBB) until the address is updated",
        ),
        case(
            "ACCT.RETURNED_MAIL_DISBURSEMENT",
            |s| {
                s.trade = sell("BBB", "10", "50");
                s.account.withdrawal = dec("1000");
            },
            |s| s.account.profile.returned_mail = true,
            "sale of BBB funds a withdrawal of 1000 although mail to the owner is returned undeliverable",
        ),
        case(
            "ACCT.BACKUP_WITHHOLDING",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| s.account.profile.tax_certified = false,
            "no W-9 on file: 120.00 of the 500 proceeds of BBB (24%) will be withheld",
        ),
        case(
            "ACCT.FOREIGN_TAX_FORM_MISSING",
            |s| s.account.profile.country = "DE".into(),
            |s| s.account.profile.tax_certified = false,
            "no W-8BEN on file for a resident of DE: US-source dividends on BBB will be withheld at 30%",
        ),
        case(
            "ACCT.KYC_STALE",
            |s| s.account.profile.kyc_reviewed = Some(date("2023-11-27")),
            |s| s.account.profile.kyc_reviewed = Some(date("2023-11-26")),
            "was last reviewed on 2023-11-26, more than 36 months before 2026-11-27",
        ),
        case(
            "ACCT.TRUSTED_CONTACT_MISSING",
            |s| {
                s.account.profile.birth_date = Some(date("1950-01-01"));
                s.trade = sell("BBB", "10", "50");
            },
            |s| s.account.profile.trusted_contact = false,
            "the owner of account CHK-1 is 76 and has no trusted contact person on file",
        ),
        case(
            "ACCT.SENIOR_LARGE_WITHDRAWAL",
            |s| {
                s.account.profile.birth_date = Some(date("1950-01-01"));
                s.trade = sell("BBB", "10", "50");
                s.account.withdrawal = dec("5000");
            },
            |s| s.account.withdrawal = dec("20000"),
            "client aged 76 is withdrawing 20000, 40% of the account's 50000 (review above 25%)",
        ),
        case(
            "ACCT.EXPLOITATION_HOLD_DISBURSEMENT",
            |s| {
                s.trade = sell("BBB", "10", "50");
                s.trade.reason = TradeReason::CashRaise;
            },
            |s| s.account.profile.exploitation_hold = true,
            "account CHK-1 is under a Rule 2165 hold: sale of BBB raising cash (pending withdrawal 0) refused",
        ),
        case(
            "ACCT.EXPLOITATION_HOLD",
            |_| {},
            |s| s.account.profile.exploitation_hold = true,
            "account CHK-1 is under a Rule 2165 exploitation hold: buy of 500 BBB needs the case reviewer's sign-off",
        ),
        case(
            "ACCT.MINOR_NOT_CUSTODIAL",
            |s| {
                s.account.profile.birth_date = Some(date("2012-01-01"));
                s.account.profile.custodial_until = Some(date("2033-01-01"));
            },
            |s| s.account.profile.custodial_until = None,
            "the owner of account CHK-1 is 14, under the age of majority of 18, and the account is not custodial",
        ),
        case(
            "ACCT.CUSTODIAL_MAJORITY_REACHED",
            |s| s.account.profile.custodial_until = Some(date("2027-06-01")),
            |s| s.account.profile.custodial_until = Some(date("2026-11-01")),
            "the custodianship of account CHK-1 ended on 2026-11-01",
        ),
        case(
            "ACCT.CUSTODIAL_ENDING_SOON",
            |s| s.account.profile.custodial_until = Some(date("2028-01-01")),
            |s| s.account.profile.custodial_until = Some(date("2027-01-26")),
            "ends on 2027-01-26, in 60 days: the buy of BBB will pass to the beneficiary",
        ),
        case(
            "ACCT.CUSTODIAL_TERMINATION_AGE",
            |s| {
                s.account.profile.birth_date = Some(date("2010-05-01"));
                s.account.profile.custodial_until = Some(date("2031-05-01"));
            },
            |s| s.account.profile.custodial_until = Some(date("2040-05-01")),
            "custodianship ends on 2040-05-01, at age 30 of a beneficiary born 2010-05-01",
        ),
        case(
            "ACCT.CUSTODIAL_MARGIN",
            |s| s.account.profile.custodial_until = Some(date("2030-01-01")),
            |s| s.account.profile.margin = true,
            "custodial account CHK-1 has a margin agreement: buy of BBB refused",
        ),
        case(
            "ACCT.CUSTODIAL_WITHDRAWAL",
            |s| {
                s.trade = sell("BBB", "10", "50");
                s.account.withdrawal = dec("1000");
            },
            |s| s.account.profile.custodial_until = Some(date("2030-01-01")),
            "funds a withdrawal of 1000 from custodial account CHK-1 (custodianship until 2030-01-01)",
        ),
        case(
            "ACCT.MARGIN_IN_RETIREMENT",
            |s| s.account.account_type = AccountType::TraditionalIra,
            |s| s.account.profile.margin = true,
            "retirement account CHK-1 carries a margin agreement: buy of BBB refused",
        ),
        case(
            "ACCT.ERISA_EMPLOYER_SECURITIES",
            |s| {
                s.book.add("EMP", SecurityKind::Equity, "10").profile.issuer = "Acme".into();
                s.account.account_type = AccountType::Qualified;
                s.account.profile.erisa = true;
                s.account.profile.plan_sponsor = "Acme".into();
                s.trade = buy("EMP", "10", "10");
            },
            |s| s.trade = buy("EMP", "600", "10"),
            "securities of the plan sponsor Acme would be 12% of the plan account (limit 10%)",
        ),
        case(
            "ACCT.ERISA_TAXABLE_REGISTRATION",
            |_| {},
            |s| s.account.profile.erisa = true,
            "account CHK-1 is flagged as an ERISA plan but registered as an individual taxable account",
        ),
        case(
            "ACCT.FOREIGN_RESIDENT_US_FUND",
            |s| {
                s.book.add("FND", SecurityKind::MutualFund, "10");
                s.trade = buy("FND", "10", "10");
            },
            |s| s.account.profile.country = "FR".into(),
            "the owner of account CHK-1 resides in FR: the US mutual fund FND may not be offered there",
        ),
        case(
            "ACCT.INVALID_STATE",
            |s| s.account.profile.state = "NY".into(),
            |s| s.account.profile.state = "XY".into(),
            "state of residence \"XY\" of account CHK-1 is not a US state or territory code",
        ),
        case(
            "ACCT.RESIDENCE_CONFLICT",
            |s| s.account.profile.state = "NY".into(),
            |s| s.account.profile.country = "CA".into(),
            "account CHK-1 gives the US state NY and the country CA as residence",
        ),
        case(
            "ACCT.AGE_IMPLAUSIBLE",
            |s| s.account.profile.birth_date = Some(date("1930-01-01")),
            |s| s.account.profile.birth_date = Some(date("1910-01-01")),
            "the owner of account CHK-1 would be 116 (born 1910-01-01)",
        ),
        case(
            "ACCT.NEW_ACCOUNT_LIQUIDATION",
            |s| {
                s.account.profile.opened = Some(date("2026-11-17"));
                s.trade = sell("BBB", "10", "50");
            },
            |s| {
                s.trade = sell("AAA", "200", "100");
                s.others.push(sell("BBB", "200", "50"));
            },
            "account CHK-1 opened 10 days ago and this batch sells 30000, 60% of its 50000 (review from 50%)",
        ),
    ]
}
