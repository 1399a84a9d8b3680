//! NAB's scoring method, as published with the benchmark (Lavin & Ahmad, 2015, and the
//! benchmark's scorer):
//!
//! - The first `min(floor(0.15 n), 750)` rows of each series are probationary: not scored.
//! - A detection inside a window earns `tp_weight * S(p) / S(-1)`, where `p = -(end - i + 1)
//!   / width` is the row's position relative to the window's right end and
//!   `S(p) = 2 / (1 + e^(5p)) - 1` (NAB's scaled sigmoid, -1 from `p >= 3`); only the best
//!   (earliest) detection of a window counts. A window with no detection costs `fn_weight`.
//! - A detection outside windows costs `fp_weight * S(p)` with `p = |i - prev_end| /
//!   (prev_width - 1)` after a window (so detections just after a window cost little), and
//!   `fp_weight` in full before the first window. Every such detection counts.
//! - One threshold per profile for the whole corpus: the detector's scores are swept from
//!   the highest down (a row is a detection when its score >= the threshold) and the best
//!   total wins; among equal totals the highest threshold.
//! - The total is normalized to 0 for the null detector (the same sweep over a constant
//!   score) and 100 for the perfect one (`tp_weight` for every window).

use std::path::Path;

use serde::Deserialize;

use super::corpus::{read_json, Corpus, LabeledSeries};
use super::NabError;

/// NAB's weights for one application profile (`tn_weight` is read but NAB never uses it).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostMatrix {
    pub tp_weight: f64,
    pub fp_weight: f64,
    pub fn_weight: f64,
    #[serde(default)]
    pub tn_weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub costs: CostMatrix,
}

#[derive(Deserialize)]
struct ProfileEntry {
    #[serde(rename = "CostMatrix")]
    cost_matrix: CostMatrix,
}

/// The profiles of `dir/profiles.json`, or NAB's three built-in ones when it is absent;
/// ordered `reward_low_FP_rate`, `reward_low_FN_rate`, others by name, `standard` last.
pub fn load_profiles(dir: &Path) -> Result<Vec<Profile>, NabError> {
    let path = dir.join("profiles.json");
    if !path.exists() {
        return Ok(builtin_profiles());
    }
    let entries: std::collections::BTreeMap<String, ProfileEntry> = read_json(&path)?;
    let mut profiles: Vec<Profile> =
        entries.into_iter().map(|(name, entry)| Profile { name, costs: entry.cost_matrix }).collect();
    profiles.sort_by_key(|p| (profile_rank(&p.name), p.name.clone()));
    Ok(profiles)
}

fn profile_rank(name: &str) -> u8 {
    match name {
        "reward_low_FP_rate" => 0,
        "reward_low_FN_rate" => 1,
        "standard" => 3,
        _ => 2,
    }
}

/// NAB's published profiles.
pub fn builtin_profiles() -> Vec<Profile> {
    let profile = |name: &str, fp_weight: f64, fn_weight: f64| Profile {
        name: name.to_string(),
        costs: CostMatrix { tp_weight: 1.0, fp_weight, fn_weight, tn_weight: 1.0 },
    };
    vec![
        profile("reward_low_FP_rate", 0.22, 1.0),
        profile("reward_low_FN_rate", 0.11, 2.0),
        profile("standard", 0.11, 1.0),
    ]
}

/// NAB's probationary period: the first 15% of rows, at most 750.
pub fn probationary_length(rows: usize) -> usize {
    (rows * 15 / 100).min(750)
}

/// NAB's scaled sigmoid of a relative position (-1 at and beyond 3).
pub fn scaled_sigmoid(position: f64) -> f64 {
    if position >= 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * position).exp()) - 1.0
    }
}

/// A scorable row: its detector score, what detecting it is worth, and its window (an
/// index over the whole corpus) if it lies in one.
#[derive(Debug, Clone, Copy)]
struct Row {
    score: f64,
    worth: f64,
    window: Option<usize>,
}

/// The scorable rows of one series, window ids starting at `first_window`.
fn sweep_rows(labeled: &LabeledSeries, scores: &[f64], costs: &CostMatrix, first_window: usize) -> Vec<Row> {
    let max_tp = scaled_sigmoid(-1.0);
    let probation = probationary_length(labeled.series.len());
    let mut rows = Vec::with_capacity(scores.len().saturating_sub(probation));
    let mut windows = labeled.windows.iter().enumerate().peekable();
    let mut previous = None;
    for (i, &score) in scores.iter().enumerate() {
        while windows.peek().is_some_and(|(_, w)| w.end < i) {
            previous = windows.next();
        }
        let current = windows.peek().filter(|(_, w)| w.contains(i));
        let (worth, window) = match (current, previous) {
            (Some(&(k, w)), _) => {
                let position = -((w.end - i + 1) as f64) / w.rows() as f64;
                (scaled_sigmoid(position) * costs.tp_weight / max_tp, Some(first_window + k))
            }
            (None, Some((_, w))) => {
                let position = (i - w.end) as f64 / (w.rows() as f64 - 1.0).max(1.0);
                (scaled_sigmoid(position) * costs.fp_weight, None)
            }
            (None, None) => (-costs.fp_weight, None),
        };
        if i >= probation {
            rows.push(Row { score, worth, window });
        }
    }
    rows
}

