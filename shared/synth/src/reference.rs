//! The reference data of a synthetic book: security master, closing prices, model
//! portfolios (some built from sleeves) with tolerance bands, and harvest substitutes.

use std::collections::{BTreeMap, HashSet};

use ballast_core::{
    ModelHolding, ModelPortfolio, Price, ReferenceFile, Security, SecurityKind, Sleeve, ToleranceBands,
};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::rng::{exp, ln, Rng};

mod profile;

/// Stream domain of the reference data (accounts use their own domains).
const REFERENCE_DOMAIN: u64 = 1;

/// What can be changed about a generated reference without changing its seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceOptions {
    /// The date the trades would execute; prices are that day's close.
    pub trade_date: NaiveDate,
}

/// The default trade date: Friday 27 November 2026.
pub fn default_trade_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        ReferenceOptions { trade_date: default_trade_date() }
    }
}

/// The reference data for `seed` with the default trade date.
pub fn reference(seed: u64) -> ReferenceFile {
    reference_with(seed, &ReferenceOptions::default())
}

/// The reference data for `seed`: ~600-1,000 securities, ~25-40 models.
pub fn reference_with(seed: u64, options: &ReferenceOptions) -> ReferenceFile {
    let mut b = Builder::new(Rng::stream(seed, REFERENCE_DOMAIN, 0));
    b.equities();
    b.etfs();
    b.mutual_funds();
    b.bonds();
    b.cash_equivalents();
    b.mark_restricted();
    let substitutes = b.substitutes();
    let models = b.models();
    // Compliance data last, from streams of its own: nothing above changes because of it.
    let (lists, venues) = profile::fill(&mut b, seed, options.trade_date, &models, &substitutes);
    // US equity close, 16:00 New York = 21:00 UTC in November (EST).
    let close = options.trade_date.and_time(NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default()).and_utc();
    let prices = b
        .securities
        .iter()
        .zip(&b.meta)
        .map(|(s, m)| Price { security: s.id.clone(), price: Decimal::new(m.price_cents, 2), as_of: close })
        .collect();
    ReferenceFile {
        trade_date: options.trade_date,
        securities: b.securities,
        prices,
        models,
        substitutes,
        lists,
        venues,
        check_parameters: Vec::new(),
    }
}

/// Asset classes, as written in `Security::asset_class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    UsLarge,
    UsMid,
    UsSmall,
    IntlDeveloped,
    Emerging,
    RealEstate,
    AggregateBond,
    Treasury,
    Tips,
    Municipal,
    Corporate,
    HighYield,
    Commodity,
    Cash,
}

impl Class {
    fn as_str(self) -> &'static str {
        match self {
            Class::UsLarge => "us_large_cap",
            Class::UsMid => "us_mid_cap",
            Class::UsSmall => "us_small_cap",
            Class::IntlDeveloped => "international_developed",
            Class::Emerging => "emerging_markets",
            Class::RealEstate => "real_estate",
            Class::AggregateBond => "us_aggregate_bond",
            Class::Treasury => "us_treasury",
            Class::Tips => "tips",
            Class::Municipal => "municipal_bond",
            Class::Corporate => "corporate_bond",
            Class::HighYield => "high_yield_bond",
            Class::Commodity => "commodities",
            Class::Cash => "cash",
        }
    }

    fn is_equity(self) -> bool {
        matches!(
            self,
            Class::UsLarge | Class::UsMid | Class::UsSmall | Class::IntlDeveloped | Class::Emerging | Class::RealEstate
        )
    }

    fn is_fixed_income(self) -> bool {
        matches!(
            self,
            Class::AggregateBond
                | Class::Treasury
                | Class::Tips
                | Class::Municipal
                | Class::Corporate
                | Class::HighYield
        )
    }
}

/// An index family: the funds of different issuers on it are substitutes for each other.
#[derive(Clone)]
struct Family {
    key: &'static str,
    label: &'static str,
    class: Class,
    /// Price range in dollars.
    price: (f64, f64),
    /// Families a fund can be swapped into when its own family has too few issuers.
    related: &'static [&'static str],
    /// Has leveraged and inverse versions (complex products).
    leveraged: bool,
    /// Sector of a sector fund (index into SECTORS).
    sector: Option<usize>,
}

const fn family(
    key: &'static str,
    label: &'static str,
    class: Class,
    price: (f64, f64),
    related: &'static [&'static str],
    leveraged: bool,
) -> Family {
    Family { key, label, class, price, related, leveraged, sector: None }
}

const FAMILIES: &[Family] = &[
    family("SP500", "S&P 500", Class::UsLarge, (350.0, 600.0), &["TOTUS", "LCG"], true),
    family("TOTUS", "Total US Market", Class::UsLarge, (200.0, 320.0), &["SP500"], false),
    family("LCG", "US Large Cap Growth", Class::UsLarge, (80.0, 400.0), &["NDX", "SP500"], false),
    family("LCV", "US Large Cap Value", Class::UsLarge, (60.0, 190.0), &["DIV", "SP500"], false),
    family("MID", "US Mid Cap", Class::UsMid, (50.0, 290.0), &["SMALL", "TOTUS"], false),
    family("SMALL", "US Small Cap", Class::UsSmall, (40.0, 240.0), &["MID"], true),
    family("DIV", "US Dividend", Class::UsLarge, (30.0, 130.0), &["LCV"], false),
    family("NDX", "Nasdaq-100", Class::UsLarge, (300.0, 560.0), &["LCG"], true),
    family("DEV", "Developed ex-US", Class::IntlDeveloped, (40.0, 80.0), &["TINTL"], false),
    family("EM", "Emerging Markets", Class::Emerging, (35.0, 60.0), &["TINTL"], true),
    family("TINTL", "Total International", Class::IntlDeveloped, (50.0, 75.0), &["DEV"], false),
    family("REIT", "US REIT", Class::RealEstate, (80.0, 100.0), &["DIV"], false),
    family("AGG", "US Aggregate Bond", Class::AggregateBond, (90.0, 105.0), &["ITT", "IGC"], false),
    family("STT", "Short-Term Treasury", Class::Treasury, (55.0, 60.0), &["ITT"], false),
    family("ITT", "Intermediate Treasury", Class::Treasury, (55.0, 110.0), &["STT", "AGG"], false),
    family("LTT", "Long-Term Treasury", Class::Treasury, (85.0, 100.0), &["ITT"], true),
    family("TIPS", "TIPS", Class::Tips, (45.0, 110.0), &["ITT"], false),
    family("MUNI", "National Municipal Bond", Class::Municipal, (48.0, 110.0), &["MUNIS"], false),
    family("MUNIS", "Short-Term Municipal Bond", Class::Municipal, (48.0, 52.0), &["MUNI"], false),
    family("IGC", "Investment Grade Corporate", Class::Corporate, (50.0, 110.0), &["AGG"], false),
    family("HY", "High Yield Corporate", Class::HighYield, (75.0, 95.0), &["IGC"], false),
    family("GOLD", "Gold", Class::Commodity, (180.0, 260.0), &["COMM"], false),
    family("COMM", "Broad Commodities", Class::Commodity, (15.0, 30.0), &["GOLD"], false),
    family("TBILL", "Treasury Bill", Class::Cash, (45.0, 100.0), &["STT"], false),
];

const SECTORS: &[&str] = &[
    "Technology",
    "Health Care",
    "Financials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Industrials",
    "Energy",
    "Utilities",
    "Materials",
    "Communication Services",
    "Real Estate",
];
const REAL_ESTATE_SECTOR: usize = 10;
/// Sectors whose stocks dividend sleeves favour.
const INCOME_SECTORS: &[usize] = &[2, 4, 6, 7, 10];

