//! Scoring the ETF classifier on held-out rows: label accuracy, agreement of the predicted
//! and true category groups as clusterings (ARI, NMI), and flag precision and recall
//! against a reviewed truth file; plus a deterministic split of a CSV by symbol.

use std::collections::HashMap;

use super::model::{EtfClassification, EtfModel};
use super::record::EtfRecord;

/// Reviewed complex-product flags of one ETF (a column the truth file lacks is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagTruth {
    pub leveraged: Option<bool>,
    pub inverse: Option<bool>,
    pub volatility: Option<bool>,
    pub etn: Option<bool>,
}

/// Reads `symbol,leveraged,inverse,volatility,etn` (0/1; columns after `symbol` optional,
/// in any order). A bad value is an error naming the line.
pub fn read_flag_truth(bytes: &[u8]) -> Result<HashMap<String, FlagTruth>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> =
        reader.headers().map_err(|e| e.to_string())?.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let symbol = col("symbol").ok_or("the flags file has no symbol column")?;
    let columns = [col("leveraged"), col("inverse"), col("volatility"), col("etn")];
    let mut out = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("flags file line {}: {e}", i + 2))?;
        let value = |c: Option<usize>| -> Result<Option<bool>, String> {
            match c.and_then(|c| row.get(c)).map(str::trim) {
                None | Some("") => Ok(None),
                Some("1") => Ok(Some(true)),
                Some("0") => Ok(Some(false)),
                Some(other) => Err(format!("flags file line {}: {other:?} is not 0 or 1", i + 2)),
            }
        };
        let truth = FlagTruth {
            leveraged: value(columns[0])?,
            inverse: value(columns[1])?,
            volatility: value(columns[2])?,
            etn: value(columns[3])?,
        };
        out.insert(row.get(symbol).unwrap_or("").trim().to_string(), truth);
    }
    Ok(out)
}

/// Item count, pair counts and the two marginals of two labelings.
type Contingency = (f64, HashMap<(usize, usize), f64>, HashMap<usize, f64>, HashMap<usize, f64>);

fn contingency(a: &[usize], b: &[usize]) -> Contingency {
    let mut table: HashMap<(usize, usize), f64> = HashMap::new();
    let mut rows: HashMap<usize, f64> = HashMap::new();
    let mut cols: HashMap<usize, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1.0;
        *rows.entry(x).or_default() += 1.0;
        *cols.entry(y).or_default() += 1.0;
    }
    (a.len().min(b.len()) as f64, table, rows, cols)
}

/// Adjusted Rand index of two labelings of the same items (1: identical partitions, about
/// 0: chance agreement).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let pairs = |c: f64| c * (c - 1.0) / 2.0;
    let (n, table, rows, cols) = contingency(a, b);
    let index: f64 = table.values().map(|&c| pairs(c)).sum();
    let sum_a: f64 = rows.values().map(|&c| pairs(c)).sum();
    let sum_b: f64 = cols.values().map(|&c| pairs(c)).sum();
    let expected = sum_a * sum_b / pairs(n).max(1.0);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return if (index - expected).abs() < 1e-12 { 1.0 } else { 0.0 };
    }
    (index - expected) / (max - expected)
}

/// Normalised mutual information with the arithmetic mean of the entropies (scikit-learn's
/// default): 1 for identical partitions, 0 for independent ones.
pub fn normalized_mutual_info(a: &[usize], b: &[usize]) -> f64 {
    let (n, table, rows, cols) = contingency(a, b);
    if n == 0.0 {
        return 0.0;
    }
    let entropy = |m: &HashMap<usize, f64>| -m.values().map(|&c| (c / n) * (c / n).ln()).sum::<f64>();
    let (ha, hb) = (entropy(&rows), entropy(&cols));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    let mi: f64 = table.iter().map(|(&(x, y), &c)| (c / n) * ((c * n) / (rows[&x] * cols[&y])).ln()).sum();
    (mi / ((ha + hb) / 2.0)).clamp(0.0, 1.0)
}

