//! How to reach the training store: settings from the environment, TLS, passwords, and the
//! one connection a Lambda container keeps.
//!
//! Environment (read by [`DbConfig::from_env`]):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `BALLAST_DB_URL` | `postgres://user[:password]@host:port/db`; when set, the parts below are not read (local runs) |
//! | `BALLAST_DB_HOST`, `BALLAST_DB_PORT` (5432), `BALLAST_DB_NAME`, `BALLAST_DB_USER` | the parts, as the CDK app sets them |
//! | `BALLAST_DB_AUTH` | `password` (default), `iam` or `secret` |
//! | `BALLAST_DB_PASSWORD` | the password when `BALLAST_DB_AUTH=password` (none: trust auth) |
//! | `BALLAST_DB_TLS` | `require` or `disable`; default: disabled for a loopback host or a Unix socket, required for any other; `disable` is refused for a remote host |
//! | `BALLAST_DB_CA_FILE` | PEM bundle of the CAs to trust (Amazon RDS's `global-bundle.pem`); default: the system's roots |

use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, NoTls};

use crate::write::WriteError;

/// Whether the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP: only for a loopback host or a Unix socket.
    Disable,
    /// TLS with the server's certificate and host name verified.
    Require,
}

impl TlsMode {
    /// Plain on the machine itself, TLS everywhere else.
    pub fn for_host(host: &Host) -> TlsMode {
        if is_local(host) {
            TlsMode::Disable
        } else {
            TlsMode::Require
        }
    }
}

/// A loopback address, `localhost` or a Unix socket.
pub fn is_local(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => {
            let bare = name.trim_start_matches('[').trim_end_matches(']');
            bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }
}

/// How the password is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// A fixed password (`BALLAST_DB_PASSWORD` or the URL's), or none (trust auth).
    Password,
    /// An RDS IAM authentication token, made fresh for each connection.
    Iam,
    /// The password of a Secrets Manager secret.
    Secret,
}

impl FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<AuthMode, String> {
        match s {
            "password" => Ok(AuthMode::Password),
            "iam" => Ok(AuthMode::Iam),
            "secret" => Ok(AuthMode::Secret),
            other => Err(format!("{other:?} is not one of password, iam, secret")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no database configured: set BALLAST_DB_URL, or BALLAST_DB_HOST, BALLAST_DB_NAME and BALLAST_DB_USER")]
    Missing,
    #[error("{var}: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("BALLAST_DB_AUTH={0:?} needs a password source from the caller (ballast-aws); use Database::new")]
    NeedsPasswordSource(AuthMode),
}

/// The settings of one database.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// Host, port, database, user and (for [`AuthMode::Password`]) the password.
    pub pg: tokio_postgres::Config,
    pub auth: AuthMode,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
}

impl DbConfig {
    /// From the process environment (the table in this module's documentation).
    pub fn from_env() -> Result<DbConfig, ConfigError> {
        DbConfig::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// From a URL alone (local runs and tests): password auth, TLS by host.
    pub fn from_url(url: &str) -> Result<DbConfig, ConfigError> {
        DbConfig::from_lookup(|name| (name == "BALLAST_DB_URL").then(|| url.to_string()))
    }

    /// From any lookup of the `BALLAST_DB_*` variables.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<DbConfig, ConfigError> {
        let invalid = |var: &'static str, reason: String| ConfigError::Invalid { var, reason };
        let auth = match var("BALLAST_DB_AUTH") {
            Some(v) => v.parse().map_err(|e| invalid("BALLAST_DB_AUTH", e))?,
            None => AuthMode::Password,
        };
        let mut pg = match var("BALLAST_DB_URL") {
            Some(url) => {
                tokio_postgres::Config::from_str(&url).map_err(|e| invalid("BALLAST_DB_URL", e.to_string()))?
            }
            None => {
                let (Some(host), Some(name), Some(user)) =
                    (var("BALLAST_DB_HOST"), var("BALLAST_DB_NAME"), var("BALLAST_DB_USER"))
                else {
                    return Err(ConfigError::Missing);
                };
                let port = match var("BALLAST_DB_PORT") {
                    Some(p) => p.parse().map_err(|_| invalid("BALLAST_DB_PORT", format!("{p:?} is not a port")))?,
                    None => 5432,
                };
                let mut pg = tokio_postgres::Config::new();
                pg.host(&host).port(port).dbname(&name).user(&user);
                pg
            }
        };
        if let (AuthMode::Password, Some(password)) = (auth, var("BALLAST_DB_PASSWORD")) {
            pg.password(password);
        }
        let host = pg.get_hosts().first().cloned().ok_or_else(|| invalid("BALLAST_DB_URL", "no host".into()))?;
        let tls = match var("BALLAST_DB_TLS").as_deref() {
            None => TlsMode::for_host(&host),
            Some("require") => TlsMode::Require,
            Some("disable") if is_local(&host) => TlsMode::Disable,
            Some("disable") => {
                return Err(invalid(
                    "BALLAST_DB_TLS",
                    format!("plain connections are refused for {}", host_name(&host)),
                ))
            }
            Some(other) => return Err(invalid("BALLAST_DB_TLS", format!("{other:?} is not require or disable"))),
        };
        pg.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Require => SslMode::Require,
        });
        pg.application_name("ballast");
        Ok(DbConfig { pg, auth, tls, ca_file: var("BALLAST_DB_CA_FILE").map(PathBuf::from) })
    }

    /// Host, port, database and user, for a [`PasswordSource`] and for messages.
    pub fn target(&self) -> Target {
        Target {
            host: self.pg.get_hosts().first().map(host_name).unwrap_or_default(),
            port: self.pg.get_ports().first().copied().unwrap_or(5432),
            dbname: self.pg.get_dbname().unwrap_or_default().to_string(),
            user: self.pg.get_user().unwrap_or_default().to_string(),
        }
    }

    /// One new connection; its I/O runs on a spawned task until the client is dropped or
    /// the connection breaks ([`Client::is_closed`]). `password` replaces the configured
    /// one when given.
    pub async fn connect(&self, password: Option<String>) -> Result<Client, ConnectError> {
        let mut pg = self.pg.clone();
        if let Some(p) = password {
            pg.password(p);
        }
        let target = self.target();
        match self.tls {
            TlsMode::Disable => {
                let (client, connection) = pg.connect(NoTls).await?;
                spawn_connection(connection, target);
                Ok(client)
            }
            TlsMode::Require => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(self.ca_file.as_deref())?);
                let (client, connection) = pg.connect(tls).await?;
                spawn_connection(connection, target);
                Ok(client)
            }
        }
    }
}