const ISSUERS: &[(&str, &str)] = &[
    ("NF", "Northfield"),
    ("HV", "Harborview"),
    ("SM", "Summit"),
    ("KS", "Keystone"),
    ("MR", "Meridian"),
    ("PC", "Pinecrest"),
    ("GP", "Granite Peak"),
    ("AT", "Atlas"),
];

const NAME_FIRST: &[&str] = &[
    "Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Golden", "Harbor", "Iron", "Juniper", "Kestrel", "Lumen",
    "Maple", "North", "Orion", "Pacific", "Quarry", "River", "Silver", "Tidal", "Union", "Vertex", "Willow", "Zenith",
    "Atlas", "Beacon", "Crescent", "Summit", "Prairie", "Granite",
];
const NAME_SECOND: &[&[&str]] = &[
    &["Software", "Semiconductor", "Networks", "Data", "Cloud"],
    &["Therapeutics", "Health", "Medical", "Biosciences", "Diagnostics"],
    &["Bancorp", "Financial", "Capital", "Insurance", "Trust"],
    &["Retail", "Brands", "Motors", "Leisure", "Apparel"],
    &["Foods", "Beverage", "Household", "Grocers", "Farms"],
    &["Industries", "Aerospace", "Machinery", "Logistics", "Rail"],
    &["Energy", "Petroleum", "Midstream", "Drilling", "Resources"],
    &["Power", "Electric", "Water", "Gas", "Utilities"],
    &["Chemicals", "Steel", "Mining", "Materials", "Packaging"],
    &["Media", "Telecom", "Wireless", "Studios", "Broadcasting"],
    &["Realty", "Properties", "Residential", "Storage", "Towers"],
];
const NAME_SUFFIX: &[&str] = &["Inc.", "Corp.", "Holdings", "Group", "Co.", "plc"];
const CITIES: &[(&str, &str)] = &[
    ("New York City", "NY"),
    ("Chicago", "IL"),
    ("Houston", "TX"),
    ("Phoenix", "AZ"),
    ("Denver", "CO"),
    ("Seattle", "WA"),
    ("Boston", "MA"),
    ("Atlanta", "GA"),
    ("Columbus", "OH"),
    ("Nashville", "TN"),
    ("Portland", "OR"),
    ("Charlotte", "NC"),
];

/// What the generator knows about a security beyond the master record.
#[derive(Debug, Clone)]
struct Meta {
    class: Class,
    sector: Option<usize>,
    /// Index into FAMILIES or the sector families for funds.
    family: Option<usize>,
    /// May appear in a model (not complex, not restricted, not a twin or money market).
    eligible: bool,
    price_cents: i64,
}

struct Builder {
    rng: Rng,
    used: HashSet<String>,
    securities: Vec<Security>,
    meta: Vec<Meta>,
    /// All index families: FAMILIES followed by one per sector (except real estate).
    families: Vec<Family>,
    /// Funds per family: the first share class of each issuer's fund.
    family_funds: Vec<Vec<usize>>,
    /// Other share classes of a fund (same wash-sale group), keyed by the first class.
    twins: Vec<(usize, usize)>,
}

impl Builder {
    fn new(rng: Rng) -> Self {
        let mut families: Vec<Family> = FAMILIES.to_vec();
        for (i, s) in SECTORS.iter().enumerate().take(REAL_ESTATE_SECTOR) {
            families.push(Family {
                key: "SECTOR",
                label: s,
                class: Class::UsLarge,
                price: (40.0, 250.0),
                related: &[],
                leveraged: false,
                sector: Some(i),
            });
        }
        let n = families.len();
        Builder {
            rng,
            used: HashSet::new(),
            securities: Vec::new(),
            meta: Vec::new(),
            families,
            family_funds: vec![Vec::new(); n],
            twins: Vec::new(),
        }
    }

    /// A unique symbol of `len` letters, optionally ending in `suffix` (mutual funds end in X).
    fn ticker(&mut self, len: usize, suffix: Option<char>) -> String {
        loop {
            let body = if suffix.is_some() { len - 1 } else { len };
            let mut t: String = (0..body).map(|_| (b'A' + self.rng.below(26) as u8) as char).collect();
            if let Some(c) = suffix {
                t.push(c);
            }
            if self.used.insert(t.clone()) {
                return t;
            }
        }
    }

