//! The run: generate or read a book, rebalance every account on all cores in chunks, and
//! write trades, exceptions and a summary in book order, with memory bounded by a window
//! of chunks in flight (never by the size of the book).
//!
//! One dispatcher (rayon's `par_bridge` over [`Dispatch`]) hands out chunks in order, each
//! after taking a token; workers generate or parse, rebalance and format a chunk; a single
//! writer puts chunks back in order, appends them to the files and returns the token.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use ballast_core::book::parse_account_line;
use ballast_core::checks::{CheckEngine, Severity};
use ballast_core::{
    rebalance, Account, AccountOutcome, BandTarget, BookError, EngineException, Mode, RebalanceOptions, Reference,
    ReferenceFile,
};
use ballast_synth::{Universe, UniverseError};
use crossbeam_channel::{Receiver, Sender};
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::format::{blocked_line, csv_row, exception_line, json_line, outcome_str, ExceptionLine, CSV_HEADER};
use crate::progress::{Progress, ProgressUnit};
use crate::summary::{Summary, Tally};

/// Accounts per chunk: large enough to amortize the hand-offs, small enough that the
/// chunks in flight stay a few megabytes.
pub const DEFAULT_CHUNK_SIZE: usize = 512;

/// Where the accounts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookSource {
    /// The synthetic book of `seed` (ballast-synth), generated as it is rebalanced.
    Generated { accounts: u64, seed: u64 },
    /// A user's book: a reference JSON file and an accounts JSON-lines file.
    Files { reference: PathBuf, accounts: PathBuf },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub book: BookSource,
    pub options: RebalanceOptions,
    /// Receives trades.csv, trades.jsonl, exceptions.jsonl and summary.json.
    pub out_dir: PathBuf,
    pub chunk_size: usize,
}

impl RunConfig {
    pub fn new(book: BookSource, options: RebalanceOptions, out_dir: impl Into<PathBuf>) -> Self {
        RunConfig { book, options, out_dir: out_dir.into(), chunk_size: DEFAULT_CHUNK_SIZE }
    }
}

/// Input the run cannot use at all, or output it cannot write. Problems with single
/// accounts or lines are not errors: they are reported in exceptions.jsonl.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read reference file {path}: {source}")]
    ReferenceUnreadable { path: PathBuf, source: io::Error },
    #[error("reference file {path} is not a valid book reference: {message}")]
    ReferenceMalformed { path: PathBuf, message: String },
    #[error("cannot read accounts file {path}: {source}")]
    AccountsUnreadable { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Output { path: PathBuf, source: io::Error },
    #[error("cannot generate accounts: {0}")]
    Generate(#[from] UniverseError),
}

/// What the workers share: the indexed reference and, for generated books, the generator.
struct Book {
    reference: Reference,
    generator: Option<(u64, Universe)>,
    /// The pre-trade check catalogue with firm defaults, run on every proposed trade.
    checks: CheckEngine,
}

/// Rebalances the whole book of `config`, reporting progress as chunks are written.
pub fn run(config: &RunConfig, progress: &dyn Progress) -> Result<Summary, RunError> {
    let started = Instant::now();
    let (book, problems, mut source, description) = load(&config.book)?;
    let mut files = OutputFiles::create(&config.out_dir)?;
    let mut reference_lines = Vec::new();
    for p in &problems {
        let message = p.to_string();
        let ex = [EngineException::new(p.code(), message.clone())];
        let line = ExceptionLine {
            account: None,
            line: None,
            outcome: "reference",
            code: p.code(),
            message: &message,
            exceptions: &ex,
        };
        exception_line(&mut reference_lines, &line);
    }
    files.write_exceptions(&reference_lines)?;

    let (total, unit) = source.size();
    progress.start(total, unit);
    let window = 4 * rayon::current_num_threads() + 2;
    let (token_tx, token_rx) = crossbeam_channel::bounded::<()>(window);
    for _ in 0..window {
        // The channel has room for exactly `window` tokens.
        let _ = token_tx.send(());
    }
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<ChunkOutput>();
    let stop = AtomicBool::new(false);
    let read_error: Mutex<Option<io::Error>> = Mutex::new(None);
    let chunk_size = config.chunk_size.max(1);

    let (tally, write_error) = std::thread::scope(|s| {
        let writer = s.spawn(|| write_in_order(out_rx, token_tx, &mut files, progress, &stop));
        let dispatch = Dispatch {
            source: &mut source,
            chunk_size,
            seq: 0,
            tokens: token_rx,
            stop: &stop,
            read_error: &read_error,
            done: false,
        };
        dispatch.par_bridge().for_each_with(out_tx, |tx, chunk| {
            // The writer only hangs up after an error it reports itself.
            let _ = tx.send(process(chunk, &book, &config.options));
        });
        writer.join().unwrap_or_else(|_| (Tally::default(), Some(io::Error::other("the output writer failed"))))
    });
    progress.finish();
    if let Some(e) = write_error {
        return Err(RunError::Output { path: config.out_dir.clone(), source: e });
    }
    if let Some(e) = read_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        if let Source::File { path, .. } = source {
            return Err(RunError::AccountsUnreadable { path, source: e });
        }
    }
    files.finish()?;
    let summary = Summary::from_tally(
        tally,
        description,
        mode_description(&config.options),
        problems.len() as u64,
        started.elapsed().as_secs_f64(),
        config.out_dir.display().to_string(),
    );
    let path = config.out_dir.join("summary.json");
    let json =
        serde_json::to_vec_pretty(&summary).map_err(|e| RunError::Output { path: path.clone(), source: e.into() })?;
    std::fs::write(&path, json).map_err(|e| RunError::Output { path, source: e })?;
    Ok(summary)
}

