//! Complex-product flags (FINRA RN 09-31 and kin) from explicit words in the name and the
//! summary, never from clustering: a missed leveraged or inverse fund is a compliance
//! failure, so each flag stands on text a reviewer can read back ([`Evidence`]).

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use super::record::EtfRecord;

/// A kind of complex product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Leveraged,
    Inverse,
    Volatility,
    Etn,
    CommodityFutures,
}

/// Where the evidence was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Summary,
}

/// One rule that fired: which flag, which rule, the words it matched and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub flag: Flag,
    pub rule_id: String,
    pub matched_text: String,
    pub field: Field,
}

/// The complex-product flags of one ETF. `leverage_factor` is the stated daily multiple
/// as a decimal string, negative for inverse exposure ("3", "-2", "1.5", "-1"), when the
/// text states one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags {
    pub leveraged: bool,
    pub inverse: bool,
    pub volatility: bool,
    pub etn: bool,
    pub commodity_futures: bool,
    pub leverage_factor: Option<String>,
}

impl Flags {
    pub fn any(&self) -> bool {
        self.leveraged || self.inverse || self.volatility || self.etn || self.commodity_futures
    }

    /// The raised flags by name, e.g. `["leveraged", "inverse"]`.
    pub fn raised(&self) -> Vec<&'static str> {
        [
            (self.leveraged, "leveraged"),
            (self.inverse, "inverse"),
            (self.volatility, "volatility"),
            (self.etn, "etn"),
            (self.commodity_futures, "commodity_futures"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(&format!("(?i){pattern}")).expect("flag patterns are valid")
}

// A stated multiple: "3X", "-2x", "1.5X", "2xLeveraged", "(2x)".
static MULTIPLE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[^\w.+-])(-?\d(?:\.\d+)?)\s?x(?:\b|[a-z])"));
static ULTRA: LazyLock<Regex> = LazyLock::new(|| re(r"\bultra(pro)?(?:\s*(short))?\b([\s-]+\w+)?"));
static DOUBLE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(double|triple)\s+(long|short)\b"));
static INVERSE_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"\binverse\b"));
static SHORT_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"(^|[\s/-])(long[\s/]+)?short\b([\s-]+[\w+]+)?"));
static DAILY_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"\bdaily\b"));
// Product lines that hold only leveraged or inverse daily funds.
static DAILY_BRAND: LazyLock<Regex> = LazyLock::new(|| re(r"^direxion\s+daily\b"));
static BULL_BEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b(bull|bear)\b"));
static LEVERAGED_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"\bleveraged\b(\s+loans?)?"));
static VOLATILITY_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"(\w+[\s-]+)?\b(vix|volatility)\b([\s-]+\w+)?"));
static ETN_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(etns?|exchange[\s-]traded\s+notes?|etracs|ipath|x-links|elements\s+linked\s+to)\b"));

static SUMMARY_MULTIPLE_OBJECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\)\s*)?(?:the\s+)?(?:daily|inverse|leveraged|performance|return)"));
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(-?\d{3})%\s+(?:of\s+)?(?:the\s+)?(inverse|opposite|daily|performance|return|calendar|monthly|weekly|value)")
});
static TIMES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(two|three|four|1\.25|1\.5|2|3)\s+times\s+(?:\(-?\d(?:\.\d+)?x\)\s+)?(?:the\s+)?(inverse|daily|leveraged|return|performance|opposite|monthly|calendar)",
    )
});
static TWICE: LazyLock<Regex> = LazyLock::new(|| re(r"\btwice\s+(?:of\s+)?the\s+(daily|inverse|return|performance)"));
static LEVERAGED_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(daily\s+leveraged|leveraged\s+(?:long|inverse|participation|exposure|return|performance|investment\s+results)|(?:fund|it)\s+uses\s+leverage\b|this\s+leveraged\s+(?:etf|etn|fund))",
    )
});
static INVERSE_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\binverse\s+(?:\(-?\d(?:\.\d+)?x\b|\(or\s+opposite\)|\(opposite\)|of\s+the\s+(?:daily|return|performance|price|index|value|calendar|monthly)|(?:daily\s+)?performance\s+of|returns?\s+of|exposure\s+to|leveraged)|\bopposite\s+of\s+the\s+(?:daily|return|performance)",
    )
});
static VIX_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bvix\b[^.]{0,120}\bfutures\b|\bfutures\b[^.]{0,120}\bvix\b|volatility\s+index[^.]{0,80}\bfutures\b|\bvolatility\s+futures\b|\bvix\s+(?:short|mid)[\s-]term\b",
    )
});
static ETN_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:the\s+)?(?:etns?|notes?)\s+(?:are|is)\s+(?:\w+\s+){0,3}(?:senior\s+unsecured|unsecured)|\bsenior\s+unsecured\s+(?:debt|medium-term|obligations|notes)|\b(?:the|these|this|is\s+an|an)\s+exchange[\s-]traded\s+notes?\b|\bthe\s+etns?\b",
    )
});
static COMMODITY_FUTURES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:crude|oil|natural\s+gas|gold|silver|copper|platinum|palladium|commodit\w*|agricultur\w*|wheat|corn|soybeans?|sugar|coffee|cocoa|cotton|livestock|cattle|hogs|metals?|grains?|softs)\b[^.]{0,100}\bfutures\b|\bfutures\b(?:\s+contracts?)?\s+(?:on|for|of)\s+(?:[\w,-]+\s+){0,3}(?:crude|oil|natural\s+gas|gold|silver|copper|commodit\w*|agricultur\w*|metals?|grains?)\b|\bcommodity\s+pool\b|\bschedule\s+k-1\b|\bk-1\b",
    )
});