    /// A unique CUSIP-like identifier (9 characters) with a fixed issuer prefix or a random one.
    fn cusip(&mut self, prefix: Option<&str>) -> String {
        const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        loop {
            let mut id = String::with_capacity(9);
            match prefix {
                Some(p) => id.push_str(p),
                None => (0..6).for_each(|_| id.push(ALNUM[self.rng.index(ALNUM.len())] as char)),
            }
            while id.len() < 8 {
                id.push(ALNUM[self.rng.index(ALNUM.len())] as char);
            }
            id.push((b'0' + self.rng.below(10) as u8) as char);
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }

    /// Price in cents, log-uniform over `range` dollars.
    fn price_cents(&mut self, range: (f64, f64)) -> i64 {
        let (lo, hi) = (ln(range.0), ln(range.1));
        ((exp(self.rng.uniform(lo, hi)) * 100.0).round() as i64).max(1)
    }

    fn push(&mut self, security: Security, meta: Meta) -> usize {
        self.securities.push(security);
        self.meta.push(meta);
        self.securities.len() - 1
    }

    fn security(id: String, name: String, kind: SecurityKind, class: Class) -> Security {
        let fractional = matches!(kind, SecurityKind::MutualFund) || (kind == SecurityKind::CashEquivalent);
        Security {
            id,
            name,
            kind,
            fractional,
            fraction_scale: 3,
            restricted: false,
            complex_product: false,
            wash_sale_group: None,
            asset_class: class.as_str().to_string(),
            profile: Default::default(),
        }
    }

    fn equities(&mut self) {
        let n = self.rng.range(440, 600);
        for _ in 0..n {
            let sector = self.rng.index(SECTORS.len());
            let class = match self.rng.weighted(&[42, 28, 20, 7, 3]) {
                0 => Class::UsLarge,
                1 => Class::UsMid,
                2 => Class::UsSmall,
                3 => Class::IntlDeveloped,
                _ => Class::Emerging,
            };
            let class = if sector == REAL_ESTATE_SECTOR && class.is_equity() && self.rng.chance(0.5) {
                Class::RealEstate
            } else {
                class
            };
            let len = [2, 3, 3, 4, 4, 4][self.rng.index(6)];
            let id = self.ticker(len, None);
            let first = NAME_FIRST[self.rng.index(NAME_FIRST.len())];
            let second = NAME_SECOND[sector][self.rng.index(NAME_SECOND[sector].len())];
            let suffix = NAME_SUFFIX[self.rng.index(NAME_SUFFIX.len())];
            let name = if matches!(class, Class::IntlDeveloped | Class::Emerging) {
                format!("{first} {second} {suffix} ADR")
            } else {
                format!("{first} {second} {suffix}")
            };
            let price_cents = self.price_cents((5.0, 600.0));
            let s = Builder::security(id, name, SecurityKind::Equity, class);
            self.push(s, Meta { class, sector: Some(sector), family: None, eligible: true, price_cents });
        }
    }

    fn etfs(&mut self) {
        for f in 0..self.families.len() {
            let (label, class, price, leveraged, sector, key) = {
                let fam = &self.families[f];
                (fam.label, fam.class, fam.price, fam.leveraged, fam.sector, fam.key)
            };
            let mut issuers: Vec<usize> = (0..ISSUERS.len()).collect();
            self.rng.shuffle(&mut issuers);
            let count = if sector.is_some() || class == Class::Cash { 2 } else { self.rng.range(2, 4) as usize };
            for &issuer in issuers.iter().take(count) {
                let (code, issuer_name) = ISSUERS[issuer];
                let group_key = match sector {
                    Some(s) => format!("{code}-SECTOR{s}"),
                    None => format!("{code}-{key}"),
                };
                let len = if self.rng.chance(0.7) { 3 } else { 4 };
                let id = self.ticker(len, None);
                let name = match sector {
                    Some(_) => format!("{issuer_name} {label} Sector ETF"),
                    None => format!("{issuer_name} {label} ETF"),
                };
                let price_cents = self.price_cents(price);
                let mut s = Builder::security(id, name, SecurityKind::Etf, class);
                let twin_etf = self.rng.chance(0.2);
                let twin_fund = class != Class::Cash && self.rng.chance(0.3);
                if twin_etf || twin_fund {
                    s.wash_sale_group = Some(group_key.clone());
                }
                let main = self.push(s, Meta { class, sector, family: Some(f), eligible: true, price_cents });
                self.family_funds[f].push(main);
                if twin_etf {
                    // A second, cheaper share class of the same fund: substantially identical.
                    let id = self.ticker(4, None);
                    let mut t = Builder::security(
                        id,
                        format!("{issuer_name} {label} ETF, Low-Cost Class"),
                        SecurityKind::Etf,
                        class,
                    );
                    t.wash_sale_group = Some(group_key.clone());
                    let price_cents = self.price_cents(price);
                    let twin = self.push(t, Meta { class, sector, family: Some(f), eligible: false, price_cents });
                    self.twins.push((main, twin));
                }
                if twin_fund {
                    // The mutual-fund share class of the same index fund.
                    let id = self.ticker(5, Some('X'));
                    let mut t = Builder::security(
                        id,
                        format!("{issuer_name} {label} Index Fund Admiral Shares"),
                        SecurityKind::MutualFund,
                        class,
                    );
                    t.wash_sale_group = Some(group_key);
                    let price_cents = self.price_cents((20.0, 300.0));
                    let twin = self.push(t, Meta { class, sector, family: Some(f), eligible: true, price_cents });
                    self.twins.push((main, twin));
                }
            }
            if leveraged {
                self.leveraged(f, label, class);
            }
        }
    }

    /// Daily-reset leveraged and inverse funds: complex products, never in a model.
    fn leveraged(&mut self, family: usize, label: &str, class: Class) {
        const VERSIONS: &[&str] = &["2x", "3x", "-1x", "-2x"];
        let count = self.rng.range(2, 4) as usize;
        let mut versions: Vec<&str> = VERSIONS.to_vec();
        self.rng.shuffle(&mut versions);
        for v in versions.into_iter().take(count) {
            let issuer = ISSUERS[self.rng.index(ISSUERS.len())].1;
            let kind = if v.starts_with('-') { "Inverse" } else { "Ultra" };
            let id = self.ticker(4, None);
            let mut s =
                Builder::security(id, format!("{issuer} {kind} {label} {v} Daily ETF"), SecurityKind::Etf, class);
            s.complex_product = true;
            let price_cents = self.price_cents((10.0, 120.0));
            self.push(s, Meta { class, sector: None, family: Some(family), eligible: false, price_cents });
        }
    }

    fn mutual_funds(&mut self) {
        const STYLES: &[(&str, Class)] = &[
            ("Growth", Class::UsLarge),
            ("Equity Income", Class::UsLarge),
            ("Blue Chip", Class::UsLarge),
            ("Mid Cap Opportunities", Class::UsMid),
            ("Small Cap Value", Class::UsSmall),
            ("International Growth", Class::IntlDeveloped),
            ("Emerging Markets Opportunities", Class::Emerging),
            ("Real Estate Securities", Class::RealEstate),
            ("Core Bond", Class::AggregateBond),
            ("Total Return Bond", Class::AggregateBond),
            ("Government Securities", Class::Treasury),
            ("Inflation-Protected", Class::Tips),
            ("Tax-Exempt Bond", Class::Municipal),
            ("Corporate Bond", Class::Corporate),
            ("High Income", Class::HighYield),
        ];
        let n = self.rng.range(45, 70);
        for _ in 0..n {
            let (style, class) = STYLES[self.rng.index(STYLES.len())];
            let issuer = ISSUERS[self.rng.index(ISSUERS.len())];
            let id = self.ticker(5, Some('X'));
            let mut s = Builder::security(
                id,
                format!("{} {style} Fund Investor Class", issuer.1),
                SecurityKind::MutualFund,
                class,
            );
            let price_cents = self.price_cents((10.0, 150.0));
            let twin = self.rng.chance(0.25);
            if twin {
                s.wash_sale_group = Some(format!("{}-{}", issuer.0, s.id));
            }
            let group = s.wash_sale_group.clone();
            let main = self.push(s, Meta { class, sector: None, family: None, eligible: true, price_cents });
            if twin {
                let id = self.ticker(5, Some('X'));
                let mut t = Builder::security(
                    id,
                    format!("{} {style} Fund Institutional Class", issuer.1),
                    SecurityKind::MutualFund,
                    class,
                );
                t.wash_sale_group = group;
                let price_cents = (price_cents as f64 * self.rng.uniform(0.97, 1.03)).round() as i64;
                let twin = self.push(
                    t,
                    Meta { class, sector: None, family: None, eligible: false, price_cents: price_cents.max(1) },
                );
                self.twins.push((main, twin));
            }
        }
    }

    fn bonds(&mut self) {
        const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let n = self.rng.range(60, 90);
        for _ in 0..n {
            let class = match self.rng.weighted(&[35, 45, 20]) {
                0 => Class::Treasury,
                1 => Class::Municipal,
                _ => Class::Corporate,
            };
            let coupon_eighths = self.rng.range(8, 44); // 1.000 % to 5.500 %
            let coupon = Decimal::new(coupon_eighths * 125, 3);
            let year = self.rng.range(2027, 2055);
            let month = MONTHS[self.rng.index(12)];
            let (id, name) = match class {
                Class::Treasury => {
                    (self.cusip(Some("91282C")), format!("US Treasury Note {coupon}% 15-{month}-{year}"))
                }
                Class::Municipal => {
                    let (city, state) = CITIES[self.rng.index(CITIES.len())];
                    let kind = if self.rng.chance(0.5) { "GO" } else { "Revenue" };
                    (self.cusip(None), format!("{city} {state} {kind} {coupon}% 01-{month}-{year}"))
                }
                _ => {
                    let first = NAME_FIRST[self.rng.index(NAME_FIRST.len())];
                    let sector = self.rng.index(SECTORS.len());
                    let second = NAME_SECOND[sector][self.rng.index(NAME_SECOND[sector].len())];
                    (self.cusip(None), format!("{first} {second} Corp. {coupon}% Senior Notes {month}-{year}"))
                }
            };
            let price_cents = self.price_cents((85.0, 112.0));
            let s = Builder::security(id, name, SecurityKind::Bond, class);
            self.push(s, Meta { class, sector: None, family: None, eligible: true, price_cents });
        }
    }

    fn cash_equivalents(&mut self) {
        for (issuer, label) in [(0, "Treasury Money Market"), (3, "Government Money Market"), (6, "Prime Money Market")]
        {
            let id = self.ticker(5, Some('X'));
            let s = Builder::security(
                id,
                format!("{} {label} Fund", ISSUERS[issuer].1),
                SecurityKind::CashEquivalent,
                Class::Cash,
            );
            // Money market funds hold a stable $1.00 NAV.
            self.push(s, Meta { class: Class::Cash, sector: None, family: None, eligible: false, price_cents: 100 });
        }
    }

    /// Puts a few securities on the firm's restricted list; models never hold them.
    fn mark_restricted(&mut self) {
        let mut marked = 0;
        let target = self.rng.range(4, 7);
        while marked < target {
            let i = self.rng.index(self.securities.len());
            let s = &self.securities[i];
            if s.restricted
                || s.complex_product
                || s.wash_sale_group.is_some()
                || !matches!(s.kind, SecurityKind::Equity | SecurityKind::Etf)
            {
                continue;
            }
            // Keep each family with at least two model-eligible funds.
            if let Some(f) = self.meta[i].family {
                let eligible = self.family_funds[f].iter().filter(|&&j| self.meta[j].eligible).count();
                if eligible <= 2 {
                    continue;
                }
            }
            self.securities[i].restricted = true;
            self.meta[i].eligible = false;
            marked += 1;
        }
    }

    fn substitutes(&mut self) -> BTreeMap<String, Vec<String>> {
        let mut subs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let usable = |b: &Builder, j: usize| b.meta[j].eligible && !b.securities[j].restricted;
        let mut by_sector_class: BTreeMap<(usize, &'static str), Vec<usize>> = BTreeMap::new();
        for (i, m) in self.meta.iter().enumerate() {
            if self.securities[i].kind == SecurityKind::Equity && m.eligible {
                by_sector_class.entry((m.sector.unwrap_or(0), m.class.as_str())).or_default().push(i);
            }
        }
        for i in 0..self.securities.len() {
            let m = self.meta[i].clone();
            let s = &self.securities[i];
            if s.complex_product || s.restricted || s.kind == SecurityKind::CashEquivalent {
                continue;
            }
            let group = s.wash_group().to_string();
            let mut list: Vec<usize> = Vec::new();
            match (s.kind, m.family) {
                (SecurityKind::Etf | SecurityKind::MutualFund, Some(f)) => {
                    let mut own: Vec<usize> =
                        self.family_funds[f].iter().copied().filter(|&j| usable(self, j)).collect();
                    self.rng.shuffle(&mut own);
                    list.extend(own.into_iter().filter(|&j| self.securities[j].wash_group() != group));
                    let want = if self.rng.chance(0.6) { 2 } else { 1 };
                    if list.len() < want {
                        for rel in self.families[f].related {
                            if let Some(rf) = self.families.iter().position(|x| x.key == *rel) {
                                if let Some(&j) = self.family_funds[rf].iter().find(|&&j| usable(self, j)) {
                                    list.push(j);
                                }
                            }
                        }
                    }
                    list.truncate(want);
                }
                (SecurityKind::Equity, _) => {
                    if !self.rng.chance(0.9) {
                        continue;
                    }
                    let sector = m.sector.unwrap_or(0);
                    let peers: Vec<usize> = by_sector_class
                        .get(&(sector, m.class.as_str()))
                        .map(|v| v.iter().copied().filter(|&j| j != i).collect())
                        .unwrap_or_default();
                    if let Some(&p) = self.rng.choose(&peers) {
                        list.push(p);
                    }
                    let sector_family = self.families.iter().position(|x| x.sector == Some(sector));
                    let sector_etf =
                        sector_family.and_then(|f| self.family_funds[f].iter().copied().find(|&j| usable(self, j)));
                    match sector_etf {
                        Some(e) if self.rng.chance(0.4) => list.push(e),
                        _ => {
                            if let Some(&p) = self.rng.choose(&peers) {
                                if !list.contains(&p) {
                                    list.push(p);
                                }
                            }
                        }
                    }
                }
                (SecurityKind::MutualFund, None) | (SecurityKind::Bond, _) => {
                    let p = if s.kind == SecurityKind::Bond { 0.6 } else { 0.85 };
                    if !self.rng.chance(p) {
                        continue;
                    }
                    let same: Vec<usize> = (0..self.securities.len())
                        .filter(|&j| {
                            j != i
                                && usable(self, j)
                                && self.meta[j].class == m.class
                                && self.securities[j].wash_group() != group
                                && (s.kind == SecurityKind::Bond) == (self.securities[j].kind == SecurityKind::Bond)
                        })
                        .collect();
                    if let Some(&j) = self.rng.choose(&same) {
                        list.push(j);
                    }
                }
                _ => {}
            }
            list.retain(|&j| j != i && self.securities[j].wash_group() != group);
            if !list.is_empty() {
                subs.insert(s.id.clone(), list.iter().map(|&j| self.securities[j].id.clone()).collect());
            }
        }
        // Twins share their main class's substitutes (they are the same fund).
        for &(main, twin) in &self.twins {
            if let Some(list) = subs.get(&self.securities[main].id).cloned() {
                subs.insert(self.securities[twin].id.clone(), list);
            }
        }
        subs
    }

    fn bands_and_min_trade(&mut self) -> (ToleranceBands, Decimal) {
        let bands = match self.rng.weighted(&[70, 15, 10, 5]) {
            0 => ToleranceBands { absolute: Decimal::new(2, 2), relative: Decimal::new(25, 2) },
            1 => ToleranceBands { absolute: Decimal::new(3, 2), relative: Decimal::new(20, 2) },
            2 => ToleranceBands { absolute: Decimal::new(1, 2), relative: Decimal::new(30, 2) },
            _ => ToleranceBands { absolute: Decimal::new(5, 2), relative: Decimal::new(50, 2) },
        };
        let min_trade = Decimal::from([50, 50, 50, 50, 25, 100, 100][self.rng.index(7)]);
        (bands, min_trade)
    }

    /// Picks up to `count` model-eligible securities matching `pred`, one per wash-sale group
    /// and not already in `taken`.
    fn pick(&mut self, count: usize, taken: &mut Vec<usize>, pred: impl Fn(&Security, &Meta) -> bool) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..self.securities.len())
            .filter(|&i| self.meta[i].eligible && pred(&self.securities[i], &self.meta[i]) && !taken.contains(&i))
            .collect();
        self.rng.shuffle(&mut pool);
        let mut out = Vec::with_capacity(count);
        for i in pool {
            if out.len() == count {
                break;
            }
            let g = self.securities[i].wash_group();
            if taken.iter().any(|&t| self.securities[t].wash_group() == g) {
                continue;
            }
            taken.push(i);
            out.push(i);
        }
        out
    }

