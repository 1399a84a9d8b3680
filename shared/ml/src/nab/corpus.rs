//! Loading a folder in NAB's layout: `data/<category>/<series>.csv` (`timestamp,value`),
//! `combined_windows.json` (anomaly windows per series) and optionally `profiles.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::NabError;

/// One time series: what a detector may see (no labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Path below `data/`, e.g. `realAWSCloudwatch/grok_asg_anomaly.csv`.
    pub name: String,
    pub timestamps: Vec<NaiveDateTime>,
    pub values: Vec<f64>,
}

impl Series {
    /// The folder below `data/` (`realAWSCloudwatch`).
    pub fn category(&self) -> &str {
        self.name.rsplit_once('/').map_or("", |(category, _)| category)
    }

    /// The file name without `.csv` (`grok_asg_anomaly`).
    pub fn stem(&self) -> &str {
        let file = self.name.rsplit_once('/').map_or(self.name.as_str(), |(_, file)| file);
        file.strip_suffix(".csv").unwrap_or(file)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// An anomaly window as inclusive row indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
}

impl Window {
    /// Rows in the window (at least 1).
    pub fn rows(&self) -> usize {
        self.end - self.start + 1
    }

    pub fn contains(&self, row: usize) -> bool {
        (self.start..=self.end).contains(&row)
    }
}

/// A series with its anomaly windows (ordered, not overlapping).
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledSeries {
    pub series: Series,
    pub windows: Vec<Window>,
}

/// The series of a NAB folder, in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    pub series: Vec<LabeledSeries>,
}

impl Corpus {
    /// Loads `dir/data/**.csv` and `dir/combined_windows.json`.
    pub fn load(dir: &Path) -> Result<Self, NabError> {
        let windows_path = dir.join("combined_windows.json");
        let windows: BTreeMap<String, Vec<[String; 2]>> = read_json(&windows_path)?;
        let data_dir = dir.join("data");
        let mut series = Vec::new();
        for path in csv_files(&data_dir)? {
            let name = relative_name(&data_dir, &path);
            let bounds = windows.get(&name).ok_or_else(|| NabError::Data {
                file: windows_path.clone(),
                message: format!("no windows listed for {name}"),
            })?;
            let loaded = read_series(&path, name)?;
            let windows = locate_windows(&loaded, bounds, &windows_path)?;
            series.push(LabeledSeries { series: loaded, windows });
        }
        if series.is_empty() {
            return Err(NabError::Data { file: data_dir, message: "no .csv series found".into() });
        }
        Ok(Self { series })
    }

    /// The series whose names are in `names`, in corpus order.
    pub fn subset(&self, names: &[&str]) -> Self {
        Self { series: self.series.iter().filter(|s| names.contains(&s.series.name.as_str())).cloned().collect() }
    }

