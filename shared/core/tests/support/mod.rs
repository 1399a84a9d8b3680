//! Small builders for hand-written books in the engine's tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use ballast_core::book::{Reference, ReferenceFile};
use ballast_core::*;
use chrono::{NaiveDate, TimeZone, Utc};

pub const TRADE_DATE: &str = "2026-11-27";

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

pub fn dec(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

pub fn security(id: &str, kind: SecurityKind) -> Security {
    Security {
        id: id.into(),
        name: format!("{id} test security"),
        kind,
        fractional: kind == SecurityKind::MutualFund,
        fraction_scale: 3,
        restricted: false,
        complex_product: false,
        wash_sale_group: None,
        asset_class: "equity".into(),
        profile: SecurityProfile::default(),
    }
}

pub struct Book {
    pub securities: Vec<Security>,
    pub prices: Vec<(String, Decimal)>,
    pub models: Vec<ModelPortfolio>,
    pub substitutes: BTreeMap<String, Vec<String>>,
    pub lists: ComplianceLists,
    pub venues: Vec<Venue>,
}

impl Book {
    pub fn new() -> Self {
        Book {
            securities: Vec::new(),
            prices: Vec::new(),
            models: Vec::new(),
            substitutes: BTreeMap::new(),
            lists: ComplianceLists::default(),
            venues: Vec::new(),
        }
    }

    /// Adds an exchange-traded security with a price.
    pub fn etf(mut self, id: &str, price: &str) -> Self {
        self.securities.push(security(id, SecurityKind::Etf));
        self.prices.push((id.into(), dec(price)));
        self
    }

    /// Adds a security of any kind with a price; returns it for further set-up.
    pub fn add(&mut self, id: &str, kind: SecurityKind, price: &str) -> &mut Security {
        self.securities.push(security(id, kind));
        self.prices.push((id.into(), dec(price)));
        self.securities.last_mut().expect("just pushed")
    }

    /// The security with this id, for changes.
    pub fn get(&mut self, id: &str) -> &mut Security {
        self.securities.iter_mut().find(|s| s.id == id).expect("security in the test book")
    }

    pub fn substitute(mut self, of: &str, sub: &str) -> Self {
        self.substitutes.entry(of.into()).or_default().push(sub.into());
        self
    }

    /// A model with `(security, weight)` holdings, a cash weight and an absolute band.
    pub fn model(mut self, id: &str, cash: &str, holdings: &[(&str, &str)], band_abs: &str, band_rel: &str) -> Self {
        self.models.push(ModelPortfolio {
            id: id.into(),
            name: id.into(),
            cash_weight: dec(cash),
            holdings: holdings.iter().map(|(s, w)| ModelHolding { security: s.to_string(), weight: dec(w) }).collect(),
            sleeves: Vec::new(),
            bands: ToleranceBands { absolute: dec(band_abs), relative: dec(band_rel) },
            min_trade: dec("50"),
        });
        self
    }

    pub fn file(&self) -> ReferenceFile {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 27, 21, 0, 0).unwrap();
        ReferenceFile {
            trade_date: date(TRADE_DATE),
            securities: self.securities.clone(),
            prices: self.prices.iter().map(|(s, p)| Price { security: s.clone(), price: *p, as_of }).collect(),
            models: self.models.clone(),
            substitutes: self.substitutes.clone(),
            lists: self.lists.clone(),
            venues: self.venues.clone(),
            check_parameters: Vec::new(),
        }
    }

    pub fn reference(&self) -> Reference {
        let (r, problems) = Reference::build(self.file());
        assert!(problems.is_empty(), "test reference has problems: {problems:?}");
        r
    }
}

pub fn account(id: &str, account_type: AccountType, model: &str, cash: &str) -> Account {
    Account {
        id: id.into(),
        household: "HH-1".into(),
        account_type,
        status: AccountStatus::Active,
        model: model.into(),
        cash: dec(cash),
        cash_reserve: Decimal::ZERO,
        withdrawal: Decimal::ZERO,
        allows_fractional: false,
        off_model_policy: OffModelPolicy::Sell,
        restrictions: Vec::new(),
        tax: TaxSettings::default(),
        positions: Vec::new(),
        recent_trades: Vec::new(),
        profile: ClientProfile::default(),
    }
}

/// Adds a position made of `(quantity, basis per share, acquired)` lots.
pub fn hold(a: &mut Account, security: &str, lots: &[(&str, &str, &str)]) {
    a.positions.push(Position {
        security: security.into(),
        lots: lots
            .iter()
            .enumerate()
            .map(|(i, (q, b, d))| TaxLot {
                id: format!("{security}-{}", i + 1),
                quantity: dec(q),
                cost_basis: dec(b),
                acquired: date(d),
            })
            .collect(),
    });
}

/// The single trade in `security` on `side`, if any.
pub fn trade<'a>(r: &'a AccountResult, security: &str, side: Side) -> Option<&'a ProposedTrade> {
    let mut it = r.trades.iter().filter(|t| t.security == security && t.side == side);
    let t = it.next();
    assert!(it.next().is_none(), "more than one {side:?} of {security}");
    t
}

/// Tiny deterministic generator so one proptest-chosen seed spans a whole book.
pub struct Gen(pub u64);
impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}