    /// Relative size of a holding inside its group: funds are core positions, stocks and
    /// bonds satellites.
    fn score(&mut self, i: usize) -> f64 {
        let base = match self.securities[i].kind {
            SecurityKind::Etf => 4.0,
            SecurityKind::MutualFund => 3.0,
            SecurityKind::Bond => 1.5,
            _ => 1.0,
        };
        base * self.rng.log_normal(0.0, 0.45)
    }

    /// A plain model: holdings in groups sharing `groups[k].1` basis points each.
    fn holdings(&mut self, groups: &[(Vec<usize>, i64)]) -> Vec<ModelHolding> {
        let mut out = Vec::new();
        for (members, bp) in groups {
            let scores: Vec<f64> = members.iter().map(|&i| self.score(i)).collect();
            for (k, w) in split_basis_points(*bp, &scores).into_iter().enumerate() {
                out.push(ModelHolding { security: self.securities[members[k]].id.clone(), weight: Decimal::new(w, 4) });
            }
        }
        out.sort_by(|a, b| a.security.cmp(&b.security));
        out
    }

    fn models(&mut self) -> Vec<ModelPortfolio> {
        let mut models = Vec::new();
        // Building-block sleeves: one asset class each, small enough to combine.
        let sleeve_specs: &[(&str, &str)] = &[
            ("SLV-USLC", "US Large Cap Equity Sleeve"),
            ("SLV-USSM", "US Mid and Small Cap Sleeve"),
            ("SLV-INTL", "International Equity Sleeve"),
            ("SLV-DIV", "Dividend Equity Sleeve"),
            ("SLV-CORE-FI", "Core Fixed Income Sleeve"),
            ("SLV-MUNI", "Municipal Bond Sleeve"),
        ];
        // (id, equity fraction, holding count) of each sleeve, for the multi-sleeve models.
        let mut sleeves: Vec<(String, bool, usize)> = Vec::new();
        for &(id, name) in sleeve_specs {
            let cash_bp = self.rng.range(100, 500);
            let invest = 10_000 - cash_bp;
            let n = self.rng.range(20, 32) as usize;
            let mut taken = Vec::new();
            let (funds, rest, equity): (Vec<usize>, Vec<usize>, bool) = match id {
                "SLV-USLC" => {
                    let k = self.rng.range(1, 3) as usize;
                    let f = self.pick(k, &mut taken, |s, m| s.kind == SecurityKind::Etf && m.class == Class::UsLarge);
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Equity && m.class == Class::UsLarge
                    });
                    (f, r, true)
                }
                "SLV-USSM" => {
                    let f = self.pick(2, &mut taken, |s, m| {
                        s.kind != SecurityKind::Equity && matches!(m.class, Class::UsMid | Class::UsSmall)
                    });
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Equity && matches!(m.class, Class::UsMid | Class::UsSmall)
                    });
                    (f, r, true)
                }
                "SLV-INTL" => {
                    let f = self.pick(6, &mut taken, |s, m| {
                        s.kind != SecurityKind::Equity && matches!(m.class, Class::IntlDeveloped | Class::Emerging)
                    });
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Equity && matches!(m.class, Class::IntlDeveloped | Class::Emerging)
                    });
                    (f, r, true)
                }
                "SLV-DIV" => {
                    let f = self.pick(2, &mut taken, |s, m| {
                        s.kind == SecurityKind::Etf && m.family.is_some_and(|f| f == 6 || f == 3)
                    });
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Equity
                            && m.class == Class::UsLarge
                            && m.sector.is_some_and(|x| INCOME_SECTORS.contains(&x))
                    });
                    (f, r, true)
                }
                "SLV-CORE-FI" => {
                    let k = self.rng.range(3, 6) as usize;
                    let f = self.pick(k, &mut taken, |s, m| {
                        s.kind != SecurityKind::Bond && m.class.is_fixed_income() && m.class != Class::Municipal
                    });
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Bond && m.class != Class::Municipal
                    });
                    (f, r, false)
                }
                _ => {
                    let k = self.rng.range(2, 4) as usize;
                    let f =
                        self.pick(k, &mut taken, |s, m| s.kind != SecurityKind::Bond && m.class == Class::Municipal);
                    let r = self.pick(n - f.len(), &mut taken, |s, m| {
                        s.kind == SecurityKind::Bond && m.class == Class::Municipal
                    });
                    (f, r, false)
                }
            };
            let fund_bp = if funds.is_empty() { 0 } else { invest * self.rng.range(25, 55) / 100 };
            let fund_bp = if rest.is_empty() { invest } else { fund_bp };
            let holdings = self.holdings(&[(funds, fund_bp), (rest, invest - fund_bp)]);
            let count = holdings.len();
            let (bands, min_trade) = self.bands_and_min_trade();
            models.push(ModelPortfolio {
                id: id.to_string(),
                name: name.to_string(),
                cash_weight: Decimal::new(cash_bp, 4),
                holdings,
                sleeves: Vec::new(),
                bands,
                min_trade,
            });
            sleeves.push((id.to_string(), equity, count));
        }

        // Strategic models: a mix of funds, stocks and bonds at one equity/fixed-income split.
        const STYLES: &[(&str, &str)] = &[
            ("CORE", "Core"),
            ("GROWTH", "Growth"),
            ("INCOME", "Income"),
            ("INDEX", "Index"),
            ("TAXAWARE", "Tax-Aware"),
            ("GLOBAL", "Global"),
            ("FUNDS", "Fund Select"),
            ("ESG", "Sustainable"),
        ];
        let strategic = self.rng.range(14, 24);
        let mut ids: HashSet<String> = models.iter().map(|m| m.id.clone()).collect();
        for _ in 0..strategic {
            let (code, style) = STYLES[self.rng.index(STYLES.len())];
            let equity_pct = [20, 30, 40, 50, 60, 60, 70, 70, 80, 90, 100][self.rng.index(11)];
            let mut id = format!("{code}-{equity_pct}");
            let mut k = 2;
            while ids.contains(&id) {
                id = format!("{code}-{equity_pct}-{k}");
                k += 1;
            }
            ids.insert(id.clone());
            let name = format!("{style} {equity_pct}/{}", 100 - equity_pct);
            let n = self.rng.range(20, 60) as usize;
            let cash_bp = self.rng.range(100, 500);
            let invest = 10_000 - cash_bp;
            let eq_bp = invest * equity_pct / 100;
            let fi_bp = invest - eq_bp;
            let n_fi = if fi_bp == 0 { 0 } else { ((n as i64 * (100 - equity_pct) / 100) as usize).max(3) };
            let n_eq = n - n_fi;
            let mut taken = Vec::new();
            let funds_only = code == "INDEX" || code == "FUNDS";
            let eq_funds = if funds_only { n_eq } else { self.rng.range(2, 6) as usize };
            let global = code == "GLOBAL";
            let mut eq = self.pick(eq_funds.min(n_eq), &mut taken, |s, m| {
                s.kind != SecurityKind::Equity
                    && m.class.is_equity()
                    && (!global || m.class != Class::UsLarge || s.kind == SecurityKind::Etf)
            });
            let more = n_eq - eq.len();
            eq.extend(self.pick(more, &mut taken, |s, m| {
                s.kind == SecurityKind::Equity && (global || !matches!(m.class, Class::IntlDeveloped | Class::Emerging))
            }));
            let muni = code == "TAXAWARE";
            let fi_funds = if funds_only { n_fi } else { self.rng.range(1, 4) as usize };
            let mut fi = self.pick(fi_funds.min(n_fi), &mut taken, |s, m| {
                s.kind != SecurityKind::Bond && m.class.is_fixed_income() && (m.class == Class::Municipal) == muni
            });
            let more = n_fi - fi.len();
            fi.extend(self.pick(more, &mut taken, |s, m| {
                (s.kind == SecurityKind::Bond || funds_only)
                    && m.class.is_fixed_income()
                    && (m.class == Class::Municipal) == muni
            }));
            let (eq_bp, fi_bp) = if fi.is_empty() {
                (invest, 0)
            } else if eq.is_empty() {
                (0, invest)
            } else {
                (eq_bp, fi_bp)
            };
            let holdings = self.holdings(&[(eq, eq_bp), (fi, fi_bp)]);
            let (bands, min_trade) = self.bands_and_min_trade();
            models.push(ModelPortfolio {
                id,
                name,
                cash_weight: Decimal::new(cash_bp, 4),
                holdings,
                sleeves: Vec::new(),
                bands,
                min_trade,
            });
        }

        // Models of models: two or three sleeves and a few direct holdings.
        let multi = self.rng.range(4, 8);
        for k in 0..multi {
            let equity_pct = [40, 50, 60, 70, 80][self.rng.index(5)];
            let eq_sleeves: Vec<usize> = (0..sleeves.len()).filter(|&i| sleeves[i].1).collect();
            let fi_sleeves: Vec<usize> = (0..sleeves.len()).filter(|&i| !sleeves[i].1).collect();
            let mut chosen =
                vec![eq_sleeves[self.rng.index(eq_sleeves.len())], fi_sleeves[self.rng.index(fi_sleeves.len())]];
            let extra = eq_sleeves[self.rng.index(eq_sleeves.len())];
            // A third sleeve only while the flattened model stays within ~80 holdings.
            let size: usize = chosen.iter().map(|&i| sleeves[i].2).sum();
            if !chosen.contains(&extra) && size + sleeves[extra].2 <= 72 && self.rng.chance(0.5) {
                chosen.push(extra);
            }
            let cash_bp = self.rng.range(100, 500);
            let mut taken = Vec::new();
            let n_direct = self.rng.range(0, 3) as usize;
            let direct = self.pick(n_direct, &mut taken, |s, m| {
                s.kind == SecurityKind::Etf && matches!(m.class, Class::Commodity | Class::RealEstate | Class::Tips)
            });
            let direct_bp: i64 = direct.iter().map(|_| self.rng.range(100, 300)).sum();
            let sleeve_bp = 10_000 - cash_bp - direct_bp;
            let eq_bp = sleeve_bp * equity_pct / 100;
            let eq_count = chosen.iter().filter(|&&i| sleeves[i].1).count() as i64;
            let mut sleeve_list = Vec::new();
            let mut eq_left = eq_bp;
            let mut seen_eq = 0;
            for &i in &chosen {
                let w = if sleeves[i].1 {
                    seen_eq += 1;
                    if seen_eq == eq_count {
                        eq_left
                    } else {
                        let w = eq_bp * 6 / 10;
                        eq_left -= w;
                        w
                    }
                } else {
                    sleeve_bp - eq_bp
                };
                sleeve_list.push(Sleeve { model: sleeves[i].0.clone(), weight: Decimal::new(w, 4) });
            }
            let scores: Vec<f64> = direct.iter().map(|_| 1.0).collect();
            let mut holdings = Vec::new();
            for (j, w) in split_basis_points(direct_bp, &scores).into_iter().enumerate() {
                holdings
                    .push(ModelHolding { security: self.securities[direct[j]].id.clone(), weight: Decimal::new(w, 4) });
            }
            let (bands, min_trade) = self.bands_and_min_trade();
            models.push(ModelPortfolio {
                id: format!("BAL-{equity_pct}-S{}", k + 1),
                name: format!("Balanced {equity_pct}/{} (Sleeves {})", 100 - equity_pct, k + 1),
                cash_weight: Decimal::new(cash_bp, 4),
                holdings,
                sleeves: sleeve_list,
                bands,
                min_trade,
            });
        }
        models
    }
}

