//! Training exports to S3: `s3://bucket/key` destinations, and the upload of a file the
//! export wrote (`ballast-aurora export`), so training data reaches the bucket SageMaker
//! training jobs read without a manual copy.

use std::path::Path;

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;

/// Where one export goes in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
}

impl S3Object {
    /// Reads `s3://bucket/key`. A key that is empty or ends in `/` is a prefix: the object
    /// is `file_name` under it (`s3://bucket/training/2026-11-29/` → `…/2026-11-29/etfs.csv`).
    pub fn parse(url: &str, file_name: &str) -> Result<S3Object, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| format!("{url}: not an s3:// URL"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket naming rules, loosely: enough to refuse a typo before any upload.
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(format!("{url}: {bucket:?} is not an S3 bucket name (3 to 63 of a-z, 0-9, '-', '.')"));
        }
        if key.split('/').any(|part| part == "." || part == "..") {
            return Err(format!("{url}: the key may not hold '.' or '..' segments"));
        }
        let key = if key.is_empty() || key.ends_with('/') { format!("{key}{file_name}") } else { key.to_string() };
        if key.len() > 1024 {
            return Err(format!("{url}: the key is longer than S3's 1,024 bytes"));
        }
        Ok(S3Object { bucket: bucket.to_string(), key })
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// An S3 client from `sdk`; with `endpoint` (a local stand-in such as moto), path-style
/// addressing (`http://host/bucket/key`), which local servers need.
pub fn s3_client(sdk: &SdkConfig, endpoint: Option<&str>) -> aws_sdk_s3::Client {
    let mut config = aws_sdk_s3::config::Builder::from(sdk);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(config.build())
}

/// Uploads the file at `path` as `to` (one PutObject: up to 5 GB, far above a training
/// export) as `text/csv`; returns the bytes sent.
pub async fn upload_file(client: &aws_sdk_s3::Client, path: &Path, to: &S3Object) -> Result<u64, String> {
    let bytes = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
    let body = ByteStream::from_path(path).await.map_err(|e| format!("{}: {e}", path.display()))?;
    client
        .put_object()
        .bucket(&to.bucket)
        .key(&to.key)
        .content_type("text/csv")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{}: {}", to.url(), aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_is_a_bucket_and_a_key_or_a_prefix_the_file_goes_under() {
        let o = |url: &str| S3Object::parse(url, "etfs.csv");
        let at = |b: &str, k: &str| Ok(S3Object { bucket: b.into(), key: k.into() });
        assert_eq!(
            o("s3://ballast-training/exports/2026-11-29/"),
            at("ballast-training", "exports/2026-11-29/etfs.csv")
        );
        assert_eq!(o("s3://ballast-training/etf/train.csv"), at("ballast-training", "etf/train.csv"));
        assert_eq!(o("s3://ballast-training"), at("ballast-training", "etfs.csv"));
        assert_eq!(o("s3://ballast-training/"), at("ballast-training", "etfs.csv"));
        assert_eq!(o("s3://ballast-training/x/").unwrap().url(), "s3://ballast-training/x/etfs.csv");
        for bad in ["/tmp/etfs.csv", "s3://", "s3://Bad_Bucket/x", "s3://ab/x", "s3://bucket/../etc/", "S3://bucket/x"]
        {
            assert!(o(bad).is_err(), "{bad} was accepted");
        }
        assert!(o(&format!("s3://bucket/{}", "k".repeat(1100))).is_err());
    }
}
