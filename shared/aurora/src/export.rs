//! Preprocessing for the next training run: the training store read back as the CSV files
//! the model container's `train` reads.
//!
//! - ETF labels ([`export_etf_training`]): the latest outcome of every fund, in the
//!   columns of the bundled `shared/ml/data/etfs/etfs_us_arca.csv`.
//! - Telemetry windows ([`export_anomaly_training`]): the features of every window no
//!   operator confirmed as an anomaly, for the Random Cut Forest's `train` channel.

use std::borrow::Borrow;
use std::io::Write;

use ballast_ml::etf::EtfRecord;
use ballast_ml::telemetry::FEATURE_NAMES;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::Client;

/// The columns of the bundled ETF file, in its order.
pub const ETF_COLUMNS: [&str; 10] =
    ["symbol", "name", "currency", "summary", "category_group", "category", "family", "exchange", "mic", "isin"];

/// Windows read per query of the anomaly export.
const PAGE: i64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the export: {0}")]
    Csv(#[from] csv::Error),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub rows: usize,
    /// Rows left out because a feature was missing or not a finite number.
    pub skipped: usize,
}

/// The funds' final labels: per symbol the latest outcome (by effective time, then by
/// when it was recorded) with the name, summary and family of the classification it was
/// decided on. Currency, exchange, MIC and ISIN are not stored and are left empty.
const ETF_LABELS: &str = "
SELECT DISTINCT ON (o.symbol) o.symbol, c.name, c.summary, o.category_group, o.category, c.family
FROM etf_outcomes o
JOIN etf_classifications c ON c.run_id = o.run_id AND c.symbol = o.symbol
ORDER BY o.symbol, o.effective_at DESC, o.recorded_at DESC, o.run_id DESC";

/// Writes the approved ETF labels as CSV with a header of [`ETF_COLUMNS`], by symbol.
pub async fn export_etf_training(client: &Client, out: impl Write) -> Result<ExportSummary, ExportError> {
    let rows = client.query(ETF_LABELS, &[]).await?;
    let etfs = rows.iter().map(|row| {
        let text = |i: usize| row.get::<_, Option<String>>(i);
        EtfRecord {
            symbol: text(0).unwrap_or_default(),
            name: text(1).unwrap_or_default(),
            summary: text(2),
            category_group: text(3),
            category: text(4),
            family: text(5),
            ..EtfRecord::default()
        }
    });
    let written = write_etf_csv(etfs, out)?;
    Ok(ExportSummary { rows: written, skipped: 0 })
}

/// Writes `etfs` as CSV with a header of [`ETF_COLUMNS`]: the bundled file's format, which
/// the model container's `train` reads. A field the record lacks is left empty. Returns
/// the rows written.
pub fn write_etf_csv(
    etfs: impl IntoIterator<Item = impl Borrow<EtfRecord>>,
    out: impl Write,
) -> Result<usize, ExportError> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(ETF_COLUMNS)?;
    let mut rows = 0;
    for e in etfs {
        let e = e.borrow();
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
        csv.write_record([
            e.symbol.clone(),
            e.name.clone(),
            text(&e.currency),
            text(&e.summary),
            text(&e.category_group),
            text(&e.category),
            text(&e.family),
            text(&e.exchange),
            text(&e.mic),
            text(&e.isin),
        ])?;
        rows += 1;
    }
    csv.flush()?;
    Ok(rows)
}

/// One row per (venue, window): the features of its latest recorded decision, unless an
/// operator's verdict on any decision of that window says it was a real anomaly.
fn window_query(after: bool) -> String {
    format!(
        "SELECT DISTINCT ON (d.venue, d.window_start) d.venue, d.window_start, d.features
         FROM anomaly_decisions d
         WHERE {}NOT EXISTS (
             SELECT 1 FROM anomaly_outcomes o
             WHERE o.venue = d.venue AND o.window_start = d.window_start
               AND o.label IN ('true_positive', 'false_negative'))
         ORDER BY d.venue, d.window_start, d.recorded_at DESC
         LIMIT {PAGE}",
        if after { "(d.venue, d.window_start) > ($1, $2) AND " } else { "" }
    )
}

/// Writes the telemetry windows not confirmed as anomalies in the layout `train` reads: a
/// header of the feature names ([`FEATURE_NAMES`], in that order), then one row of
/// numbers per window, each venue's windows oldest first, venue after venue. Venue and
/// window are not columns: `train` takes every column as a feature. A window lacking a
/// feature is skipped and counted.
pub async fn export_anomaly_training(client: &Client, mut out: impl Write) -> Result<ExportSummary, ExportError> {
    writeln!(out, "{}", FEATURE_NAMES.join(","))?;
    let (first, next) = (window_query(false), window_query(true));
    let mut summary = ExportSummary::default();
    let mut last: Option<(String, DateTime<Utc>)> = None;
    loop {
        let rows = match &last {
            None => client.query(&first, &[]).await?,
            Some((venue, start)) => client.query(&next, &[venue, start]).await?,
        };
        for row in &rows {
            match feature_row(&row.get::<_, Value>(2)) {
                Some(values) => {
                    writeln!(out, "{values}")?;
                    summary.rows += 1;
                }
                None => summary.skipped += 1,
            }
        }
        if rows.len() < PAGE as usize {
            break;
        }
        let end = rows.last().map(|r| (r.get(0), r.get(1)));
        last = end;
    }
    out.flush()?;
    Ok(summary)
}

/// The features in [`FEATURE_NAMES`] order, comma-separated; `None` when one is missing
/// or not finite.
fn feature_row(features: &Value) -> Option<String> {
    let values: Option<Vec<String>> = FEATURE_NAMES
        .iter()
        .map(|name| features.get(*name).and_then(Value::as_f64).filter(|v| v.is_finite()).map(|v| v.to_string()))
        .collect();
    values.map(|v| v.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_etfs_read_back_as_they_were_quotes_commas_and_line_breaks_included() {
        let etfs = vec![
            EtfRecord {
                symbol: "QQQX".into(),
                name: "Nasdaq \"Premium\" Income, Growth ETF".into(),
                summary: Some("Seeks income.\nWrites calls, monthly.".into()),
                family: Some("Nuveen".into()),
                category_group: Some("Equity".into()),
                category: Some("Derivative Income".into()),
                currency: Some("USD".into()),
                exchange: Some("PCX".into()),
                mic: Some("ARCX".into()),
                isin: Some("US67066V1044".into()),
            },
            EtfRecord { symbol: "NEWX".into(), name: "New Listing ETF".into(), ..EtfRecord::default() },
        ];
        let mut out = Vec::new();
        assert_eq!(write_etf_csv(&etfs, &mut out).unwrap(), 2);
        assert!(out.starts_with(ETF_COLUMNS.join(",").as_bytes()));
        let (back, _) = ballast_ml::etf::read_csv(&out);
        assert_eq!(back, etfs);
    }

    #[test]
    fn a_feature_row_follows_the_fixed_order_and_needs_every_feature() {
        let mut features = serde_json::Map::new();
        for (i, name) in FEATURE_NAMES.iter().enumerate().rev() {
            features.insert(name.to_string(), Value::from(i as f64 + 0.5));
        }
        let row = feature_row(&Value::Object(features.clone())).unwrap();
        assert_eq!(row.split(',').next(), Some("0.5"));
        assert_eq!(row.split(',').count(), FEATURE_NAMES.len());
        features.remove(FEATURE_NAMES[3]);
        assert_eq!(feature_row(&Value::Object(features)), None);
    }
}