/// Confusion counts of one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagCounts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl FlagCounts {
    fn add(&mut self, predicted: bool, truth: bool) {
        match (predicted, truth) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, true) => self.false_negatives += 1,
            (false, false) => {}
        }
    }

    /// 1 when nothing was flagged (no false alarm was possible).
    pub fn precision(&self) -> f64 {
        let flagged = self.true_positives + self.false_positives;
        if flagged == 0 {
            1.0
        } else {
            self.true_positives as f64 / flagged as f64
        }
    }

    /// 1 when the truth holds no positive.
    pub fn recall(&self) -> f64 {
        let positives = self.true_positives + self.false_negatives;
        if positives == 0 {
            1.0
        } else {
            self.true_positives as f64 / positives as f64
        }
    }
}

/// Figures of one model on one test set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EtfScores {
    pub rows: usize,
    pub category_accuracy: f64,
    pub category_rows: usize,
    pub category_group_accuracy: f64,
    pub category_group_rows: usize,
    pub category_group_ari: f64,
    pub category_group_nmi: f64,
    /// Share of test rows the model would approve at the given confidence, and the
    /// category-group accuracy among those.
    pub auto_approved_share: f64,
    pub auto_approved_accuracy: f64,
    /// Per flag (leveraged, inverse, volatility, etn), over rows the truth covers.
    pub flags: Vec<(&'static str, FlagCounts)>,
    pub misses: Vec<String>,
}

/// Classifies `test` with `model` and scores it against the rows' labels and `truth`.
pub fn score(
    model: &EtfModel,
    test: &[EtfRecord],
    truth: &HashMap<String, FlagTruth>,
    auto_approve_confidence: f64,
) -> EtfScores {
    let predictions: Vec<EtfClassification> = test.iter().map(|r| model.classify(r)).collect();
    let mut s = EtfScores { rows: test.len(), ..EtfScores::default() };
    let (mut cat_ok, mut group_ok, mut approved, mut approved_ok) = (0usize, 0usize, 0usize, 0usize);
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut id = |l: Option<&str>| {
        let next = ids.len();
        *ids.entry(l.unwrap_or("").to_string()).or_insert(next)
    };
    let (mut predicted_groups, mut true_groups) = (Vec::new(), Vec::new());
    for (r, p) in test.iter().zip(&predictions) {
        if let Some(c) = &r.category {
            s.category_rows += 1;
            cat_ok += usize::from(p.category.as_ref() == Some(c));
        }
        if let Some(g) = &r.category_group {
            s.category_group_rows += 1;
            let ok = p.category_group.as_ref() == Some(g);
            group_ok += usize::from(ok);
            predicted_groups.push(id(p.category_group.as_deref()));
            true_groups.push(id(Some(g)));
            if p.needs_review(auto_approve_confidence).is_none() {
                approved += 1;
                approved_ok += usize::from(ok);
            }
        }
    }
    let share = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    s.category_accuracy = share(cat_ok, s.category_rows);
    s.category_group_accuracy = share(group_ok, s.category_group_rows);
    s.category_group_ari = adjusted_rand_index(&predicted_groups, &true_groups);
    s.category_group_nmi = normalized_mutual_info(&predicted_groups, &true_groups);
    s.auto_approved_share = share(approved, s.category_group_rows);
    s.auto_approved_accuracy = share(approved_ok, approved);

    let mut counts = [FlagCounts::default(); 4];
    for (r, p) in test.iter().zip(&predictions) {
        let Some(t) = truth.get(&r.symbol) else { continue };
        let pairs = [
            (p.flags.leveraged, t.leveraged, "leveraged"),
            (p.flags.inverse, t.inverse, "inverse"),
            (p.flags.volatility, t.volatility, "volatility"),
            (p.flags.etn, t.etn, "etn"),
        ];
        for (i, (predicted, truth, name)) in pairs.into_iter().enumerate() {
            if let Some(truth) = truth {
                counts[i].add(predicted, truth);
                if predicted != truth {
                    let what = if predicted { "false alarm" } else { "missed" };
                    s.misses.push(format!("{} {name} {what}: {}", r.symbol, r.name));
                }
            }
        }
    }
    s.flags = ["leveraged", "inverse", "volatility", "etn"].into_iter().zip(counts).collect();
    s
}