/// Words after "Short" / "Ultra" that make a bond-duration or strategy name, not a direction.
const NOT_A_DIRECTION: [&str; 18] = [
    "term",
    "duration",
    "maturity",
    "dated",
    "treasury",
    "municipal",
    "muni",
    "bond",
    "bonds",
    "income",
    "corporate",
    "government",
    "investment",
    "reversal",
    "strategy",
    "etf",
    "dividend",
    "fixed",
];
/// Words before "volatility" that make a risk-controlled equity fund, not a volatility product.
const CALM_VOLATILITY: [&str; 10] =
    ["low", "minimum", "min", "managed", "lower", "reduced", "high", "rate", "beta", "limited"];
/// Words after "volatility" that do the same.
const VOLATILITY_STYLE: [&str; 6] = ["weighted", "wtd", "and", "factor", "focus", "hedged"];

struct Finder<'a> {
    evidence: Vec<Evidence>,
    /// Stated multiples, in order of trust (name first).
    factors: Vec<f64>,
    record: &'a EtfRecord,
}

impl Finder<'_> {
    fn add(&mut self, flag: Flag, rule_id: &str, matched: &str, field: Field) {
        if !self.evidence.iter().any(|e| e.flag == flag && e.rule_id == rule_id) {
            let matched_text = matched.trim().to_string();
            self.evidence.push(Evidence { flag, rule_id: rule_id.to_string(), matched_text, field });
        }
    }

    /// A stated multiple: leveraged beyond 1, inverse below 0.
    fn multiple(&mut self, factor: f64, rule_id: &str, matched: &str, field: Field) {
        if factor.abs() > 1.0 + 1e-9 {
            self.add(Flag::Leveraged, rule_id, matched, field);
        }
        if factor < 0.0 {
            self.add(Flag::Inverse, rule_id, matched, field);
        }
        self.factors.push(factor);
    }

    fn name_rules(&mut self) {
        let name = self.record.name.as_str();
        let f = Field::Name;
        for c in MULTIPLE.captures_iter(name) {
            if let Ok(v) = c[1].parse::<f64>() {
                if (1.0..=5.0).contains(&v.abs()) {
                    self.multiple(v, "name.multiple", &c[0], f);
                }
            }
        }
        for c in ULTRA.captures_iter(name) {
            let next =
                c.get(3).map(|m| m.as_str().trim_matches(|ch: char| ch == '-' || ch.is_whitespace()).to_lowercase());
            let pro = c.get(1).is_some();
            let short = c.get(2).is_some();
            // "Ultra Short Duration", "Ultra-Short Bond": a bond fund's name.
            let bond_words = next.as_deref().is_some_and(|w| NOT_A_DIRECTION.iter().any(|n| w.starts_with(n)));
            // "Ultra-Short" / "Ultra Short" (apart) is a duration; ProShares writes "UltraShort".
            let apart_short = next.as_deref() == Some("short");
            if bond_words || apart_short || (short && !c[0].to_lowercase().contains("ultrashort") && !pro) {
                continue;
            }
            let magnitude = if pro { 3.0 } else { 2.0 };
            let factor = if short { -magnitude } else { magnitude };
            let word = c.get(2).or(c.get(1)).map_or(c.get(0).expect("match").start() + 5, |m| m.end());
            self.multiple(factor, "name.ultra", &name[c.get(0).expect("match").start()..word], f);
        }
        for c in DOUBLE.captures_iter(name) {
            let magnitude = if c[1].eq_ignore_ascii_case("triple") { 3.0 } else { 2.0 };
            let factor = if c[2].eq_ignore_ascii_case("short") { -magnitude } else { magnitude };
            self.multiple(factor, "name.double_triple", &c[0], f);
        }
        if let Some(m) = INVERSE_NAME.find(name) {
            self.add(Flag::Inverse, "name.inverse", m.as_str(), f);
        }
        for c in SHORT_NAME.captures_iter(name) {
            if c.get(2).is_some() || c[1].contains('/') {
                continue; // long/short equity
            }
            let next =
                c.get(3).map(|m| m.as_str().trim_matches(|ch: char| ch == '-' || ch.is_whitespace()).to_lowercase());
            if next.as_deref().is_some_and(|w| NOT_A_DIRECTION.iter().any(|n| w.starts_with(n))) {
                continue;
            }
            if name[..c.get(0).map_or(0, |m| m.start())].to_lowercase().trim_end().ends_with("ultra") {
                continue;
            }
            self.add(Flag::Inverse, "name.short", &c[0], f);
        }
        if DAILY_NAME.is_match(name) {
            for c in BULL_BEAR.captures_iter(name) {
                if c[1].eq_ignore_ascii_case("bear") {
                    self.add(Flag::Inverse, "name.daily_bear", &c[0], f);
                } else if !self.factors.iter().any(|v| v.abs() <= 1.0) {
                    self.add(Flag::Leveraged, "name.daily_bull", &c[0], f);
                }
            }
        }
        if let Some(m) = DAILY_BRAND.find(name) {
            if !self.factors.iter().any(|v| v.abs() <= 1.0) {
                self.add(Flag::Leveraged, "name.daily_brand", m.as_str(), f);
            }
        }
        for c in LEVERAGED_NAME.captures_iter(name) {
            if c.get(1).is_none() {
                self.add(Flag::Leveraged, "name.leveraged", &c[0], f);
            }
        }
        for c in VOLATILITY_NAME.captures_iter(name) {
            if c[2].eq_ignore_ascii_case("vix") {
                self.add(Flag::Volatility, "name.vix", &c[2], f);
                continue;
            }
            let before = c.get(1).map(|m| m.as_str().trim().trim_end_matches('-').to_lowercase());
            let after = c.get(3).map(|m| m.as_str().trim().trim_start_matches('-').to_lowercase());
            let calm = before.as_deref().is_some_and(|w| CALM_VOLATILITY.contains(&w));
            let style = after.as_deref().is_some_and(|w| VOLATILITY_STYLE.contains(&w));
            if !calm && !style {
                self.add(Flag::Volatility, "name.volatility", &c[0], f);
            }
        }
        if let Some(m) = ETN_NAME.find(name) {
            self.add(Flag::Etn, "name.etn", m.as_str(), f);
        }
    }

    fn summary_rules(&mut self) {
        let Some(summary) = self.record.summary.as_deref() else { return };
        let text = summary.replace('\n', " ");
        let f = Field::Summary;
        let number = |c: &Captures, i: usize| -> Option<f64> {
            match c[i].to_lowercase().as_str() {
                "two" => Some(2.0),
                "three" => Some(3.0),
                "four" => Some(4.0),
                other => other.parse().ok(),
            }
        };
        for c in MULTIPLE.captures_iter(&text) {
            // In prose a multiple counts in parentheses, "(2x)", or before what it
            // multiplies, "2x the daily performance".
            let whole = c.get(0).expect("match");
            let after = text[whole.end()..].trim_start().to_lowercase();
            let bracketed = whole.as_str().starts_with('(') && after.starts_with(')');
            if !bracketed && !SUMMARY_MULTIPLE_OBJECT.is_match(&after) {
                continue;
            }
            if let Some(v) = number(&c, 1).filter(|v| (0.1..=5.0).contains(&v.abs())) {
                self.multiple(
                    v,
                    "summary.multiple",
                    whole.as_str().trim_start_matches(|ch: char| !ch.is_alphanumeric() && ch != '-'),
                    f,
                );
            }
        }
        for c in PERCENT.captures_iter(&text) {
            let Some(v) = number(&c, 1).map(|v| v / 100.0) else { continue };
            let inverse = matches!(c[2].to_lowercase().as_str(), "inverse" | "opposite");
            if v.abs() >= 1.25 || (inverse && v.abs() >= 1.0) {
                let signed = if inverse { -v.abs() } else { v };
                if signed.abs() <= 5.0 {
                    self.multiple(signed, "summary.percent", &c[0], f);
                }
            }
        }
        for c in TIMES.captures_iter(&text) {
            let Some(v) = number(&c, 1) else { continue };
            let inverse = matches!(c[2].to_lowercase().as_str(), "inverse" | "opposite");
            self.multiple(if inverse { -v } else { v }, "summary.times", &c[0], f);
        }
        if let Some(m) = TWICE.find(&text) {
            let inverse = m.as_str().to_lowercase().contains("inverse");
            self.multiple(if inverse { -2.0 } else { 2.0 }, "summary.twice", m.as_str(), f);
        }
        if let Some(m) = LEVERAGED_SUMMARY.find(&text) {
            self.add(Flag::Leveraged, "summary.leveraged", m.as_str(), f);
        }
        if let Some(m) = INVERSE_SUMMARY.find(&text) {
            self.add(Flag::Inverse, "summary.inverse", m.as_str(), f);
        }
        if let Some(m) = VIX_SUMMARY.find(&text) {
            self.add(Flag::Volatility, "summary.vix_futures", &short(m.as_str()), f);
        }
        if let Some(m) = ETN_SUMMARY.find(&text) {
            self.add(Flag::Etn, "summary.etn", m.as_str(), f);
        }
        if let Some(m) = COMMODITY_FUTURES.find(&text) {
            self.add(Flag::CommodityFutures, "summary.commodity_futures", &short(m.as_str()), f);
        }
    }
}