/// Splits `total` basis points in proportion to `scores`, each member getting at least
/// 10 bp, with largest remainders so the parts sum to exactly `total`.
fn split_basis_points(total: i64, scores: &[f64]) -> Vec<i64> {
    let n = scores.len() as i64;
    if n == 0 {
        return Vec::new();
    }
    let floor = 10.min(total / n);
    let spare = total - floor * n;
    let sum: f64 = scores.iter().sum();
    let exact: Vec<f64> =
        scores.iter().map(|s| if sum > 0.0 { spare as f64 * s / sum } else { spare as f64 / n as f64 }).collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut left = spare - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(scores.len() * 2) {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts.iter().map(|p| p + floor).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_core::ShareClass;
    use std::collections::HashMap;

    #[test]
    fn basis_points_split_exactly() {
        let parts = split_basis_points(9_700, &[1.0, 2.0, 3.3, 0.001]);
        assert_eq!(parts.iter().sum::<i64>(), 9_700);
        assert!(parts.iter().all(|&p| p >= 10));
        assert_eq!(split_basis_points(5, &[1.0, 1.0]).iter().sum::<i64>(), 5);
    }

    #[test]
    fn models_sum_to_exactly_one_and_flatten() {
        for seed in [1, 42, 2026] {
            let file = reference(seed);
            let by_id: HashMap<String, ModelPortfolio> =
                file.models.iter().map(|m| (m.id.clone(), m.clone())).collect();
            assert!((20..=40).contains(&file.models.len()), "{} models", file.models.len());
            for m in &file.models {
                let sum = m.cash_weight
                    + m.holdings.iter().map(|h| h.weight).sum::<Decimal>()
                    + m.sleeves.iter().map(|s| s.weight).sum::<Decimal>();
                assert_eq!(sum, Decimal::ONE, "model {}", m.id);
                assert!(m.cash_weight >= Decimal::new(1, 2) && m.cash_weight <= Decimal::new(5, 2));
                let flat = m.flatten(&by_id).expect("model flattens");
                assert_eq!(flat.targets.iter().map(|t| t.1).sum::<Decimal>() + flat.cash_weight, Decimal::ONE);
                assert!(
                    flat.targets.len() >= 20 && flat.targets.len() <= 80,
                    "model {}: {} holdings",
                    m.id,
                    flat.targets.len()
                );
                if m.sleeves.is_empty() {
                    assert!(m.holdings.len() <= 60);
                }
            }
            assert!(file.models.iter().any(|m| !m.sleeves.is_empty()));
        }
    }

    #[test]
    fn the_security_master_looks_like_a_real_one() {
        let file = reference(42);
        let n = file.securities.len();
        assert!((600..=1000).contains(&n), "{n} securities");
        assert_eq!(file.prices.len(), n);
        let ids: HashSet<&str> = file.securities.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), n, "ids are unique");
        let count = |k: SecurityKind| file.securities.iter().filter(|s| s.kind == k).count();
        assert!(count(SecurityKind::Equity) > 400);
        assert!(count(SecurityKind::Etf) > 80);
        assert!(count(SecurityKind::MutualFund) > 40);
        assert!(count(SecurityKind::Bond) > 40);
        assert!(count(SecurityKind::CashEquivalent) >= 3);
        assert!(file.securities.iter().any(|s| s.complex_product));
        assert!(file.securities.iter().filter(|s| s.restricted).count() >= 3);
        assert!(file.securities.iter().all(|s| !s.asset_class.is_empty()));
        for s in &file.securities {
            assert_eq!(
                s.fractional,
                matches!(s.kind, SecurityKind::MutualFund | SecurityKind::CashEquivalent),
                "{}",
                s.id
            );
        }
        // Share-class twins: an ETF sharing its wash-sale group with another security.
        let mut groups: HashMap<&str, usize> = HashMap::new();
        for s in &file.securities {
            *groups.entry(s.wash_group()).or_default() += 1;
        }
        assert!(groups.values().any(|&c| c > 1));
        for p in &file.prices {
            assert!(p.price > Decimal::ZERO && p.price.scale() == 2 && p.price <= Decimal::from(600));
            assert_eq!(p.as_of.date_naive(), file.trade_date);
        }
    }

    #[test]
    fn substitutes_are_never_substantially_identical() {
        let file = reference(42);
        let by_id: HashMap<&str, &Security> = file.securities.iter().map(|s| (s.id.as_str(), s)).collect();
        let in_models: HashSet<&str> =
            file.models.iter().flat_map(|m| m.holdings.iter().map(|h| h.security.as_str())).collect();
        let mut covered = 0;
        let mut candidates = 0;
        for id in &in_models {
            let s = by_id[id];
            if matches!(s.kind, SecurityKind::Etf | SecurityKind::Equity) {
                candidates += 1;
                if file.substitutes.contains_key(*id) {
                    covered += 1;
                }
            }
        }
        assert!(covered * 10 >= candidates * 8, "{covered} of {candidates} model ETFs/equities have substitutes");
        for (sec, subs) in &file.substitutes {
            let s = by_id[sec.as_str()];
            assert!(!subs.is_empty() && subs.len() <= 2);
            for sub in subs {
                let t = by_id[sub.as_str()];
                assert_ne!(s.wash_group(), t.wash_group(), "{sec} -> {sub}");
                assert!(!t.restricted && !t.complex_product);
            }
        }
    }

    #[test]
    fn models_hold_no_restricted_or_complex_products() {
        let file = reference(7);
        let by_id: HashMap<&str, &Security> = file.securities.iter().map(|s| (s.id.as_str(), s)).collect();
        for m in &file.models {
            for h in &m.holdings {
                let s = by_id[h.security.as_str()];
                assert!(!s.restricted && !s.complex_product, "{} holds {}", m.id, s.id);
            }
        }
    }

    #[test]
    fn the_trade_date_can_be_moved() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let file = reference_with(3, &ReferenceOptions { trade_date: d });
        assert_eq!(file.trade_date, d);
        assert_eq!(file.prices[0].as_of.date_naive(), d);
        // Only the dates counted from the trade date move with it.
        let undated = |mut securities: Vec<Security>| {
            for s in &mut securities {
                s.profile.ipo_date = None;
                s.profile.inception = None;
                if let Some(b) = s.profile.bond.as_mut() {
                    b.call_date = None;
                }
            }
            securities
        };
        let original = reference(3);
        assert_eq!(undated(original.securities.clone()), undated(file.securities.clone()));
        assert_eq!(original.lists, file.lists);
        for s in &file.securities {
            if let Some(ipo) = s.profile.ipo_date {
                assert!((5..=60).contains(&(d - ipo).num_days()), "{}: IPO {ipo}", s.id);
            }
        }
    }

    /// Securities the engine may buy: model holdings and the substitutes named for them.
    fn buyable(file: &ReferenceFile) -> (HashSet<&str>, HashSet<&str>) {
        let in_models: HashSet<&str> =
            file.models.iter().flat_map(|m| m.holdings.iter().map(|h| h.security.as_str())).collect();
        let mut clean = in_models.clone();
        clean.extend(file.substitutes.values().flatten().map(String::as_str));
        (in_models, clean)
    }

    /// Anything that could stop, restrict or complicate a buy.
    fn hazards(s: &Security, file: &ReferenceFile) -> Vec<&'static str> {
        let p = &s.profile;
        let lists = &file.lists;
        let mut out = Vec::new();
        let mut flag = |on: bool, what: &'static str| {
            if on {
                out.push(what);
            }
        };
        flag(p.halted, "halted");
        flag(p.delisted, "delisted");
        flag(p.threshold_list, "threshold list");
        flag(p.illiquid, "illiquid");
        flag(p.accredited_only, "accredited only");
        flag(p.rule_144a, "144A");
        flag(p.pfic, "PFIC");
        flag(p.k1, "K-1");
        flag(p.ipo_date.is_some(), "recent IPO");
        flag(s.complex(), "complex");
        flag(s.restricted, "restricted");
        flag(lists.sanctioned_countries.contains(&p.country), "sanctioned country");
        flag(lists.restricted_issuers.contains(&p.issuer), "restricted issuer");
        flag(lists.insiders.iter().any(|x| x.issuer == p.issuer), "insider issuer");
        flag(lists.household_restrictions.iter().any(|x| x.issuer.as_ref() == Some(&p.issuer)), "household issuer");
        flag(lists.not_recommended.contains(&s.id), "not recommended");
        flag(p.aum.is_some_and(|a| a < Decimal::from(50_000_000)), "small fund");
        flag(p.venue == "OTC", "OTC");
        if let Some(f) = &p.fund {
            flag(f.closed || f.closed_to_new, "closed fund");
            flag(f.share_class != ShareClass::I, "load class");
            flag(!f.front_load.is_zero(), "front load");
            flag(f.redemption_fee_days > 0, "redemption fee");
            flag(!f.min_initial.is_zero() || !f.min_subsequent.is_zero(), "minimum");
        }
        if let Some(b) = &p.bond {
            flag(!b.rating.investment_grade(), "high yield");
            flag(b.min_denomination > Decimal::from(1_000), "large denomination");
        }
        out
    }

    #[test]
    fn nothing_a_model_or_substitute_buys_is_hazardous() {
        for seed in [1, 7, 42, 2026] {
            let file = reference(seed);
            let (in_models, clean) = buyable(&file);
            let mut hazardous = 0;
            for s in &file.securities {
                let found = hazards(s, &file);
                if clean.contains(s.id.as_str()) {
                    assert!(found.is_empty(), "seed {seed}: buyable {} is {found:?}", s.id);
                } else if !found.is_empty() {
                    hazardous += 1;
                }
            }
            assert!(hazardous >= 20, "seed {seed}: only {hazardous} hazardous securities");
            let watched_in_models = file.lists.watch.iter().filter(|w| in_models.contains(w.as_str())).count();
            assert!(watched_in_models <= 1);
        }
    }

    #[test]
    fn every_kind_of_hazard_appears_a_few_times() {
        for seed in [1, 7, 42, 2026] {
            let file = reference(seed);
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for s in &file.securities {
                for h in hazards(s, &file) {
                    *counts.entry(h).or_default() += 1;
                }
            }
            for (what, lo, hi) in [
                ("halted", 1, 2),
                ("delisted", 1, 2),
                ("threshold list", 1, 3),
                ("illiquid", 1, 4),
                ("recent IPO", 1, 4),
                ("PFIC", 0, 1),
                ("K-1", 1, 3),
                ("sanctioned country", 1, 1),
                ("restricted issuer", 1, 3),
                ("insider issuer", 1, 4),
                ("household issuer", 1, 4),
                ("not recommended", 2, 3),
                ("closed fund", 2, 3),
                ("load class", 3, 5),
                ("redemption fee", 1, 4),
                ("accredited only", 1, 1),
                ("small fund", 1, 4),
            ] {
                let n = counts.get(what).copied().unwrap_or(0);
                assert!((lo..=hi).contains(&n), "seed {seed}: {n} {what} securities, expected {lo}..={hi}");
            }
            let complex: Vec<&Security> = file.securities.iter().filter(|s| s.complex_product).collect();
            assert!(complex.iter().all(|s| s.profile.flags.leverage_factor.is_some()));
            assert_eq!(file.securities.iter().filter(|s| s.profile.flags.volatility).count(), 1);
            assert!(file.securities.iter().any(|s| s.profile.flags.inverse));
            assert!(file.securities.iter().any(|s| s.profile.flags.leveraged));
        }
    }

    #[test]
    fn security_profiles_look_like_a_real_master() {
        let file = reference(42);
        let venues: HashMap<&str, &ballast_core::Venue> = file.venues.iter().map(|v| (v.id.as_str(), v)).collect();
        assert_eq!(venues.len(), file.venues.len(), "venue ids are unique");
        for v in &file.venues {
            assert_eq!(v.status, ballast_core::VenueStatus::Healthy);
            if let Some(alt) = &v.alternative {
                assert!(venues.contains_key(alt.as_str()) && alt != &v.id);
            }
        }
        assert_eq!(venues["XNYS"].alternative.as_deref(), Some("XNAS"));
        assert_eq!(venues["ARCX"].alternative.as_deref(), Some("BATS"));
        let sponsors: HashSet<&str> = ISSUERS.iter().map(|i| i.1).collect();
        let (_, clean) = buyable(&file);
        let d = file.trade_date;
        let mut energy = (0, 0);
        for s in &file.securities {
            let p = &s.profile;
            assert!(venues.contains_key(p.venue.as_str()), "{}: venue {}", s.id, p.venue);
            assert!(!p.issuer.is_empty() && !p.sector.is_empty() && p.country.len() == 2, "{}", s.id);
            assert!((1..=5).contains(&p.risk_rating), "{}", s.id);
            if let Some(spread) = p.spread {
                assert!(spread > Decimal::ZERO && spread < Decimal::new(5, 2), "{}: spread {spread}", s.id);
            }
            match s.kind {
                SecurityKind::Equity => {
                    assert!(SECTORS.contains(&p.sector.as_str()));
                    assert!(s.name.starts_with(&p.issuer));
                    assert_eq!(p.adr, s.name.ends_with(" ADR"));
                    if p.adr {
                        assert_ne!(p.country, "US", "{}", s.id);
                    } else {
                        assert!(p.country == "US" || p.country == "RU", "{}", s.id);
                    }
                    assert!(matches!(p.venue.as_str(), "XNYS" | "XNAS" | "OTC"));
                    let adv = p.adv.unwrap();
                    let (lo, hi) = match s.asset_class.as_str() {
                        "us_large_cap" => (2_000_000, 20_000_000),
                        "us_mid_cap" | "real_estate" => (300_000, 3_000_000),
                        "us_small_cap" => (50_000, 800_000),
                        _ => (100_000, 2_000_000),
                    };
                    if !p.illiquid {
                        assert!(adv >= Decimal::from(lo) && adv <= Decimal::from(hi), "{}: adv {adv}", s.id);
                    } else {
                        assert!(adv < Decimal::from(50_000));
                    }
                    if p.sector == "Energy" {
                        energy.0 += 1;
                        energy.1 += usize::from(p.tags.iter().any(|t| t == "fossil_fuels"));
                    }
                }
                SecurityKind::Etf => {
                    assert!(sponsors.contains(p.issuer.as_str()) && s.name.starts_with(&p.issuer));
                    assert!(matches!(p.venue.as_str(), "ARCX" | "BATS"));
                    let er = p.expense_ratio.unwrap();
                    assert!(er >= Decimal::new(3, 4) && er <= Decimal::new(75, 4), "{}: {er}", s.id);
                    let aum = p.aum.unwrap();
                    assert!(aum >= Decimal::from(1_000_000) && aum <= Decimal::from(300_000_000_000u64));
                    let age = (d - p.inception.unwrap()).num_days();
                    assert!((8 * 365..=25 * 366).contains(&age), "{}: inception {:?}", s.id, p.inception);
                    assert!(p.adv.unwrap() > Decimal::ZERO);
                    match ["2x", "3x", "-1x", "-2x"].iter().find(|v| s.name.contains(&format!(" {v} "))) {
                        Some(v) => {
                            let f: i64 = v.trim_end_matches('x').parse().unwrap();
                            assert_eq!(p.flags.leverage_factor, Some(Decimal::from(f)));
                            assert_eq!(p.flags.inverse, f < 0);
                            assert_eq!(p.flags.leveraged, f.abs() > 1);
                        }
                        None => assert!(p.flags.leverage_factor.is_none()),
                    }
                }
                SecurityKind::MutualFund | SecurityKind::CashEquivalent => {
                    assert!(sponsors.contains(p.issuer.as_str()));
                    assert_eq!(p.venue, "FUNDSERV");
                    assert!(p.adv.is_none());
                    let f = p.fund.as_ref().unwrap();
                    if clean.contains(s.id.as_str()) || s.kind == SecurityKind::CashEquivalent {
                        assert!(f.min_initial.is_zero() && f.min_subsequent.is_zero());
                        assert_eq!(f.share_class, ShareClass::I);
                    }
                    if f.share_class == ShareClass::A {
                        assert!(f.front_load > Decimal::ZERO && f.breakpoint == Some(Decimal::from(1_000_000)));
                    }
                    if s.kind == SecurityKind::CashEquivalent {
                        assert_eq!(p.sector, "money_market");
                    }
                }
                SecurityKind::Bond => {
                    assert_eq!(p.venue, "TRACE");
                    let b = p.bond.as_ref().unwrap();
                    assert!(b.maturity > d);
                    assert!(s.name.ends_with(&b.maturity.format("%b-%Y").to_string()), "{}: {}", s.name, b.maturity);
                    assert_eq!(b.muni_state.is_some(), s.asset_class == "municipal_bond");
                    if let Some(st) = &b.muni_state {
                        assert!(s.name.contains(&format!(" {st} ")) && p.issuer.ends_with(st.as_str()));
                    }
                    if s.asset_class == "us_treasury" {
                        assert_eq!((b.rating, p.issuer.as_str()), (ballast_core::Rating::Aaa, "US Treasury"));
                    }
                    if let Some(c) = b.call_date {
                        assert!(c > d && c < b.maturity);
                    }
                }
                SecurityKind::Option => {}
            }
        }
        assert!(energy.1 * 2 > energy.0, "{} of {} energy names tagged fossil_fuels", energy.1, energy.0);
        for tag in ["fossil_fuels", "weapons", "alcohol", "gambling"] {
            assert!(file.securities.iter().any(|s| s.profile.tags.iter().any(|t| t == tag)), "no {tag}");
        }
        assert!(file.securities.iter().any(|s| s.profile.bond.as_ref().is_some_and(|b| b.call_date.is_some())));
    }

    #[test]
    fn the_lists_name_real_securities_issuers_and_households() {
        for seed in [1, 42] {
            let file = reference(seed);
            let ids: HashSet<&str> = file.securities.iter().map(|s| s.id.as_str()).collect();
            let issuers: HashSet<&str> = file.securities.iter().map(|s| s.profile.issuer.as_str()).collect();
            let l = &file.lists;
            assert!((1..=4).contains(&l.watch.len()));
            assert!(l.watch.iter().chain(&l.not_recommended).all(|w| ids.contains(w.as_str())));
            assert_eq!(l.restricted_issuers.len(), 1);
            assert!(l.restricted_issuers.iter().all(|i| issuers.contains(i.as_str())));
            assert_eq!(l.sanctioned_countries, ["CU", "IR", "KP", "RU", "SY"]);
            assert_eq!(file.securities.iter().filter(|s| s.profile.country == "RU").count(), 1);
            let households: HashSet<String> =
                profile::FLAGGED_ACCOUNTS.iter().map(|&i| crate::household_id(seed, i)).collect();
            assert_eq!(l.insiders.len(), 2);
            for x in &l.insiders {
                assert!(issuers.contains(x.issuer.as_str()) && !x.role.is_empty());
                match (&x.account, &x.household) {
                    (Some(a), None) => assert!(profile::FLAGGED_ACCOUNTS.iter().any(|&i| crate::account_id(i) == *a)),
                    (None, Some(h)) => assert!(households.contains(h)),
                    other => panic!("insider names {other:?}"),
                }
            }
            assert_eq!(l.household_restrictions.len(), 2);
            for r in &l.household_restrictions {
                assert!(households.contains(&r.household));
                assert!(r.issuer.as_ref().is_some_and(|i| issuers.contains(i.as_str())) && !r.reason.is_empty());
            }
            for id in &l.not_recommended {
                let s = file.securities.iter().find(|s| &s.id == id).unwrap();
                assert_eq!(s.kind, SecurityKind::MutualFund);
            }
        }
    }
}