fn mode_description(o: &RebalanceOptions) -> String {
    let mut s = o.mode.as_str().to_string();
    if o.mode == Mode::Tolerance && o.band_target == BandTarget::Edge {
        s.push_str(" (to band edge)");
    }
    if let Some(w) = o.withdrawal {
        s.push_str(&format!(", withdrawal {w}"));
    }
    s
}

fn load(book: &BookSource) -> Result<(Book, Vec<BookError>, Source, String), RunError> {
    match book {
        BookSource::Generated { accounts, seed } => {
            let file = ballast_synth::reference(*seed);
            let universe = Universe::new(&file)?;
            let (reference, mut problems) = Reference::build(file);
            let checks = firm_checks(&reference, &mut problems);
            let book = Book { reference, generator: Some((*seed, universe)), checks };
            Ok((
                book,
                problems,
                Source::Generated { next: 0, total: *accounts },
                format!("generated book (seed {seed})"),
            ))
        }
        BookSource::Files { reference, accounts } => {
            let text = std::fs::read_to_string(reference)
                .map_err(|e| RunError::ReferenceUnreadable { path: reference.clone(), source: e })?;
            let file: ReferenceFile = serde_json::from_str(&text)
                .map_err(|e| RunError::ReferenceMalformed { path: reference.clone(), message: e.to_string() })?;
            drop(text);
            let (reference_index, mut problems) = Reference::build(file);
            let checks = firm_checks(&reference_index, &mut problems);
            let f =
                File::open(accounts).map_err(|e| RunError::AccountsUnreadable { path: accounts.clone(), source: e })?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let source =
                Source::File { reader: BufReader::with_capacity(1 << 20, f), line: 0, size, path: accounts.clone() };
            let book = Book { reference: reference_index, generator: None, checks };
            Ok((book, problems, source, format!("book {}", accounts.display())))
        }
    }
}

/// A slice of one line of the accounts file inside a chunk's text.
struct LineSpan {
    number: usize,
    start: usize,
    end: usize,
}

enum Input {
    Generated { first: u64, count: u64 },
    Lines { text: Vec<u8>, lines: Vec<LineSpan> },
}

struct Chunk {
    seq: u64,
    /// Bytes of the accounts file this chunk covers (0 when generated), for progress.
    bytes: u64,
    input: Input,
}

enum Source {
    Generated { next: u64, total: u64 },
    File { reader: BufReader<File>, line: usize, size: u64, path: PathBuf },
}

impl Source {
    fn size(&self) -> (u64, ProgressUnit) {
        match self {
            Source::Generated { total, .. } => (*total, ProgressUnit::Accounts),
            Source::File { size, .. } => (*size, ProgressUnit::Bytes),
        }
    }

    fn next_input(&mut self, chunk_size: usize) -> io::Result<Option<(Input, u64)>> {
        match self {
            Source::Generated { next, total } => {
                if *next >= *total {
                    return Ok(None);
                }
                let count = (chunk_size as u64).min(*total - *next);
                let first = *next;
                *next += count;
                Ok(Some((Input::Generated { first, count }, 0)))
            }
            Source::File { reader, line, .. } => {
                // Cap a chunk's text too, so a file of enormous lines cannot blow memory up.
                const MAX_CHUNK_BYTES: usize = 64 << 20;
                let mut text = Vec::with_capacity(chunk_size * 1024);
                let mut lines = Vec::with_capacity(chunk_size);
                while lines.len() < chunk_size && text.len() < MAX_CHUNK_BYTES {
                    let start = text.len();
                    let n = reader.read_until(b'\n', &mut text)?;
                    if n == 0 {
                        break;
                    }
                    *line += 1;
                    let mut end = text.len();
                    while end > start && matches!(text[end - 1], b'\n' | b'\r') {
                        end -= 1;
                    }
                    if text[start..end].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    lines.push(LineSpan { number: *line, start, end });
                }
                if lines.is_empty() {
                    return Ok(None);
                }
                let bytes = text.len() as u64;
                Ok(Some((Input::Lines { text, lines }, bytes)))
            }
        }
    }
}

