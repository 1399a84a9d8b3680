//! Writes a generated book in the documented file format: `reference.json` and
//! `accounts.jsonl` (one account per line), as a user would hand one to `ballast run`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::account::account;
use crate::reference::reference;
use crate::universe::Universe;

/// Writes the book of `seed` with `accounts` accounts into `dir` (created if missing).
pub fn write_book(dir: &Path, seed: u64, accounts: u64) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = reference(seed);
    let universe = Universe::new(&file).map_err(io::Error::other)?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("reference.json"))?);
    serde_json::to_writer_pretty(&mut out, &file)?;
    out.write_all(b"\n")?;
    out.flush()?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("accounts.jsonl"))?);
    for index in 0..accounts {
        serde_json::to_writer(&mut out, &account(seed, index, &universe))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_core::book::parse_account_line;
    use ballast_core::ReferenceFile;

    #[test]
    fn a_written_book_reads_back_identically() {
        let dir = std::env::temp_dir().join(format!("ballast-synth-book-{}", std::process::id()));
        write_book(&dir, 11, 25).unwrap();
        let text = std::fs::read_to_string(dir.join("reference.json")).unwrap();
        let file: ReferenceFile = serde_json::from_str(&text).unwrap();
        let original = reference(11);
        assert_eq!(file.securities, original.securities);
        assert_eq!(file.models, original.models);
        let universe = Universe::new(&original).unwrap();
        let lines = std::fs::read_to_string(dir.join("accounts.jsonl")).unwrap();
        let mut n = 0;
        for (i, line) in lines.lines().enumerate() {
            assert_eq!(parse_account_line(i + 1, line).unwrap(), account(11, i as u64, &universe));
            n += 1;
        }
        assert_eq!(n, 25);
        std::fs::remove_dir_all(&dir).ok();
    }
}
