//! Reference data held in process, so a warm function checks a batch without any I/O.
//!
//! The reference is loaded in parts that change at different speeds: the security master
//! and models daily, prices through the day, compliance lists and venue status whenever
//! compliance or the anomaly detector changes them, firm parameters rarely. Each part sits
//! in a [`moka`] cache with its own time to live and can be invalidated explicitly (for
//! example when a restricted-list update or a venue halt is published). A [`Snapshot`]
//! (the indexed [`Reference`] and the [`CheckEngine`] for the firm's parameters) is built
//! from the parts and reused for as long as every part is the same one it was built from.
//!
//! Loading fails closed: when a part has expired and cannot be reloaded, `snapshot`
//! returns the error instead of serving data older than its time to live.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ballast_core::book::{Reference, ReferenceFile};
use ballast_core::checks::{CheckEngine, ParamOverride};
use ballast_core::lists::{ComplianceLists, Venue};
use ballast_core::model::ModelPortfolio;
use ballast_core::security::{Price, Security};
use ballast_core::BookError;
use chrono::NaiveDate;
use moka::future::Cache;
use moka::Expiry;

/// A part of the reference data, loaded and cached on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    SecurityMaster,
    Prices,
    Models,
    Lists,
    Venues,
    Parameters,
}

impl Part {
    pub const ALL: [Part; 6] =
        [Part::SecurityMaster, Part::Prices, Part::Models, Part::Lists, Part::Venues, Part::Parameters];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::SecurityMaster => "security_master",
            Part::Prices => "prices",
            Part::Models => "models",
            Part::Lists => "lists",
            Part::Venues => "venues",
            Part::Parameters => "parameters",
        }
    }
}

/// The data of one part, as a source returns it.
#[derive(Debug, Clone)]
pub enum PartData {
    SecurityMaster(Vec<Security>),
    Prices(Vec<Price>),
    /// Models and their tax-loss-harvest substitutes.
    Models {
        models: Vec<ModelPortfolio>,
        substitutes: std::collections::BTreeMap<String, Vec<String>>,
    },
    Lists(ComplianceLists),
    Venues(Vec<Venue>),
    Parameters(Vec<ParamOverride>),
}

impl PartData {
    fn part(&self) -> Part {
        match self {
            PartData::SecurityMaster(_) => Part::SecurityMaster,
            PartData::Prices(_) => Part::Prices,
            PartData::Models { .. } => Part::Models,
            PartData::Lists(_) => Part::Lists,
            PartData::Venues(_) => Part::Venues,
            PartData::Parameters(_) => Part::Parameters,
        }
    }

    /// Splits a whole reference file into its parts (for file-backed and in-memory sources).
    pub fn split(file: ReferenceFile) -> Vec<PartData> {
        vec![
            PartData::SecurityMaster(file.securities),
            PartData::Prices(file.prices),
            PartData::Models { models: file.models, substitutes: file.substitutes },
            PartData::Lists(file.lists),
            PartData::Venues(file.venues),
            PartData::Parameters(file.check_parameters),
        ]
    }
}

/// Why a part could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("reference part {part} is unavailable: {message}")]
    Unavailable { part: &'static str, message: String },
    #[error("reference part {part} is malformed: {message}")]
    Malformed { part: &'static str, message: String },
    #[error("source returned {returned} when asked for {asked}")]
    WrongPart { asked: &'static str, returned: &'static str },
}

/// Where reference parts come from: DynamoDB in AWS, a file or memory locally. Only
/// `load` does I/O, and only when a part is missing or expired.
pub trait ReferenceSource: Send + Sync + 'static {
    fn load(&self, part: Part) -> impl std::future::Future<Output = Result<PartData, SourceError>> + Send;
}

/// How long each part may be served before it is loaded again.
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    pub security_master: Duration,
    pub prices: Duration,
    pub models: Duration,
    pub lists: Duration,
    pub venues: Duration,
    pub parameters: Duration,
}

impl Default for Ttls {
    /// Prices and venue status go stale within a minute; lists within five (updates are
    /// also pushed by explicit invalidation); the master, models and parameters hourly.
    fn default() -> Self {
        Ttls {
            security_master: Duration::from_secs(3600),
            prices: Duration::from_secs(60),
            models: Duration::from_secs(3600),
            lists: Duration::from_secs(300),
            venues: Duration::from_secs(30),
            parameters: Duration::from_secs(3600),
        }
    }
}

impl Ttls {
    pub fn of(&self, part: Part) -> Duration {
        match part {
            Part::SecurityMaster => self.security_master,
            Part::Prices => self.prices,
            Part::Models => self.models,
            Part::Lists => self.lists,
            Part::Venues => self.venues,
            Part::Parameters => self.parameters,
        }
    }
}

/// What the checks read: the indexed reference and the engine for the firm's parameters.
pub struct Snapshot {
    pub reference: Reference,
    pub checks: CheckEngine,
    /// Problems found while indexing (bad prices, invalid models, rejected parameters).
    pub problems: Vec<BookError>,
    pub built_at: Instant,
}

struct PerPartTtl(Ttls);