/// Hands out chunks in book order, one per token: at most `window` chunks are between
/// dispatch and write, which bounds memory whatever the speed of each worker.
struct Dispatch<'a> {
    source: &'a mut Source,
    chunk_size: usize,
    seq: u64,
    tokens: Receiver<()>,
    stop: &'a AtomicBool,
    read_error: &'a Mutex<Option<io::Error>>,
    done: bool,
}

impl Iterator for Dispatch<'_> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if self.done || self.stop.load(Ordering::Relaxed) {
            self.done = true;
            return None;
        }
        if self.tokens.recv().is_err() {
            self.done = true;
            return None;
        }
        match self.source.next_input(self.chunk_size) {
            Ok(Some((input, bytes))) => {
                let seq = self.seq;
                self.seq += 1;
                Some(Chunk { seq, bytes, input })
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                if let Ok(mut slot) = self.read_error.lock() {
                    *slot = Some(e);
                }
                self.done = true;
                None
            }
        }
    }
}

/// One chunk's formatted output and tally.
struct ChunkOutput {
    seq: u64,
    accounts: u64,
    bytes: u64,
    csv: Vec<u8>,
    jsonl: Vec<u8>,
    exceptions: Vec<u8>,
    blocked: Vec<u8>,
    tally: Tally,
}

impl ChunkOutput {
    fn new(seq: u64, bytes: u64, accounts: usize) -> Self {
        ChunkOutput {
            seq,
            accounts: 0,
            bytes,
            // Roughly what a chunk of drifted accounts writes, to avoid regrowing.
            csv: Vec::with_capacity(accounts * 256),
            jsonl: Vec::with_capacity(accounts * 768),
            exceptions: Vec::new(),
            blocked: Vec::new(),
            tally: Tally::default(),
        }
    }

    fn account(&mut self, book: &Book, account: &Account, options: &RebalanceOptions, line: Option<usize>) {
        let reference = &book.reference;
        self.accounts += 1;
        // One account's engine failure must not stop a million-account run: it is
        // reported like any other per-account problem.
        let mut result = match catch_unwind(AssertUnwindSafe(|| rebalance(reference, account, options))) {
            Ok(r) => r,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                let e =
                    EngineException::new("engine_error", format!("account {}: the engine failed: {what}", account.id));
                self.failure(Some(&account.id), line, "error", e);
                return;
            }
        };
        // Pre-trade checks: a blocked trade is never written as an order; it goes to
        // blocked.jsonl with every outcome that stopped it.
        let outcomes = book.checks.check_account(reference, account, &result.trades);
        let mut passed = Vec::with_capacity(result.trades.len());
        for (t, found) in std::mem::take(&mut result.trades).into_iter().zip(outcomes) {
            let blocked = found.iter().any(|o| o.severity == Severity::Block);
            self.tally.record_checks(&found, blocked);
            if blocked {
                blocked_line(&mut self.blocked, &t, &found);
            } else {
                csv_row(&mut self.csv, &t);
                json_line(&mut self.jsonl, &t);
                passed.push(t);
            }
        }
        result.trades = passed;
        let reported = matches!(result.outcome, AccountOutcome::Skipped | AccountOutcome::Invalid)
            || !result.exceptions.is_empty();
        if reported {
            let first = result.exceptions.first();
            exception_line(
                &mut self.exceptions,
                &ExceptionLine {
                    account: Some(&result.account),
                    line,
                    outcome: outcome_str(result.outcome),
                    code: first.map_or("", |e| e.code.as_str()),
                    message: first.map_or("", |e| e.message.as_str()),
                    exceptions: &result.exceptions,
                },
            );
        }
        self.tally.record(&result);
    }

    /// A line that is not an account: reported with its number and, when the JSON is
    /// readable, the account id it names.
    fn malformed(&mut self, number: usize, bytes: &[u8], error: &BookError) {
        self.accounts += 1;
        let account = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string));
        let mut message = error.to_string().replace(" at line 1 column ", " at column ");
        if message.contains("EOF while parsing") {
            message.push_str(" (the line ends early: truncated?)");
        }
        self.failure(account.as_deref(), Some(number), "invalid", EngineException::new(error.code(), message));
    }

    fn failure(&mut self, account: Option<&str>, line: Option<usize>, outcome: &'static str, e: EngineException) {
        let ex = [e];
        exception_line(
            &mut self.exceptions,
            &ExceptionLine { account, line, outcome, code: &ex[0].code, message: &ex[0].message, exceptions: &ex },
        );
        self.tally.record_failure(outcome, &ex[0]);
    }
}