/// The best corpus-wide threshold for one profile and the raw score it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdScore {
    pub threshold: f64,
    pub score: f64,
    /// Windows with at least one detection.
    pub detected_windows: usize,
    /// Windows without any.
    pub missed_windows: usize,
    /// Detections outside windows.
    pub false_positives: usize,
}

/// Sweeps one threshold over the whole corpus. `scores[k]` are the detector's scores for
/// `corpus.series[k]`, one per row.
pub fn optimize_threshold(corpus: &Corpus, scores: &[Vec<f64>], costs: &CostMatrix) -> ThresholdScore {
    let mut rows = Vec::new();
    let mut windows = 0;
    for (labeled, series_scores) in corpus.series.iter().zip(scores) {
        rows.extend(sweep_rows(labeled, series_scores, costs, windows));
        windows += labeled.windows.len();
    }
    rows.sort_by(|a, b| b.score.total_cmp(&a.score));
    // Windows whose rows are all probationary are not counted, as in NAB.
    let mut best_in_window: Vec<Option<f64>> = vec![None; windows];
    let scorable_windows = rows.iter().filter_map(|r| r.window).collect::<std::collections::BTreeSet<_>>().len();
    let start_score = -(scorable_windows as f64) * costs.fn_weight;
    let mut state = Sweep { score: start_score, detected: 0, false_positives: 0 };
    let mut best = state.at(1.1, scorable_windows);
    // Rows of equal score form one threshold (each NaN is a group of its own).
    for group in rows.chunk_by(|a, b| a.score == b.score) {
        for row in group {
            state.detect(row, &mut best_in_window, costs);
        }
        let candidate = state.at(group[0].score, scorable_windows);
        if candidate.score > best.score {
            best = candidate;
        }
    }
    best
}

/// The running total of a sweep.
struct Sweep {
    score: f64,
    detected: usize,
    false_positives: usize,
}

impl Sweep {
    fn detect(&mut self, row: &Row, best_in_window: &mut [Option<f64>], costs: &CostMatrix) {
        match row.window {
            None => {
                self.score += row.worth;
                self.false_positives += 1;
            }
            Some(k) => match best_in_window[k] {
                None => {
                    self.score += costs.fn_weight + row.worth;
                    self.detected += 1;
                    best_in_window[k] = Some(row.worth);
                }
                Some(best) if row.worth > best => {
                    self.score += row.worth - best;
                    best_in_window[k] = Some(row.worth);
                }
                Some(_) => {}
            },
        }
    }

    fn at(&self, threshold: f64, windows: usize) -> ThresholdScore {
        ThresholdScore {
            threshold,
            score: self.score,
            detected_windows: self.detected,
            missed_windows: windows - self.detected,
            false_positives: self.false_positives,
        }
    }
}

/// One profile's result for one detector.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileScore {
    pub profile: String,
    /// 0 for the null detector, 100 for the perfect one.
    pub normalized: f64,
    pub best: ThresholdScore,
    pub null_score: f64,
    pub perfect_score: f64,
}

/// Scores a detector's output with one profile, normalized between the null detector
/// (a constant score) and the perfect one.
pub fn score_profile(corpus: &Corpus, scores: &[Vec<f64>], profile: &Profile) -> ProfileScore {
    let best = optimize_threshold(corpus, scores, &profile.costs);
    let constant: Vec<Vec<f64>> = corpus.series.iter().map(|s| vec![0.5; s.series.len()]).collect();
    let null_score = optimize_threshold(corpus, &constant, &profile.costs).score;
    let perfect_score = corpus.window_count() as f64 * profile.costs.tp_weight;
    let span = perfect_score - null_score;
    let normalized = if span > 0.0 { 100.0 * (best.score - null_score) / span } else { 0.0 };
    ProfileScore { profile: profile.name.clone(), normalized, best, null_score, perfect_score }
}

#[cfg(test)]
mod tests {
    use super::super::corpus::{Series, Window};
    use super::*;

    fn series(rows: usize, windows: Vec<Window>) -> LabeledSeries {
        let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let timestamps = (0..rows).map(|i| start + chrono::Duration::minutes(5 * i as i64)).collect();
        LabeledSeries { series: Series { name: "c/s.csv".into(), timestamps, values: vec![0.0; rows] }, windows }
    }