    pub fn window_count(&self) -> usize {
        self.series.iter().map(|s| s.windows.len()).sum()
    }
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, NabError> {
    let text = fs::read_to_string(path).map_err(|e| NabError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| NabError::Parse {
        file: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// Every `.csv` file below `dir`, sorted.
fn csv_files(dir: &Path) -> Result<Vec<PathBuf>, NabError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).map_err(|e| NabError::io(&folder, e))? {
            let path = entry.map_err(|e| NabError::io(&folder, e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "csv") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Reads a `timestamp,value` CSV; a malformed row is an error naming the file and line.
pub fn read_series(path: &Path, name: String) -> Result<Series, NabError> {
    let text = fs::read_to_string(path).map_err(|e| NabError::io(path, e))?;
    let mut series = Series { name, timestamps: Vec::new(), values: Vec::new() };
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if index == 0 || line.is_empty() {
            continue;
        }
        let bad = |message: String| NabError::Parse { file: path.to_path_buf(), line: index + 1, message };
        let (timestamp, value) =
            line.split_once(',').ok_or_else(|| bad(format!("expected timestamp,value: {line:?}")))?;
        series.timestamps.push(parse_timestamp(timestamp).ok_or_else(|| bad(format!("bad timestamp {timestamp:?}")))?);
        let value = value.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        series.values.push(value.ok_or_else(|| bad(format!("bad value in {line:?}")))?);
    }
    // Some NAB series repeat a timestamp (a clock change), so only decreases are refused.
    if series.timestamps.windows(2).any(|w| w[1] < w[0]) {
        return Err(NabError::Data { file: path.to_path_buf(), message: "timestamps go backwards".into() });
    }
    Ok(series)
}

/// Parses NAB's timestamps (`2014-04-01 00:05:00`, windows add `.000000`).
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()
}

/// Turns window bounds into row indexes: the first row at or after the start, and the
/// first row at the end (NAB's scorer takes the first of repeated timestamps), else the last
/// row before it. NAB's bounds are always row timestamps.
fn locate_windows(series: &Series, bounds: &[[String; 2]], file: &Path) -> Result<Vec<Window>, NabError> {
    let bad =
        |message: String| NabError::Data { file: file.to_path_buf(), message: format!("{}: {message}", series.name) };
    let mut windows: Vec<Window> = Vec::with_capacity(bounds.len());
    for [start, end] in bounds {
        let (from, to) = match (parse_timestamp(start), parse_timestamp(end)) {
            (Some(from), Some(to)) => (from, to),
            _ => return Err(bad(format!("bad window bounds {start:?}, {end:?}"))),
        };
        let first = series.timestamps.partition_point(|t| *t < from);
        let at_end = series.timestamps.partition_point(|t| *t < to);
        let last = if series.timestamps.get(at_end) == Some(&to) { Some(at_end) } else { at_end.checked_sub(1) };
        let last = last.filter(|&l| l >= first).ok_or_else(|| bad(format!("window {start} .. {end} holds no rows")))?;
        if windows.last().is_some_and(|w| w.end >= first) {
            return Err(bad(format!("window {start} .. {end} overlaps or precedes the previous one")));
        }
        windows.push(Window { start: first, end: last });
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ballast-nab-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data/cat")).unwrap();
        dir
    }

    #[test]
    fn loads_the_shipped_subset_with_its_windows() {
        let corpus = Corpus::load(&super::super::shipped_dir()).unwrap();
        assert_eq!(corpus.series.len(), 28);
        assert_eq!(corpus.window_count(), 36);
        let jumps =
            corpus.series.iter().find(|s| s.series.name == "artificialWithAnomaly/art_daily_jumpsup.csv").unwrap();
        assert_eq!(jumps.series.category(), "artificialWithAnomaly");
        assert_eq!(jumps.series.stem(), "art_daily_jumpsup");
        assert_eq!(jumps.series.len(), 4032);
        let w = jumps.windows[0];
        assert_eq!(jumps.series.timestamps[w.start], parse_timestamp("2014-04-10 16:15:00").unwrap());
        assert_eq!(jumps.series.timestamps[w.end], parse_timestamp("2014-04-12 01:45:00").unwrap());
    }

    #[test]
    fn malformed_row_names_file_and_line() {
        let dir = temp_dir("bad-row");
        let file = dir.join("data/cat/s.csv");
        fs::write(&file, "timestamp,value\n2014-04-01 00:00:00,1.0\n2014-04-01 00:05:00,abc\n").unwrap();
        fs::write(dir.join("combined_windows.json"), r#"{"cat/s.csv": []}"#).unwrap();
        let err = Corpus::load(&dir).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("s.csv") && text.contains("line 3"), "{text}");
        fs::write(&file, "timestamp,value\n2014-04-01,1.0\n").unwrap();
        assert!(Corpus::load(&dir).unwrap_err().to_string().contains("line 2"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_windows_and_empty_windows_are_errors() {
        let dir = temp_dir("windows");
        fs::write(dir.join("data/cat/s.csv"), "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n")
            .unwrap();
        fs::write(dir.join("combined_windows.json"), r#"{"cat/other.csv": []}"#).unwrap();
        assert!(Corpus::load(&dir).unwrap_err().to_string().contains("no windows listed for cat/s.csv"));
        let outside = r#"{"cat/s.csv": [["2015-01-01 00:00:00.000000", "2015-01-02 00:00:00.000000"]]}"#;
        fs::write(dir.join("combined_windows.json"), outside).unwrap();
        assert!(Corpus::load(&dir).unwrap_err().to_string().contains("holds no rows"));
        fs::write(dir.join("combined_windows.json"), "{not json").unwrap();
        assert!(Corpus::load(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
