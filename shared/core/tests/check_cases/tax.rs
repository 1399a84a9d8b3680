#[allow(unused_imports)]
use crate::*;

/// A sale relieving `(lot id, quantity, basis, acquired)` lots, with proceeds, gains and
/// terms computed as the rebalancer does.
fn relieving(mut t: ProposedTrade, lots: &[(&str, &str, &str, &str)]) -> ProposedTrade {
    for &(id, q, basis, acquired) in lots {
        let (q, basis, acquired) = (dec(q), dec(basis), date(acquired));
        let term = Term::of_sale(acquired, date(TRADE_DATE));
        let gain = q * (t.price - basis);
        match term {
            Term::ShortTerm => t.short_term_gain += gain,
            Term::LongTerm => t.long_term_gain += gain,
        }
        t.lots.push(LotRelief {
            lot_id: id.into(),
            acquired,
            quantity: q,
            cost_basis: basis,
            proceeds: q * t.price,
            gain,
            term,
        });
    }
    t
}

/// Adds a lot to the account's position in `security`.
fn add_lot(s: &mut Scenario, security: &str, id: &str, quantity: &str, basis: &str, acquired: &str) {
    let p = s.account.positions.iter_mut().find(|p| p.security == security).expect("held");
    p.lots.push(TaxLot { id: id.into(), quantity: dec(quantity), cost_basis: dec(basis), acquired: date(acquired) });
}

fn harvest(t: ProposedTrade) -> ProposedTrade {
    ProposedTrade { reason: TradeReason::TaxLossHarvest, ..t }
}