impl Expiry<Part, Arc<PartData>> for PerPartTtl {
    fn expire_after_create(&self, part: &Part, _: &Arc<PartData>, _: Instant) -> Option<Duration> {
        Some(self.0.of(*part))
    }
}

struct Built {
    trade_date: NaiveDate,
    parts: Vec<Arc<PartData>>,
    snapshot: Arc<Snapshot>,
}

/// The in-process reference cache. Cheap to share (`Arc`) across invocations.
pub struct ReferenceCache<S> {
    source: Arc<S>,
    parts: Cache<Part, Arc<PartData>>,
    built: Mutex<Option<Built>>,
    loads: AtomicU64,
    builds: AtomicU64,
}

impl<S: ReferenceSource> ReferenceCache<S> {
    pub fn new(source: S, ttls: Ttls) -> Self {
        ReferenceCache {
            source: Arc::new(source),
            parts: Cache::builder().max_capacity(Part::ALL.len() as u64).expire_after(PerPartTtl(ttls)).build(),
            built: Mutex::new(None),
            loads: AtomicU64::new(0),
            builds: AtomicU64::new(0),
        }
    }

    /// The snapshot for `trade_date`: from memory when every part is still cached and
    /// unchanged, otherwise the missing parts are loaded and the snapshot rebuilt.
    pub async fn snapshot(&self, trade_date: NaiveDate) -> Result<Arc<Snapshot>, SourceError> {
        let mut parts = Vec::with_capacity(Part::ALL.len());
        for part in Part::ALL {
            let source = Arc::clone(&self.source);
            let loads = &self.loads;
            let data = self
                .parts
                .try_get_with(part, async move {
                    loads.fetch_add(1, Ordering::Relaxed);
                    let data = source.load(part).await?;
                    if data.part() != part {
                        return Err(SourceError::WrongPart { asked: part.as_str(), returned: data.part().as_str() });
                    }
                    Ok(Arc::new(data))
                })
                .await
                .map_err(|e: Arc<SourceError>| (*e).clone())?;
            parts.push(data);
        }
        let mut built = self.built.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(b) = built.as_ref() {
            if b.trade_date == trade_date && b.parts.iter().zip(&parts).all(|(x, y)| Arc::ptr_eq(x, y)) {
                return Ok(Arc::clone(&b.snapshot));
            }
        }
        let snapshot = Arc::new(assemble(trade_date, &parts));
        self.builds.fetch_add(1, Ordering::Relaxed);
        *built = Some(Built { trade_date, parts, snapshot: Arc::clone(&snapshot) });
        Ok(snapshot)
    }

    /// Drops one part: the next snapshot loads it again (e.g. a restricted-list update).
    pub async fn invalidate(&self, part: Part) {
        self.parts.invalidate(&part).await;
    }

    /// Drops every part.
    pub fn invalidate_all(&self) {
        self.parts.invalidate_all();
    }

    /// The source behind the cache.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Parts loaded from the source so far (cache misses).
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Snapshots built so far.
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }
}

fn assemble(trade_date: NaiveDate, parts: &[Arc<PartData>]) -> Snapshot {
    let mut file = ReferenceFile {
        trade_date,
        securities: Vec::new(),
        prices: Vec::new(),
        models: Vec::new(),
        substitutes: Default::default(),
        lists: Default::default(),
        venues: Vec::new(),
        check_parameters: Vec::new(),
    };
    for p in parts {
        match p.as_ref() {
            PartData::SecurityMaster(s) => file.securities = s.clone(),
            PartData::Prices(p) => file.prices = p.clone(),
            PartData::Models { models, substitutes } => {
                file.models = models.clone();
                file.substitutes = substitutes.clone();
            }
            PartData::Lists(l) => file.lists = l.clone(),
            PartData::Venues(v) => file.venues = v.clone(),
            PartData::Parameters(p) => file.check_parameters = p.clone(),
        }
    }
    let (reference, mut problems) = Reference::build(file);
    let checks = CheckEngine::for_firm(reference.check_parameters());
    if let Some(e) = checks.rejected() {
        problems.push(BookError::Reference(format!("check parameters rejected: {e}; every trade is blocked")));
    }
    Snapshot { reference, checks, problems, built_at: Instant::now() }
}

/// A source over a reference file held in memory (the embedded default and tests); the
/// file can be replaced to simulate an update upstream.
pub struct MemorySource {
    file: Mutex<ReferenceFile>,
}

impl MemorySource {
    pub fn new(file: ReferenceFile) -> Self {
        MemorySource { file: Mutex::new(file) }
    }

    /// Changes the data upstream; cached parts keep the old data until they expire or are
    /// invalidated.
    pub fn update(&self, change: impl FnOnce(&mut ReferenceFile)) {
        change(&mut self.file.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

impl ReferenceSource for MemorySource {
    async fn load(&self, part: Part) -> Result<PartData, SourceError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner()).clone();
        PartData::split(file)
            .into_iter()
            .find(|d| d.part() == part)
            .ok_or(SourceError::Unavailable { part: part.as_str(), message: "not in the file".into() })
    }
}
