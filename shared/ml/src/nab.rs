//! The Numenta Anomaly Benchmark (NAB): its data layout, its scoring method and its results
//! layout, to measure the platform's detector on labelled series.
//!
//! - [`Corpus::load`] reads a folder in NAB's layout.
//! - [`SeriesDetector`] turns one series into one anomaly score in [0, 1] per row. It sees
//!   the values and timestamps only, never the windows.
//! - [`evaluate`] runs one detector (one fixed configuration) over every series and scores
//!   it with each profile ([`scoring`]); [`write_results`] writes NAB's results files.
//! - [`RcfSeriesDetector`] is the platform's Random Cut Forest set up for NAB. On the 28
//!   series shipped in `data/nab` (`make eval-nab`) it scored 71.8 (standard), 67.6
//!   (reward_low_FP_rate) and 74.7 (reward_low_FN_rate) when this was written; AWS's RCF is
//!   published at 51.7 (standard) on the whole benchmark.

mod corpus;
mod rcf;
pub mod scoring;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use corpus::{parse_timestamp, read_series, Corpus, LabeledSeries, Series, Window};
pub use rcf::{RcfSeriesConfig, RcfSeriesDetector};
pub use scoring::{builtin_profiles, load_profiles, CostMatrix, Profile, ProfileScore, ThresholdScore};

#[derive(Debug, thiserror::Error)]
pub enum NabError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}, line {line}: {message}")]
    Parse { file: PathBuf, line: usize, message: String },
    #[error("{file}: {message}")]
    Data { file: PathBuf, message: String },
    #[error("detector {detector} failed on {series}: {message}")]
    Detector { detector: String, series: String, message: String },
}

impl NabError {
    pub(crate) fn io(file: &Path, source: std::io::Error) -> Self {
        NabError::Io { file: file.to_path_buf(), source }
    }
}

/// The NAB subset shipped with this crate (`shared/ml/data/nab`).
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nab")
}

/// A detector as NAB runs it: one pass over a series, one score in [0, 1] per row, each
/// computed from the rows before it and the row itself only.
pub trait SeriesDetector: Sync {
    /// The name used for results folders and files.
    fn name(&self) -> &str;

    fn score_series(&self, series: &Series) -> Result<Vec<f64>, String>;
}

/// NAB's null detector: the same score for every row.
pub struct NullDetector;

impl SeriesDetector for NullDetector {
    fn name(&self) -> &str {
        "null"
    }

    fn score_series(&self, series: &Series) -> Result<Vec<f64>, String> {
        Ok(vec![0.5; series.len()])
    }
}

/// A detector's scores for a corpus and its result under each profile.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub detector: String,
    /// One score per row, per series in corpus order.
    pub scores: Vec<Vec<f64>>,
    /// In profile order (standard last with the built-in profiles).
    pub profiles: Vec<ProfileScore>,
}

impl Evaluation {
    pub fn profile(&self, name: &str) -> Option<&ProfileScore> {
        self.profiles.iter().find(|p| p.profile == name)
    }
}

/// Runs `detector` over every series (in parallel) and scores the result with `profiles`.
pub fn evaluate(corpus: &Corpus, detector: &dyn SeriesDetector, profiles: &[Profile]) -> Result<Evaluation, NabError> {
    let scores = corpus
        .series
        .par_iter()
        .map(|labeled| run_detector(detector, &labeled.series))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(score_all(corpus, detector.name(), scores, profiles))
}

/// Scores given per-row scores (for example a perfect detector's in tests).
pub fn score_all(corpus: &Corpus, detector: &str, scores: Vec<Vec<f64>>, profiles: &[Profile]) -> Evaluation {
    let profiles = profiles.iter().map(|p| scoring::score_profile(corpus, &scores, p)).collect();
    Evaluation { detector: detector.to_string(), scores, profiles }
}

fn run_detector(detector: &dyn SeriesDetector, series: &Series) -> Result<Vec<f64>, NabError> {
    let fail =
        |message: String| NabError::Detector { detector: detector.name().into(), series: series.name.clone(), message };
    let scores = detector.score_series(series).map_err(fail)?;
    if scores.len() != series.len() {
        return Err(fail(format!("{} scores for {} rows", scores.len(), series.len())));
    }
    if let Some(bad) = scores.iter().find(|s| !(0.0..=1.0).contains(*s)) {
        return Err(fail(format!("score {bad} is outside [0, 1]")));
    }
    Ok(scores)
}

/// Writes NAB's results layout: `<dir>/<detector>/<category>/<detector>_<series>.csv`, with
/// `timestamp,value,anomaly_score,label` (label 1 inside a window).
pub fn write_results(dir: &Path, corpus: &Corpus, evaluation: &Evaluation) -> Result<(), NabError> {
    for (labeled, scores) in corpus.series.iter().zip(&evaluation.scores) {
        let series = &labeled.series;
        let folder = dir.join(&evaluation.detector).join(series.category());
        fs::create_dir_all(&folder).map_err(|e| NabError::io(&folder, e))?;
        let path = folder.join(format!("{}_{}.csv", evaluation.detector, series.stem()));
        write_series_results(&path, labeled, scores).map_err(|e| NabError::io(&path, e))?;
    }
    Ok(())
}