/// The plain sale of 10 BBB from its first lot (basis 40, long-term): a gain of 100.
fn sell_bbb() -> ProposedTrade {
    relieving(sell("BBB", "10", "50"), &[("BBB-1", "10", "40", "2020-01-02")])
}

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
        case(
            "TAX.NEAR_LONG_TERM",
            |s| {
                add_lot(s, "BBB", "BBB-2", "100", "40", "2026-06-01");
                s.trade = relieving(sell("BBB", "100", "50"), &[("BBB-2", "100", "40", "2026-06-01")]);
            },
            |s| {
                s.account.positions[1].lots[1].acquired = date("2025-12-10");
                s.trade = relieving(sell("BBB", "100", "50"), &[("BBB-2", "100", "40", "2025-12-10")]);
            },
            "sale of BBB realizes a short-term gain of 1000 on lots that turn long-term in 14 days (on 2026-12-11); waiting would save about 170.00 in tax",
        ),
        case(
            "TAX.GAIN_LOTS_BEFORE_LOSS_LOTS",
            |s| {
                add_lot(s, "BBB", "BBB-2", "50", "60", "2024-03-01");
                s.trade = relieving(sell("BBB", "10", "50"), &[("BBB-2", "10", "60", "2024-03-01")]);
            },
            |s| s.trade = sell_bbb(),
            "sale of BBB realizes 100 of gains while 50 shares in lots bought above 50 (at a loss) stay unsold: the account's min-tax lot method relieves them first",
        ),
        case(
            "TAX.HARVEST_TOO_SMALL",
            |s| {
                add_lot(s, "BBB", "BBB-2", "50", "80", "2024-03-01");
                s.trade = harvest(relieving(sell("BBB", "10", "50"), &[("BBB-2", "10", "80", "2024-03-01")]));
            },
            |s| s.trade = harvest(relieving(sell("BBB", "5", "50"), &[("BBB-2", "5", "80", "2024-03-01")])),
            "tax-loss harvest of BBB realizes only 150 of losses (about 30.00 of tax saved), below the 250 that justifies the round trip and the wash-sale wait",
        ),
        case(
            "TAX.LARGE_LONG_TERM_GAIN",
            |s| s.trade = sell_bbb(),
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "150000", Term::LongTerm),
            "sale of BBB realizes a long-term gain of 150000, above 100000 (about 30000.00 of tax at 20%)",
        ),
        case(
            "TAX.BATCH_GAIN_BUDGET",
            |s| {
                s.account.tax.gain_budget = Some(dec("1000"));
                s.account.tax.realized_gains_ytd = dec("500");
                s.trade = sell_bbb();
                s.others.push(relieving(sell("AAA", "10", "100"), &[("AAA-1", "10", "80", "2020-01-02")]));
            },
            |s| s.others[0] = with_gain(sell("AAA", "10", "100"), "450", Term::LongTerm),
            "the batch's net gains of 550 bring the year's realized gains to 1050, above the budget of 1000, although this sale's gain of 100 alone fits",
        ),
        case(
            "TAX.REDEMPTION_FEE",
            |s| {
                s.book.add("MFX", SecurityKind::MutualFund, "20").profile.fund = Some(FundTerms {
                    share_class: ShareClass::I,
                    min_initial: Decimal::ZERO,
                    min_subsequent: Decimal::ZERO,
                    closed_to_new: false,
                    closed: false,
                    redemption_fee_days: 30,
                    redemption_fee: dec("0.02"),
                    front_load: Decimal::ZERO,
                    breakpoint: None,
                });
                hold(&mut s.account, "MFX", &[("100", "15", "2024-01-02"), ("50", "19", "2026-11-10")]);
                s.trade = sell("MFX", "100", "20");
            },
            |s| s.trade = sell("MFX", "120", "20"),
            "20 shares of MFX sold within its 30-day redemption-fee period (bought as late as 2026-11-10) would pay a 2% fee of about 8.00",
        ),
        case(
            "TAX.PFIC_SALE",
            |s| s.trade = sell_bbb(),
            |s| s.book.get("BBB").profile.pfic = true,
            "BBB is a passive foreign investment company: the sale's gain of 100 is taxed as ordinary income with an interest charge",
        ),
        case(
            "TAX.OUT_OF_STATE_MUNI",
            |s| {
                s.book.add("NYM", SecurityKind::Bond, "100").profile.bond = Some(BondTerms {
                    rating: Rating::Aa,
                    maturity: date("2035-01-01"),
                    call_date: None,
                    muni_state: Some("NY".into()),
                    min_denomination: Decimal::ZERO,
                });
                s.account.profile.state = "NY".into();
                s.trade = buy("NYM", "10", "100");
            },
            |s| s.account.profile.state = "NJ".into(),
            "NYM is a NY municipal bond: its interest is free of federal tax but taxed by NJ, where the client lives",
        ),
        case(
            "TAX.HARVEST_IN_TAX_DEFERRED",
            |s| {
                s.account.account_type = AccountType::TraditionalIra;
                s.trade = sell("BBB", "10", "50");
            },
            |s| s.trade = harvest(sell("BBB", "10", "50")),
            "tax-loss harvest sale of BBB in a traditional IRA account: losses in a tax-deferred account cannot be deducted",
        ),
        case(
            "TAX.MISSING_COST_BASIS",
            |s| s.trade = sell_bbb(),
            |s| {
                add_lot(s, "BBB", "BBB-2", "50", "0", "2019-05-01");
                s.trade = relieving(sell("BBB", "10", "50"), &[("BBB-2", "10", "0", "2019-05-01")]);
            },
            "a lot of BBB acquired 2019-05-01 has a zero cost basis: all 500 of its proceeds would be reported as gain",
        ),
        case(
            "TAX.LOT_QUANTITY_MISMATCH",
            |s| s.trade = sell_bbb(),
            |s| s.trade = relieving(sell("BBB", "10", "50"), &[("BBB-1", "8", "40", "2020-01-02")]),
            "lots relieved for BBB add up to 8 shares but the sale is for 10",
        ),
        case(
            "TAX.LOT_TERM_MISLABELED",
            |s| s.trade = sell_bbb(),
            |s| s.trade.lots[0].term = Term::ShortTerm,
            "lot of BBB acquired 2020-01-02 is labelled short-term but a sale on 2026-11-27 is long-term",
        ),
        case(
            "TAX.GAIN_MISCOMPUTED",
            |s| s.trade = sell_bbb(),
            |s| s.trade.lots[0].gain = dec("120"),
            "lot of BBB acquired 2020-01-02: gain 120 differs from proceeds 500 less 10 × basis 40 = 100",
        ),
        case(
            "TAX.LOT_NOT_HELD",
            |s| s.trade = sell_bbb(),
            |s| s.trade.lots[0].lot_id = "BBB-9".into(),
            "lot BBB-9 (acquired 2020-01-02) of BBB is relieved for 10 shares but the account holds 0 in it",
        ),
        case(
            "TAX.HARVEST_REALIZES_GAIN",
            |s| {
                add_lot(s, "BBB", "BBB-2", "50", "80", "2024-03-01");
                s.trade = harvest(relieving(sell("BBB", "10", "50"), &[("BBB-2", "10", "80", "2024-03-01")]));
            },
            |s| s.trade = harvest(sell_bbb()),
            "tax-loss harvest of BBB relieves lots with 100 of gains (net 100): a harvest should sell loss lots only",
        ),
        case(
            "TAX.HIGH_TAX_COST",
            |s| s.trade = sell_bbb(),
            |s| {
                add_lot(s, "BBB", "BBB-2", "100", "30", "2026-06-01");
                s.trade = relieving(sell("BBB", "100", "50"), &[("BBB-2", "100", "30", "2026-06-01")]);
            },
            "drift sale of BBB would cost about 740.00 in tax at the account's rates, 14.8% of its 5000 proceeds (limit 10%)",
        ),
        case(
            "TAX.YEAR_END_GAIN_DEFERRAL",
            |s| {
                s.trade_date = Some("2026-12-21");
                s.trade = sell_bbb();
            },
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "20000", Term::LongTerm),
            "sale of BBB on 2026-12-21 realizes a gain of 20000 10 days before the year ends: selling on or after 1 January would defer the tax by a year",
        ),
        case(
            "TAX.FOREIGN_WITHHOLDING_IN_TAX_DEFERRED",
            |s| s.account.account_type = AccountType::TraditionalIra,
            |s| s.book.get("BBB").profile.country = "DE".into(),
            "BBB is a foreign issuer: tax withheld abroad on its dividends cannot be reclaimed as a foreign tax credit in a traditional IRA account",
        ),
    ]
}
