//! ETF reference rows and a tolerant CSV reader: bad rows are reported, never fatal.

use serde::{Deserialize, Serialize};

/// One exchange-traded product as the reference data describes it. Text fields that the
/// source left empty are `None`; the labels (`category_group`, `category`) are the
/// reviewed classification when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EtfRecord {
    pub symbol: String,
    pub name: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub category_group: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub exchange: Option<String>,
    #[serde(default)]
    pub mic: Option<String>,
    #[serde(default)]
    pub isin: Option<String>,
}

/// Something wrong with one CSV row: skipped, or kept with a note (`kept`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIssue {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    pub symbol: Option<String>,
    pub reason: String,
    /// Whether the row was kept (and classified from what it has) or skipped.
    pub kept: bool,
}

/// The columns the reader understands; any other column is ignored.
const COLUMNS: [&str; 10] =
    ["symbol", "name", "summary", "family", "category_group", "category", "currency", "exchange", "mic", "isin"];

/// Reads ETF rows from CSV bytes with a header line (the bundled file's columns; order
/// free, extra columns ignored). Never fails and never panics: non-UTF-8 text is decoded
/// lossily and noted; an empty name, summary or family is kept and noted; a row without a
/// symbol or with the wrong number of fields is skipped; a repeated symbol keeps the first row.
pub fn read_csv(bytes: &[u8]) -> (Vec<EtfRecord>, Vec<RowIssue>) {
    let mut issues = Vec::new();
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(bytes);
    let header: Vec<String> = match reader.byte_headers() {
        Ok(h) => {
            h.iter().map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_lowercase()).collect()
        }
        Err(e) => {
            issues.push(RowIssue { line: 1, symbol: None, reason: format!("unreadable header: {e}"), kept: false });
            return (Vec::new(), issues);
        }
    };
    let column: Vec<Option<usize>> = COLUMNS.iter().map(|c| header.iter().position(|h| h == c)).collect();
    if column[0].is_none() || column[1].is_none() {
        let reason = "the header has no \"symbol\" or no \"name\" column".to_string();
        issues.push(RowIssue { line: 1, symbol: None, reason, kept: false });
        return (Vec::new(), issues);
    }
    let mut records = Vec::new();
    let mut first_line: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut row = csv::ByteRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let reason = format!("unreadable row: {e}");
                issues.push(RowIssue { line, symbol: None, reason, kept: false });
                if reader.is_done() {
                    break;
                }
                continue;
            }
        }
        let line = row.position().map_or(line, |p| p.line());
        let mut lossy = Vec::new();
        let field = |i: usize, lossy: &mut Vec<&'static str>| -> Option<String> {
            let raw = row.get(column[i]?)?;
            let text = match std::str::from_utf8(raw) {
                Ok(t) => t.to_string(),
                Err(_) => {
                    lossy.push(COLUMNS[i]);
                    String::from_utf8_lossy(raw).into_owned()
                }
            };
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_string())
        };
        let symbol = field(0, &mut lossy);
        if row.len() != header.len() {
            let reason = format!("malformed row: {} fields, the header has {}", row.len(), header.len());
            issues.push(RowIssue { line, symbol, reason, kept: false });
            continue;
        }
        let Some(symbol) = symbol else {
            issues.push(RowIssue { line, symbol: None, reason: "empty symbol: skipped".into(), kept: false });
            continue;
        };
        if let Some(first) = first_line.get(&symbol) {
            let reason = format!("duplicate symbol {symbol}: line {line} skipped, line {first} kept");
            issues.push(RowIssue { line, symbol: Some(symbol), reason, kept: false });
            continue;
        }
        let record = EtfRecord {
            name: field(1, &mut lossy).unwrap_or_default(),
            summary: field(2, &mut lossy),
            family: field(3, &mut lossy),
            category_group: field(4, &mut lossy),
            category: field(5, &mut lossy),
            currency: field(6, &mut lossy),
            exchange: field(7, &mut lossy),
            mic: field(8, &mut lossy),
            isin: field(9, &mut lossy),
            symbol: symbol.clone(),
        };
        let mut notes: Vec<String> = lossy.iter().map(|c| format!("{c} is not UTF-8: decoded lossily")).collect();
        notes.extend(record.input_issues());
        for reason in notes {
            issues.push(RowIssue { line, symbol: Some(symbol.clone()), reason, kept: true });
        }
        first_line.insert(symbol, line);
        records.push(record);
    }
    (records, issues)
}