fn write_series_results(path: &Path, labeled: &LabeledSeries, scores: &[f64]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(fs::File::create(path)?);
    writeln!(out, "timestamp,value,anomaly_score,label")?;
    let series = &labeled.series;
    for (i, ((t, v), s)) in series.timestamps.iter().zip(&series.values).zip(scores).enumerate() {
        let label = u8::from(labeled.windows.iter().any(|w| w.contains(i)));
        writeln!(out, "{},{v},{s},{label}", t.format("%Y-%m-%d %H:%M:%S"))?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1.0 at the first row of each window, 0 elsewhere: the perfect detector.
    fn perfect_scores(corpus: &Corpus) -> Vec<Vec<f64>> {
        late_scores(corpus, 0.0)
    }

    /// 1.0 at `fraction` of the way into each window, 0 elsewhere.
    fn late_scores(corpus: &Corpus, fraction: f64) -> Vec<Vec<f64>> {
        corpus
            .series
            .iter()
            .map(|s| {
                let mut scores = vec![0.0; s.series.len()];
                for w in &s.windows {
                    scores[w.start + (w.rows() as f64 * fraction) as usize] = 1.0;
                }
                scores
            })
            .collect()
    }

    fn shipped() -> (Corpus, Vec<Profile>) {
        (Corpus::load(&shipped_dir()).unwrap(), load_profiles(&shipped_dir()).unwrap())
    }

    #[test]
    fn null_scores_0_and_perfect_100_on_the_shipped_data() {
        let (corpus, profiles) = shipped();
        let null = evaluate(&corpus, &NullDetector, &profiles).unwrap();
        let perfect = score_all(&corpus, "perfect", perfect_scores(&corpus), &profiles);
        for (n, p) in null.profiles.iter().zip(&perfect.profiles) {
            assert_eq!(n.normalized, 0.0, "{}", n.profile);
            assert!((p.normalized - 100.0).abs() < 1e-9, "{}: {}", p.profile, p.normalized);
        }
        assert_eq!(perfect.profile("standard").unwrap().best.detected_windows, 36);
    }

    #[test]
    fn firing_at_window_start_beats_firing_late() {
        let (corpus, profiles) = shipped();
        let start = score_all(&corpus, "start", perfect_scores(&corpus), &profiles);
        let middle = score_all(&corpus, "middle", late_scores(&corpus, 0.5), &profiles);
        let end = score_all(&corpus, "end", late_scores(&corpus, 0.95), &profiles);
        for ((s, m), e) in start.profiles.iter().zip(&middle.profiles).zip(&end.profiles) {
            assert!(s.normalized > m.normalized && m.normalized > e.normalized, "{s:?} {m:?} {e:?}");
        }
    }

    #[test]
    fn results_follow_nab_layout() {
        let (corpus, profiles) = shipped();
        let corpus = corpus.subset(&["artificialWithAnomaly/art_daily_jumpsup.csv"]);
        let evaluation = score_all(&corpus, "perfect", perfect_scores(&corpus), &profiles);
        let dir = std::env::temp_dir().join(format!("ballast-nab-results-{}", std::process::id()));
        write_results(&dir, &corpus, &evaluation).unwrap();
        let file = dir.join("perfect/artificialWithAnomaly/perfect_art_daily_jumpsup.csv");
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "timestamp,value,anomaly_score,label");
        assert_eq!(lines.len(), 4033);
        let window = corpus.series[0].windows[0];
        assert!(
            lines[window.start + 1].starts_with("2014-04-10 16:15:00,") && lines[window.start + 1].ends_with(",1,1")
        );
        assert!(lines[window.start].ends_with(",0,0"));
        assert_eq!(lines[window.end + 1].rsplit(',').next(), Some("1"));
        assert_eq!(lines[window.end + 2].rsplit(',').next(), Some("0"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rcf_detector_finds_the_artificial_anomalies_of_a_small_subset() {
        let (corpus, profiles) = shipped();
        let corpus = corpus.subset(&[
            "artificialNoAnomaly/art_flatline.csv",
            "artificialWithAnomaly/art_daily_jumpsup.csv",
            "artificialWithAnomaly/art_increase_spike_density.csv",
        ]);
        let evaluation = evaluate(&corpus, &RcfSeriesDetector::default(), &profiles).unwrap();
        for p in &evaluation.profiles {
            assert!(p.normalized > 50.0, "{p:?}");
        }
        let standard = evaluation.profile("standard").unwrap();
        assert_eq!((standard.best.detected_windows, standard.best.missed_windows), (2, 0), "{standard:?}");
        // A flat line is never anomalous: all its scores stay below the chosen threshold.
        assert!(evaluation.scores[0].iter().all(|s| *s < standard.best.threshold));
    }

    #[test]
    fn scores_outside_0_1_or_of_wrong_length_are_errors() {
        struct Bad(f64, usize);
        impl SeriesDetector for Bad {
            fn name(&self) -> &str {
                "bad"
            }
            fn score_series(&self, series: &Series) -> Result<Vec<f64>, String> {
                Ok(vec![self.0; series.len() - self.1])
            }
        }
        let (corpus, profiles) = shipped();
        let corpus = corpus.subset(&["artificialNoAnomaly/art_flatline.csv"]);
        assert!(evaluate(&corpus, &Bad(1.5, 0), &profiles).is_err());
        assert!(evaluate(&corpus, &Bad(0.5, 1), &profiles).is_err());
        assert!(evaluate(&corpus, &Bad(0.5, 0), &profiles).is_ok());
    }
}
