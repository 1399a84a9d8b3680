//! Aurora connections from a Lambda: the password of each new connection is an RDS IAM
//! authentication token (a SigV4-presigned `Action=connect` request for the host, port
//! and user, valid 15 minutes) signed with the function's own credentials.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use ballast_aurora::{
    AuthMode, Database, DbConfig, PasswordError, PasswordFuture, PasswordSource, StaticPassword, Target,
};

/// How long a token is valid (the longest RDS accepts).
const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// RDS IAM authentication tokens from the SDK's credentials chain.
#[derive(Clone, Debug)]
pub struct IamAuthToken {
    credentials: SharedCredentialsProvider,
    region: String,
}

impl IamAuthToken {
    pub fn new(sdk: &SdkConfig) -> Result<IamAuthToken, String> {
        let credentials = sdk.credentials_provider().ok_or("no AWS credentials provider for the database token")?;
        let region = sdk.region().ok_or("no AWS region for the database token")?.to_string();
        Ok(IamAuthToken { credentials, region })
    }

    /// The token for `target` at `now`: `host:port/?Action=connect&DBUser=user&X-Amz-...`.
    pub async fn token(&self, target: &Target, now: SystemTime) -> Result<String, PasswordError> {
        let identity = self.credentials.provide_credentials().await?.into();
        let mut settings = SigningSettings::default();
        settings.expires_in = Some(TOKEN_LIFETIME);
        settings.signature_location = SignatureLocation::QueryParams;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("rds-db")
            .time(now)
            .settings(settings)
            .build()?
            .into();
        let url = format!(
            "https://{}:{}/?Action=connect&DBUser={}",
            target.host,
            target.port,
            utf8_percent_encode(&target.user)
        );
        let request = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))?;
        let (instructions, _) = sign(request, &params)?.into_parts();
        let mut signed = http::Request::builder().uri(&url).body(())?;
        instructions.apply_to_request_http1x(&mut signed);
        Ok(signed.uri().to_string().trim_start_matches("https://").to_string())
    }
}

/// Percent-encodes a user name for the query (user names are plain identifiers in
/// practice; anything else is encoded rather than trusted).
fn utf8_percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl PasswordSource for IamAuthToken {
    fn password<'a>(&'a self, target: &'a Target) -> PasswordFuture<'a> {
        Box::pin(async move { self.token(target, SystemTime::now()).await.map(Some) })
    }
}

/// The training store from the environment (`BALLAST_DB_*`, see `ballast_aurora::DbConfig`):
/// IAM tokens when `BALLAST_DB_AUTH=iam`, the configured password otherwise.
pub fn training_database(sdk: &SdkConfig) -> Result<Database, String> {
    let config = DbConfig::from_env().map_err(|e| e.to_string())?;
    let passwords: Arc<dyn PasswordSource> = match config.auth {
        AuthMode::Iam => Arc::new(IamAuthToken::new(sdk)?),
        AuthMode::Password => Arc::new(StaticPassword(None)),
        other => return Err(format!("database auth {other:?} is not supported by the functions; use iam or password")),
    };
    Ok(Database::new(config, passwords))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    #[tokio::test]
    async fn the_token_is_a_presigned_connect_request_for_the_host_port_and_user() {
        let sdk = SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "test",
            )))
            .build();
        let target = Target {
            host: "ballast.cluster-abc.us-east-1.rds.amazonaws.com".into(),
            port: 5432,
            dbname: "ballast".into(),
            user: "ballast_app".into(),
        };
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let token = IamAuthToken::new(&sdk).unwrap().token(&target, t0).await.unwrap();
        assert!(
            token.starts_with(
                "ballast.cluster-abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=ballast_app&"
            ),
            "{token}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "%2Fus-east-1%2Frds-db%2Faws4_request",
            "X-Amz-Expires=900",
            "X-Amz-Signature=",
        ] {
            assert!(token.contains(part), "{part} missing from {token}");
        }
        // Deterministic for the same instant; another instant signs differently.
        let again = IamAuthToken::new(&sdk).unwrap().token(&target, t0).await.unwrap();
        let later = IamAuthToken::new(&sdk).unwrap().token(&target, t0 + Duration::from_secs(60)).await.unwrap();
        assert_eq!(token, again);
        assert_ne!(token, later);
    }
}