fn spawn_connection<F>(connection: F, target: Target)
where
    F: Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(host = %target.host, db = %target.dbname, error = %e, "database connection closed");
        }
    });
}

fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        #[cfg(unix)]
        Host::Unix(path) => path.display().to_string(),
    }
}

/// rustls on aws-lc-rs (the provider the AWS SDK already brings), trusting `ca_file`'s
/// certificates or, without one, the system's roots.
fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, ConnectError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let tls = |reason: String| ConnectError::Tls(reason);
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| tls(format!("{}: {e}", path.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(tls(format!("{}: no usable CA certificate", path.display())));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            if roots.is_empty() {
                return Err(tls("no system CA certificates found; set BALLAST_DB_CA_FILE".into()));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What a [`PasswordSource`] is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
}

pub type PasswordError = Box<dyn std::error::Error + Send + Sync>;
pub type PasswordFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, PasswordError>> + Send + 'a>>;

/// Where the password of a new connection comes from; asked once per connection, so a
/// short-lived credential (an RDS IAM token lives 15 minutes) is always fresh.
///
/// This crate has no AWS SDK: it provides [`StaticPassword`] only. The IAM token (a
/// SigV4-presigned `Action=connect` request for the host, port and user) and the Secrets
/// Manager lookup belong in `ballast-aws`, which implements this trait.
pub trait PasswordSource: Send + Sync {
    /// The password for `target`; `None` connects without one (trust auth).
    fn password<'a>(&'a self, target: &'a Target) -> PasswordFuture<'a>;
}

/// A password fixed at start-up (or none).
#[derive(Debug, Clone, Default)]
pub struct StaticPassword(pub Option<String>);

impl PasswordSource for StaticPassword {
    fn password<'a>(&'a self, _: &'a Target) -> PasswordFuture<'a> {
        let password = self.0.clone();
        Box::pin(async move { Ok(password) })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("no password for {user}@{host}: {source}")]
    Password { host: String, user: String, source: PasswordError },
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

/// The one connection a Lambda container keeps: made on first use, made again when the
/// last one broke. Build it in `main` and share it between invocations.
pub struct Database {
    config: DbConfig,
    passwords: Arc<dyn PasswordSource>,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
}

impl Database {
    pub fn new(config: DbConfig, passwords: Arc<dyn PasswordSource>) -> Database {
        Database { config, passwords, client: tokio::sync::Mutex::new(None) }
    }

    /// From the environment, for password auth (the password is in the configuration);
    /// IAM and secret auth need [`Database::new`] with a source from `ballast-aws`.
    pub fn from_env() -> Result<Database, ConfigError> {
        let config = DbConfig::from_env()?;
        match config.auth {
            AuthMode::Password => Ok(Database::new(config, Arc::new(StaticPassword(None)))),
            other => Err(ConfigError::NeedsPasswordSource(other)),
        }
    }

    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// The open client, connecting first when there is none or the last one broke.
    pub async fn client(&self) -> Result<Arc<Client>, ConnectError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let target = self.config.target();
        let password = self.passwords.password(&target).await.map_err(|source| ConnectError::Password {
            host: target.host.clone(),
            user: target.user.clone(),
            source,
        })?;
        let client = Arc::new(self.config.connect(password).await?);
        tracing::info!(host = %target.host, db = %target.dbname, tls = ?self.config.tls, "database connected");
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Runs `op` with the client. When the connection turns out to be gone (the server
    /// restarted, Aurora failed over or scaled, the container thawed after a long freeze),
    /// connects again and runs `op` once more: every write of [`crate::WriteBack`] is
    /// idempotent, so a second run is harmless.
    ///
    /// `op` gets the client by value so its future can own it:
    /// `db.with_client(|c| async move { WriteBack::new(&c).record_review(&row).await })`.
    pub async fn with_client<T, F, Fut>(&self, op: F) -> Result<T, WriteError>
    where
        F: Fn(Arc<Client>) -> Fut,
        Fut: Future<Output = Result<T, WriteError>>,
    {
        let client = self.client().await?;
        match op(client.clone()).await {
            Err(WriteError::Postgres(e)) if connection_lost(&e) => {
                tracing::warn!(error = %e, "database connection lost; connecting again");
                self.forget(&client).await;
                op(self.client().await?).await
            }
            other => other,
        }
    }

    /// Drops `broken` from the slot (unless a newer client already replaced it).
    async fn forget(&self, broken: &Arc<Client>) {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, broken)) {
            *slot = None;
        }
    }
}

/// Whether `e` means the connection is unusable rather than the statement wrong: no
/// SQLSTATE at all (I/O, closed), a connection exception (class 08) or an operator
/// intervention such as a terminated backend or a shutdown (class 57).
pub fn connection_lost(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        None => e.as_db_error().is_none(),
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<DbConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        DbConfig::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn a_local_url_connects_in_plain_text() {
        for url in [
            "postgres://postgres@127.0.0.1:5433/ballast",
            "postgres://postgres@localhost/ballast",
            "postgres://postgres@[::1]:5433/ballast",
            "host=/var/run/postgresql user=postgres dbname=ballast",
        ] {
            let c = config(&[("BALLAST_DB_URL", url)]).unwrap();
            assert_eq!(c.tls, TlsMode::Disable, "{url}");
            assert_eq!(c.pg.get_ssl_mode(), SslMode::Disable);
        }
    }

    #[test]
    fn a_remote_host_requires_tls_and_refuses_plain() {
        let aurora = [
            ("BALLAST_DB_HOST", "ballast.cluster-abc.us-east-1.rds.amazonaws.com"),
            ("BALLAST_DB_PORT", "5432"),
            ("BALLAST_DB_NAME", "ballast"),
            ("BALLAST_DB_USER", "ballast_app"),
            ("BALLAST_DB_AUTH", "iam"),
        ];
        let c = config(&aurora).unwrap();
        assert_eq!((c.tls, c.auth), (TlsMode::Require, AuthMode::Iam));
        assert_eq!(c.pg.get_ssl_mode(), SslMode::Require);
        assert_eq!(c.target().user, "ballast_app");
        let remote_url = [("BALLAST_DB_URL", "postgres://u:p@10.0.3.7:5432/ballast")];
        assert_eq!(config(&remote_url).unwrap().tls, TlsMode::Require);
        let plain = [aurora.as_slice(), &[("BALLAST_DB_TLS", "disable")]].concat();
        assert!(matches!(config(&plain), Err(ConfigError::Invalid { var: "BALLAST_DB_TLS", .. })));
        // Asking for TLS on localhost is allowed (a tunnel, a local TLS server).
        let local_tls = [("BALLAST_DB_URL", "postgres://postgres@127.0.0.1/ballast"), ("BALLAST_DB_TLS", "require")];
        assert_eq!(config(&local_tls).unwrap().tls, TlsMode::Require);
    }

    #[test]
    fn missing_or_bad_settings_are_named() {
        assert!(matches!(config(&[]), Err(ConfigError::Missing)));
        let bad_port =
            [("BALLAST_DB_HOST", "h"), ("BALLAST_DB_NAME", "d"), ("BALLAST_DB_USER", "u"), ("BALLAST_DB_PORT", "x")];
        assert!(matches!(config(&bad_port), Err(ConfigError::Invalid { var: "BALLAST_DB_PORT", .. })));
        let bad_auth = [("BALLAST_DB_URL", "postgres://u@localhost/d"), ("BALLAST_DB_AUTH", "kerberos")];
        assert!(matches!(config(&bad_auth), Err(ConfigError::Invalid { var: "BALLAST_DB_AUTH", .. })));
    }
}
