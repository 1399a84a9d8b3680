//! Progress reporting: a trait the run calls as chunks are written, and an indicatif bar
//! on stderr for the CLI (hidden when stderr is not a terminal).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the progress total counts: accounts when generated, bytes of the accounts file when
/// reading one (its number of lines is unknown until it has been read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    Accounts,
    Bytes,
}

/// Told about each chunk of accounts written, in book order, from the writer thread.
pub trait Progress: Sync {
    fn start(&self, _total: u64, _unit: ProgressUnit) {}
    fn advance(&self, _accounts: u64, _bytes: u64) {}
    fn finish(&self) {}
}

/// Reports nothing (tests, libraries).
pub struct NoProgress;

impl Progress for NoProgress {}

/// An indicatif bar on stderr: accounts done / total, rate and ETA.
pub struct ProgressBarReporter {
    bar: ProgressBar,
    unit: AtomicU64,
    accounts: AtomicU64,
}

impl ProgressBarReporter {
    /// A bar drawn to stderr, or a hidden one when `quiet` or stderr is not a terminal.
    pub fn stderr(quiet: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        ProgressBarReporter {
            bar: ProgressBar::with_draw_target(None, target),
            unit: AtomicU64::new(0),
            accounts: AtomicU64::new(0),
        }
    }
}

impl Progress for ProgressBarReporter {
    fn start(&self, total: u64, unit: ProgressUnit) {
        let template = match unit {
            ProgressUnit::Accounts => {
                "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} accounts  {per_sec:0}  ETA {eta}"
            }
            ProgressUnit::Bytes => "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes}  {msg}  ETA {eta}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.unit.store(u64::from(unit == ProgressUnit::Bytes), Ordering::Relaxed);
        self.bar.set_length(total);
    }

    fn advance(&self, accounts: u64, bytes: u64) {
        if self.unit.load(Ordering::Relaxed) == 1 {
            let done = self.accounts.fetch_add(accounts, Ordering::Relaxed) + accounts;
            self.bar.set_message(format!("{done} accounts"));
            self.bar.inc(bytes);
        } else {
            self.bar.inc(accounts);
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