/// Whether `symbol` falls in the test share of a split: a seeded FNV-1a hash of the symbol,
/// so a row's side never depends on the file's order or on other rows.
pub fn in_test_split(symbol: &str, seed: u64, test_share: f64) -> bool {
    let h = symbol.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    // Mix the low bits up (FNV's last step leaves them weak for short keys).
    let h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (h >> 32);
    (h % 1_000_000) as f64 / 1_000_000.0 < test_share
}

/// Splits CSV bytes (header kept on both sides) into train and test rows by symbol, each
/// row copied byte for byte. Rows without a symbol go to train.
pub fn split_csv(bytes: &[u8], seed: u64, test_share: f64) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let symbol = header
        .iter()
        .position(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case("symbol"))
        .ok_or("no symbol column")?;
    let mut train = csv::Writer::from_writer(Vec::new());
    let mut test = csv::Writer::from_writer(Vec::new());
    for w in [&mut train, &mut test] {
        w.write_byte_record(&header).map_err(|e| e.to_string())?;
    }
    for row in reader.byte_records() {
        let Ok(row) = row else { continue };
        let sym = row.get(symbol).map(|s| String::from_utf8_lossy(s).trim().to_string()).unwrap_or_default();
        let side = if !sym.is_empty() && in_test_split(&sym, seed, test_share) { &mut test } else { &mut train };
        side.write_byte_record(&row).map_err(|e| e.to_string())?;
    }
    let done = |w: csv::Writer<Vec<u8>>| w.into_inner().map_err(|e| e.to_string());
    Ok((done(train)?, done(test)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_on_textbook_cases() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // scikit-learn's documented example: adjusted_rand_score([0,0,1,2], [0,0,1,1]) = 0.571...
        assert!((adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.571_428_571).abs() < 1e-6);
        // and [0,0,1,1] vs [0,0,1,2]: 0.571... (symmetric)
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571).abs() < 1e-6);
        // Every item in its own cluster against one cluster: 0.
        assert!(adjusted_rand_index(&[0, 0, 0, 0], &[0, 1, 2, 3]).abs() < 1e-12);
        // Worse than chance is negative: [0,0,1,1] vs [0,1,0,1] = -0.5.
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-12);
    }

    #[test]
    fn nmi_on_textbook_cases() {
        assert!((normalized_mutual_info(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        assert!(normalized_mutual_info(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        // [0,0,1,1] vs [0,0,1,2]: MI = ln 2, H = ln 2 and 1.5 ln 2, so NMI = 1 / 1.25 = 0.8.
        assert!((normalized_mutual_info(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn flag_counts_give_precision_and_recall() {
        let mut c = FlagCounts::default();
        for (p, t) in [(true, true), (true, true), (true, false), (false, true), (false, false)] {
            c.add(p, t);
        }
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(FlagCounts::default().precision(), 1.0);
    }

    #[test]
    fn the_split_is_deterministic_keeps_every_row_and_follows_the_share() {
        let mut csv = String::from("symbol,name\n");
        for i in 0..2000 {
            csv.push_str(&format!("S{i},\"Fund {i}\nline two\"\n"));
        }
        let (train, test) = split_csv(csv.as_bytes(), 3, 0.2).unwrap();
        assert_eq!(split_csv(csv.as_bytes(), 3, 0.2).unwrap(), (train.clone(), test.clone()));
        let rows = |b: &[u8]| csv::Reader::from_reader(b).records().count();
        assert_eq!(rows(&train) + rows(&test), 2000);
        let share = rows(&test) as f64 / 2000.0;
        assert!((share - 0.2).abs() < 0.03, "{share}");
        let (_, other) = split_csv(csv.as_bytes(), 4, 0.2).unwrap();
        assert_ne!(other, test);
    }

    #[test]
    fn the_truth_file_reads_zero_and_one_and_names_bad_lines() {
        let t = read_flag_truth(b"symbol,leveraged,inverse\nSDS,1,1\nSPY,0,0\n").unwrap();
        assert_eq!(t["SDS"], FlagTruth { leveraged: Some(true), inverse: Some(true), volatility: None, etn: None });
        let e = read_flag_truth(b"symbol,leveraged\nX,yes\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }
}

/// Label-using k-nearest-neighbour ceiling over the sparse features, for choosing features
/// (not a model): `cargo test --release -p ballast-ml --lib knn_ceiling -- --ignored --nocapture`.
#[cfg(test)]
mod experiments {
    use super::*;
    use crate::etf::features::{sparse_dot as dot, FeatureConfig, Featurizer};
    use crate::etf::read_csv;

    fn vote<'a>(near: &[(f32, Option<&'a str>)], power: f32) -> Option<&'a str> {
        let mut tally: HashMap<&str, f32> = HashMap::new();
        for (s, l) in near {
            if let Some(l) = l {
                *tally.entry(l).or_default() += s.max(0.0).powf(power);
            }
        }
        tally.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0))).map(|(l, _)| l)
    }

    #[test]
    #[ignore]
    fn knn_ceiling() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/etfs/etfs_us_arca.csv")).unwrap();
        let base = FeatureConfig::default();
        let plain = FeatureConfig::plain();
        let fam0 = FeatureConfig { family: 0.0, summary_words: usize::MAX, ..base.clone() };
        let variants: Vec<(&str, FeatureConfig)> = vec![
            ("plain", plain.clone()),
            ("fam0all", fam0.clone()),
            ("fam0s1.5", FeatureConfig { summary: 1.5, ..fam0.clone() }),
            ("fam0s2.5", FeatureConfig { summary: 2.5, ..fam0.clone() }),
            ("pl+ch.3", FeatureConfig { name_chars: 0.3, ..plain.clone() }),
            ("pl+bi", FeatureConfig { bigrams: true, ..plain.clone() }),
            ("pl s.7", FeatureConfig { summary: 0.7, ..plain.clone() }),
            ("pl s1.5", FeatureConfig { summary: 1.5, ..plain.clone() }),
            ("pl fam.2", FeatureConfig { family: 0.2, ..plain.clone() }),
        ];
        let ks = [10usize, 20, 30, 50];
        for (label, config) in &variants {
            let mut cat = vec![0.0; ks.len()];
            let mut grp = vec![0.0; ks.len()];
            for seed in 1..=5u64 {
                let (a, b) = split_csv(&data, seed, 0.2).unwrap();
                let (train, _) = read_csv(&a);
                let (test, _) = read_csv(&b);
                let f = Featurizer::fit(&train, config);
                let tv: Vec<_> = train.iter().map(|r| f.sparse(r)).collect();
                use rayon::prelude::*;
                let all: Vec<Vec<(f32, usize)>> = test
                    .par_iter()
                    .map(|r| {
                        let x = f.sparse(r);
                        let mut sims: Vec<(f32, usize)> = tv.iter().enumerate().map(|(i, v)| (dot(&x, v), i)).collect();
                        sims.sort_by(|a, b| b.0.total_cmp(&a.0));
                        sims.truncate(200);
                        sims
                    })
                    .collect();
                for (ki, &k) in ks.iter().enumerate() {
                    let (mut c_ok, mut c_n, mut g_ok, mut g_n) = (0, 0, 0, 0);
                    for (r, sims) in test.iter().zip(&all) {
                        let near_c: Vec<_> = sims
                            .iter()
                            .filter(|(_, i)| train[*i].category.is_some())
                            .take(k)
                            .map(|&(s, i)| (s, train[i].category.as_deref()))
                            .collect();
                        let near_g: Vec<_> = sims
                            .iter()
                            .filter(|(_, i)| train[*i].category_group.is_some())
                            .take(k)
                            .map(|&(s, i)| (s, train[i].category_group.as_deref()))
                            .collect();
                        if let Some(c) = &r.category {
                            c_n += 1;
                            c_ok += usize::from(vote(&near_c, 2.0) == Some(c.as_str()));
                        }
                        if let Some(g) = &r.category_group {
                            g_n += 1;
                            g_ok += usize::from(vote(&near_g, 2.0) == Some(g.as_str()));
                        }
                    }
                    cat[ki] += c_ok as f64 / c_n as f64 / 5.0;
                    grp[ki] += g_ok as f64 / g_n as f64 / 5.0;
                }
            }
            let show = |v: &[f64]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" ");
            println!("{label:10} cat k{ks:?}: {}   group: {}", show(&cat), show(&grp));
        }
    }
}