/// A long match cut to its ends, so evidence stays readable.
fn short(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 80 {
        return text.to_string();
    }
    let head: String = chars[..38].iter().collect();
    let tail: String = chars[chars.len() - 38..].iter().collect();
    format!("{head} … {tail}")
}

/// The flags of a record and the evidence for each. Pure text rules: the same record always
/// gets the same flags, whatever model classifies it.
pub fn detect(record: &EtfRecord) -> (Flags, Vec<Evidence>) {
    let mut finder = Finder { evidence: Vec::new(), factors: Vec::new(), record };
    finder.name_rules();
    finder.summary_rules();
    let has = |flag: Flag| finder.evidence.iter().any(|e| e.flag == flag);
    let mut flags = Flags {
        leveraged: has(Flag::Leveraged),
        inverse: has(Flag::Inverse),
        volatility: has(Flag::Volatility),
        etn: has(Flag::Etn),
        commodity_futures: has(Flag::CommodityFutures),
        leverage_factor: None,
    };
    // The first stated multiple (name before summary), its sign from the inverse flag.
    let stated = finder.factors.iter().copied().find(|v| v.abs() > 1.0).or(finder.factors.first().copied());
    flags.leverage_factor = match stated {
        Some(v) => Some(decimal(if flags.inverse { -v.abs() } else { v.abs() })),
        None if flags.inverse && !flags.leveraged => Some("-1".to_string()),
        None => None,
    };
    (flags, finder.evidence)
}

