//! The schema migrations: the SQL files of `migrations/`, compiled in, each applied once
//! in its own transaction and recorded in `schema_migrations` with its checksum.
//!
//! Every transaction first takes one advisory lock, so two runners (two deploys, two test
//! processes) apply each file once, in order. A recorded checksum that differs from the
//! file's means someone edited an applied migration: nothing runs until that is resolved
//! (write a new migration instead). Tables go to the first schema of the search path.

use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Transaction};

/// One SQL file of `migrations/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL text, hex.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Every migration, in the order they apply. Append only: an applied file never changes.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "anomaly_decisions", sql: include_str!("../migrations/0001_anomaly_decisions.sql") },
    Migration {
        version: 2,
        name: "etf_classifications",
        sql: include_str!("../migrations/0002_etf_classifications.sql"),
    },
    Migration { version: 3, name: "outcomes", sql: include_str!("../migrations/0003_outcomes.sql") },
];

/// The key of the advisory lock every migration transaction holds ("ballastm" in ASCII).
const LOCK_KEY: i64 = 0x6261_6c6c_6173_746d;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "migration {version} ({name}) was applied with checksum {recorded} but the file now has {expected}: \
         an applied migration must not change; restore it and add a new migration"
    )]
    ChecksumChanged { version: i32, name: String, recorded: String, expected: String },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed { version: i32, name: &'static str, source: tokio_postgres::Error },
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// The versions this run applied, in order.
    pub applied: Vec<i32>,
    /// How many were applied before (by an earlier run or a concurrent one).
    pub already_applied: usize,
}

/// Applies [`MIGRATIONS`]. Idempotent: a second run applies nothing.
pub async fn migrate(client: &mut Client) -> Result<MigrationReport, MigrationError> {
    apply_migrations(client, MIGRATIONS).await
}

/// Applies `migrations` (in version order) that are not recorded yet, after checking every
/// recorded one against its file.
pub async fn apply_migrations(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let mut ordered = migrations.to_vec();
    ordered.sort_by_key(|m| m.version);
    // A first pass checks every recorded checksum before anything is applied.
    let tx = locked(client).await?;
    for m in &ordered {
        verify(&tx, m).await?;
    }
    tx.commit().await?;
    let mut report = MigrationReport::default();
    for m in &ordered {
        let tx = locked(client).await?;
        // Checked again under the lock: another runner may have applied it meanwhile.
        if verify(&tx, m).await? {
            report.already_applied += 1;
            continue;
        }
        let failed = |source| MigrationError::Failed { version: m.version, name: m.name, source };
        tx.batch_execute(m.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &m.checksum()],
        )
        .await?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        report.applied.push(m.version);
    }
    Ok(report)
}

/// A transaction holding the migration lock, with `schema_migrations` present.
async fn locked(client: &mut Client) -> Result<Transaction<'_>, MigrationError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).await?;
    tx.batch_execute(CREATE_TABLE).await?;
    Ok(tx)
}

/// Whether `m` is recorded; an error when it is, with another checksum.
async fn verify(tx: &Transaction<'_>, m: &Migration) -> Result<bool, MigrationError> {
    let row = tx.query_opt("SELECT checksum FROM schema_migrations WHERE version = $1", &[&m.version]).await?;
    let Some(row) = row else { return Ok(false) };
    let recorded: String = row.get(0);
    let expected = m.checksum();
    if recorded != expected {
        return Err(MigrationError::ChecksumChanged { version: m.version, name: m.name.into(), recorded, expected });
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_increasing_and_match_the_file_names() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{}", m.name);
            assert!(!m.sql.trim().is_empty());
        }
        let files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), MIGRATIONS.len(), "every file in migrations/ is listed in MIGRATIONS");
        for m in MIGRATIONS {
            let file = format!("{:04}_{}.sql", m.version, m.name);
            assert!(files.contains(&file), "{file} is missing");
        }
    }
}