/// The check engine for the firm parameters the reference carries; rejected parameters
/// are reported beside the other reference problems (and block every trade).
fn firm_checks(reference: &Reference, problems: &mut Vec<BookError>) -> CheckEngine {
    let engine = CheckEngine::for_firm(reference.check_parameters());
    if let Some(e) = engine.rejected() {
        problems.push(BookError::Reference(format!("check parameters rejected: {e}; every trade is blocked")));
    }
    engine
}

fn process(chunk: Chunk, book: &Book, options: &RebalanceOptions) -> ChunkOutput {
    match chunk.input {
        Input::Generated { first, count } => {
            let mut out = ChunkOutput::new(chunk.seq, chunk.bytes, count as usize);
            if let Some((seed, universe)) = &book.generator {
                for index in first..first + count {
                    let account = ballast_synth::account(*seed, index, universe);
                    out.account(book, &account, options, None);
                }
            }
            out
        }
        Input::Lines { text, lines } => {
            let mut out = ChunkOutput::new(chunk.seq, chunk.bytes, lines.len());
            for span in &lines {
                let bytes = &text[span.start..span.end];
                let parsed = match std::str::from_utf8(bytes) {
                    Ok(s) => parse_account_line(span.number, s),
                    Err(e) => {
                        Err(BookError::MalformedJson { line: span.number, message: format!("not UTF-8 text: {e}") })
                    }
                };
                match parsed {
                    Ok(account) => out.account(book, &account, options, Some(span.number)),
                    Err(e) => out.malformed(span.number, bytes, &e),
                }
            }
            out
        }
    }
}

/// Puts chunks back in book order and appends them. After a write error it keeps draining
/// (and returning tokens) so the workers finish, and reports the first error.
fn write_in_order(
    rx: Receiver<ChunkOutput>,
    tokens: Sender<()>,
    files: &mut OutputFiles,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> (Tally, Option<io::Error>) {
    let mut pending: BTreeMap<u64, ChunkOutput> = BTreeMap::new();
    let mut next = 0u64;
    let mut tally = Tally::default();
    let mut error = None;
    for out in rx.iter() {
        pending.insert(out.seq, out);
        while let Some(o) = pending.remove(&next) {
            if error.is_none() {
                if let Err(e) = files.append(&o) {
                    error = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
            progress.advance(o.accounts, o.bytes);
            tally.merge(o.tally);
            next += 1;
            let _ = tokens.send(());
        }
    }
    (tally, error)
}

struct OutputFiles {
    dir: PathBuf,
    csv: BufWriter<File>,
    jsonl: BufWriter<File>,
    exceptions: BufWriter<File>,
    blocked: BufWriter<File>,
}

impl OutputFiles {
    fn create(dir: &Path) -> Result<OutputFiles, RunError> {
        let err = |path: PathBuf| move |e| RunError::Output { path, source: e };
        std::fs::create_dir_all(dir).map_err(err(dir.to_path_buf()))?;
        let open = |name: &str| -> Result<BufWriter<File>, RunError> {
            let path = dir.join(name);
            File::create(&path).map(|f| BufWriter::with_capacity(1 << 20, f)).map_err(err(path))
        };
        let mut csv = open("trades.csv")?;
        csv.write_all(CSV_HEADER.as_bytes()).map_err(err(dir.join("trades.csv")))?;
        Ok(OutputFiles {
            dir: dir.to_path_buf(),
            csv,
            jsonl: open("trades.jsonl")?,
            exceptions: open("exceptions.jsonl")?,
            blocked: open("blocked.jsonl")?,
        })
    }

    fn write_exceptions(&mut self, bytes: &[u8]) -> Result<(), RunError> {
        self.exceptions
            .write_all(bytes)
            .map_err(|e| RunError::Output { path: self.dir.join("exceptions.jsonl"), source: e })
    }

    fn append(&mut self, o: &ChunkOutput) -> io::Result<()> {
        self.csv.write_all(&o.csv)?;
        self.jsonl.write_all(&o.jsonl)?;
        self.blocked.write_all(&o.blocked)?;
        self.exceptions.write_all(&o.exceptions)
    }

    fn finish(mut self) -> Result<(), RunError> {
        for (name, w) in [
            ("trades.csv", &mut self.csv),
            ("trades.jsonl", &mut self.jsonl),
            ("exceptions.jsonl", &mut self.exceptions),
            ("blocked.jsonl", &mut self.blocked),
        ] {
            w.flush().map_err(|e| RunError::Output { path: self.dir.join(name), source: e })?;
        }
        Ok(())
    }
}