/// "3", "-1.5": at most two decimals, no trailing zeros.
fn decimal(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(name: &str, summary: &str) -> (Flags, Vec<Evidence>) {
        let summary = (!summary.is_empty()).then(|| summary.to_string());
        detect(&EtfRecord { symbol: "T".into(), name: name.into(), summary, ..EtfRecord::default() })
    }

    fn leverage(name: &str, summary: &str) -> (bool, bool, Option<String>) {
        let (f, _) = flags_of(name, summary);
        (f.leveraged, f.inverse, f.leverage_factor)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn stated_multiples_in_names() {
        assert_eq!(leverage("Direxion Daily Semiconductor Bull 3X Shares", ""), (true, false, s("3")));
        assert_eq!(leverage("Direxion Daily Semiconductor Bear 3X Shares", ""), (true, true, s("-3")));
        assert_eq!(leverage("MicroSectors FANG+ Index -3X Inverse Leveraged ETN", ""), (true, true, s("-3")));
        assert_eq!(leverage("ETRACS Monthly Pay 1.5X Leveraged Mortgage REIT ETN", ""), (true, false, s("1.5")));
        assert_eq!(leverage("Direxion Daily S&P 500 Bear 1X Shares", ""), (false, true, s("-1")));
        assert_eq!(leverage("Direxion Daily Cnsmr Discret Bull 3XShrs", ""), (true, false, s("3")));
        assert_eq!(leverage("ETRACS Monthly Pay 2xLeveraged US High Dividend ETN", ""), (true, false, s("2")));
        assert_eq!(leverage("DB Gold Double Short ETN", ""), (true, true, s("-2")));
    }

    #[test]
    fn proshares_words() {
        assert_eq!(leverage("ProShares Ultra Silver", ""), (true, false, s("2")));
        let (_, e) = flags_of("ProShares Ultra S&P500", "");
        assert_eq!(e[0].matched_text, "Ultra");
        assert_eq!(leverage("ProShares UltraPro QQQ", ""), (true, false, s("3")));
        assert_eq!(leverage("ProShares UltraShort Euro", ""), (true, true, s("-2")));
        assert_eq!(leverage("ProShares UltraPro Short Dow30", ""), (true, true, s("-3")));
        assert_eq!(leverage("ProShares Short 20+ Year Treasury", ""), (false, true, s("-1")));
        assert_eq!(leverage("ProShares Short High Yield", ""), (false, true, s("-1")));
    }

    #[test]
    fn summary_phrasing() {
        let two = "The investment seeks daily investment results that correspond to two times (2x) the daily performance of the index.";
        assert_eq!(leverage("Some Fund", two), (true, false, s("2")));
        let inv = "The fund seeks daily results that correspond to the inverse (-1x) of the daily performance of the S&P 500.";
        assert_eq!(leverage("Some Fund", inv), (false, true, s("-1")));
        let pct =
            "The fund seeks daily investment results of 300% of the inverse (or opposite) of the daily performance.";
        assert_eq!(leverage("Some Fund", pct), (true, true, s("-3")));
        let twice = "It aims for twice the daily return of the index.";
        assert_eq!(leverage("Some Fund", twice), (true, false, s("2")));
    }

    #[test]
    fn look_alikes_are_not_flagged() {
        for name in [
            "Invesco Ultra Short Duration ETF",
            "Aware Ultra-Short Duration Enhanced Income ETF",
            "SPDR SSgA Ultra Short Term Bond ETF",
            "ETFMG Sit Ultra Short ETF",
            "Invesco S&P Ultra Dividend Revenue ETF",
            "Vanguard Short-Term Bond Index Fund ETF Shares",
            "iShares Short Treasury Bond ETF",
            "Xtrackers Short Duration High Yield Bond ETF",
            "First Trust Long/Short Equity ETF",
            "ProShares Long Online/Short Stores ETF",
            "Vesper U.S. Large Cap Short-Term Reversal Strategy ETF",
            "Invesco S&P 500 Low Volatility ETF",
            "JPMorgan U.S. Minimum Volatility ETF",
            "First Trust Horizon Managed Volatility Domestic ETF",
            "VictoryShares US 500 Volatility Wtd ETF",
            "Alpha Architect Merlyn.AI Bull-Rider Bear-Fighter ETF",
            "Invesco Senior Loan ETF",
            "AllianzIM U.S. Large Cap Buffer10 Apr ETF",
            "Invesco S&P 500 BuyWrite ETF",
        ] {
            let (f, e) = flags_of(name, "");
            assert!(!f.any(), "{name}: {e:?}");
        }
        let loans = "The fund invests in leveraged loans and senior loans to below investment grade borrowers; it may use interest rate futures.";
        let buffer = "The fund seeks to provide two times any positive price return of the index up to a cap, with a buffer against the first 10% of losses.";
        let low_vol = "The index holds the 100 least volatile stocks; volatility is the standard deviation of daily price changes.";
        for summary in [loans, buffer, low_vol] {
            let (f, e) = flags_of("Plain Fund", summary);
            assert!(!f.any(), "{summary}: {e:?}");
        }
    }

    #[test]
    fn volatility_etn_and_commodity_futures_with_evidence() {
        let (f, e) = flags_of(
            "iPath S&P 500 VIX ST Futures ETN",
            "The ETNs are senior unsecured obligations of Barclays linked to the S&P 500 VIX Short-Term Futures Index.",
        );
        assert!(f.volatility && f.etn && !f.leveraged && !f.inverse);
        assert!(e.iter().any(|e| e.rule_id == "name.vix" && e.field == Field::Name && e.matched_text == "VIX"));
        assert!(e.iter().any(|e| e.flag == Flag::Etn && e.field == Field::Summary));
        let (f, e) = flags_of(
            "United States Oil Fund",
            "The fund invests in futures contracts for light, sweet crude oil and other petroleum-based fuels.",
        );
        assert!(f.commodity_futures && !f.etn, "{e:?}");
        let (f, _) = flags_of("SPDR Gold Shares", "The trust holds gold bullion.");
        assert!(!f.any());
    }
}