    fn standard() -> CostMatrix {
        builtin_profiles().pop().unwrap().costs
    }

    fn detections(rows: usize, at: &[usize]) -> Vec<f64> {
        let mut scores = vec![0.0; rows];
        for &i in at {
            scores[i] = 1.0;
        }
        scores
    }

    #[test]
    fn sigmoid_and_probation_match_nab() {
        assert!((scaled_sigmoid(-1.0) - 0.986_614).abs() < 1e-6);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert!((scaled_sigmoid(-0.5) - 0.848_283).abs() < 1e-6);
        assert_eq!(scaled_sigmoid(3.0), -1.0);
        assert_eq!(probationary_length(4032), 604);
        assert_eq!(probationary_length(10_000), 750);
    }

    #[test]
    fn earliest_detection_in_a_window_earns_the_full_weight() {
        let corpus = Corpus { series: vec![series(1000, vec![Window { start: 500, end: 599 }])] };
        let early = optimize_threshold(&corpus, &[detections(1000, &[500, 590])], &standard());
        assert!((early.score - 1.0).abs() < 1e-12, "{early:?}");
        assert_eq!((early.detected_windows, early.missed_windows, early.false_positives), (1, 0, 0));
        let late = optimize_threshold(&corpus, &[detections(1000, &[590])], &standard());
        assert!(late.score > 0.0 && late.score < 0.5, "{late:?}");
    }

    #[test]
    fn false_positives_cost_by_distance_from_the_last_window() {
        let corpus = Corpus { series: vec![series(1000, vec![Window { start: 500, end: 599 }])] };
        let costs = standard();
        let rows = sweep_rows(&corpus.series[0], &vec![0.0; 1000], &costs, 0);
        let probation = probationary_length(1000);
        let worth = |i: usize| rows[i - probation].worth;
        assert_eq!(worth(200), -0.11);
        assert!(worth(600) > -0.01, "just after the window: {}", worth(600));
        assert!((worth(599 + 99) - 0.11 * scaled_sigmoid(1.0)).abs() < 1e-12);
        assert_eq!(worth(999), -0.11);
        // Both detections share one score: the false alarm before the window comes with it.
        let best = optimize_threshold(&corpus, &[detections(1000, &[300, 510])], &costs);
        assert!(
            (best.score - (-0.11 + 1.0 + costs.tp_weight * scaled_sigmoid(-0.9) / scaled_sigmoid(-1.0) - 1.0)).abs()
                < 1e-9
        );
    }

    #[test]
    fn equal_scores_share_one_threshold_and_nan_does_not_stall_the_sweep() {
        let corpus = Corpus { series: vec![series(1000, vec![Window { start: 500, end: 599 }])] };
        let mut scores = detections(1000, &[300, 500]);
        // 300 (a false positive) and 500 share the score 1.0, so they come together.
        let both = optimize_threshold(&corpus, &[scores.clone()], &standard());
        assert_eq!((both.detected_windows, both.false_positives), (1, 1));
        scores[300] = 0.9;
        let apart = optimize_threshold(&corpus, &[scores.clone()], &standard());
        assert_eq!((apart.threshold, apart.false_positives), (1.0, 0));
        scores[700] = f64::NAN;
        assert_eq!(optimize_threshold(&corpus, &[scores], &standard()).threshold, 1.0);
    }

    #[test]
    fn probation_rows_and_windows_inside_it_are_not_scored() {
        let corpus = Corpus { series: vec![series(1000, vec![Window { start: 10, end: 20 }])] };
        let scored = optimize_threshold(&corpus, &[detections(1000, &[15, 100])], &standard());
        assert_eq!(scored.score, 0.0);
        assert_eq!(scored.missed_windows, 0);
    }

    #[test]
    fn normalization_puts_null_at_0_and_perfect_at_100() {
        let corpus = Corpus {
            series: vec![
                series(1000, vec![Window { start: 300, end: 399 }, Window { start: 700, end: 760 }]),
                series(800, vec![]),
            ],
        };
        for profile in builtin_profiles() {
            let null = score_profile(&corpus, &[vec![0.5; 1000], vec![0.5; 800]], &profile);
            assert_eq!(null.normalized, 0.0);
            let perfect = score_profile(&corpus, &[detections(1000, &[300, 700]), vec![0.0; 800]], &profile);
            assert!((perfect.normalized - 100.0).abs() < 1e-9, "{perfect:?}");
        }
    }

    #[test]
    fn profiles_file_is_read_and_ordered_with_standard_last() {
        let profiles = load_profiles(&super::super::shipped_dir()).unwrap();
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["reward_low_FP_rate", "reward_low_FN_rate", "standard"]);
        assert_eq!(profiles, builtin_profiles());
        let missing = load_profiles(Path::new("/nonexistent-nab-dir")).unwrap();
        assert_eq!(missing, builtin_profiles());
    }
}