impl EtfRecord {
    /// What the classifier will lack for this record, one sentence each.
    pub fn input_issues(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push("no name: classified from summary and family".to_string());
        }
        if self.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
            out.push("no summary: classified from name and family".to_string());
        }
        if self.family.as_deref().is_none_or(|s| s.trim().is_empty()) {
            out.push("no family: classified from name and summary".to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "symbol,name,currency,summary,category_group,category,family,exchange,mic,isin\n";

    fn read(body: &str) -> (Vec<EtfRecord>, Vec<RowIssue>) {
        read_csv(format!("{HEADER}{body}").as_bytes())
    }

    #[test]
    fn reads_quoted_multiline_summaries() {
        let (records, issues) = read(
            "SPY,SPDR S&P 500 ETF Trust,USD,\"The investment seeks results.\n It holds stocks.\",Equities,Large Cap,State Street Global Advisors,PCX,ARCX,US78462F1030\n",
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(records[0].summary.as_deref(), Some("The investment seeks results.\n It holds stocks."));
        assert_eq!(records[0].category.as_deref(), Some("Large Cap"));
        assert_eq!(records[0].isin.as_deref(), Some("US78462F1030"));
    }

    #[test]
    fn a_missing_summary_or_family_is_kept_and_noted() {
        let (records, issues) = read("ABC,Some Bond ETF,USD,,Fixed Income,,,PCX,ARCX,\n");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].summary, None);
        assert_eq!(records[0].category, None);
        let reasons: Vec<&str> = issues.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(
            reasons,
            ["no summary: classified from name and family", "no family: classified from name and summary"]
        );
        assert!(issues.iter().all(|i| i.kept && i.line == 2 && i.symbol.as_deref() == Some("ABC")));
    }

    #[test]
    fn empty_symbols_and_malformed_rows_are_skipped_with_their_line() {
        let (records, issues) =
            read(",No Symbol ETF,USD,x,,,f,PCX,ARCX,\nSHORT,Too few fields\nOK,Fine ETF,USD,s,g,c,f,PCX,ARCX,\n");
        assert_eq!(records.iter().map(|r| r.symbol.as_str()).collect::<Vec<_>>(), ["OK"]);
        assert_eq!(issues.len(), 2);
        assert_eq!((issues[0].line, issues[0].symbol.as_deref(), issues[0].kept), (2, None, false));
        assert!(issues[0].reason.contains("empty symbol"));
        assert_eq!((issues[1].line, issues[1].symbol.as_deref()), (3, Some("SHORT")));
        assert!(issues[1].reason.contains("malformed row: 2 fields"), "{}", issues[1].reason);
    }

    #[test]
    fn a_duplicate_symbol_keeps_the_first_row_and_names_both_lines() {
        let (records, issues) = read("DUP,First,USD,s,g,c,f,PCX,ARCX,\nDUP,Second,USD,s,g,c,f,PCX,ARCX,\n");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name, "First");
        assert_eq!(issues[0].reason, "duplicate symbol DUP: line 3 skipped, line 2 kept");
    }

    #[test]
    fn non_utf8_text_is_decoded_lossily_and_noted() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"CAF,Caf\xe9 Fund ETF,USD,s,g,c,f,PCX,ARCX,\n");
        let (records, issues) = read_csv(&bytes);
        assert_eq!(records[0].name, "Caf\u{fffd} Fund ETF");
        assert_eq!(issues[0].reason, "name is not UTF-8: decoded lossily");
        assert!(issues[0].kept);
    }

    #[test]
    fn garbage_never_panics() {
        for body in [&b""[..], b"\xff\xfe\x00", b"symbol\n\"unterminated", b"name,symbol\n\"a\"\"b,\n,,,,\n"] {
            let _ = read_csv(body);
        }
        let (records, issues) = read_csv(b"ticker,title\nA,B\n");
        assert!(records.is_empty() && issues[0].reason.contains("no \"symbol\""));
    }
}
