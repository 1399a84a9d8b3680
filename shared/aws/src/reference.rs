//! Reference data in DynamoDB for the in-process cache: each part (security master,
//! prices, models, lists, venues, parameters) is its JSON text cut into chunks of at most
//! 300 KB (an item holds 400 KB), items `REF#<part>` / `CHUNK#<n>`.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use ballast_core::ReferenceFile;
use ballast_refcache::{Part, PartData, ReferenceSource, SourceError};

const CHUNK_BYTES: usize = 300_000;

#[derive(Clone, Debug)]
pub struct DynamoReferenceSource {
    client: Client,
    table: String,
}

fn unavailable(part: Part, e: impl std::fmt::Display) -> SourceError {
    SourceError::Unavailable { part: part.as_str(), message: e.to_string() }
}

fn malformed(part: Part, e: impl std::fmt::Display) -> SourceError {
    SourceError::Malformed { part: part.as_str(), message: e.to_string() }
}

impl DynamoReferenceSource {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoReferenceSource { client, table: table.into() }
    }

    /// Writes every part of a reference file (a nightly load, or seeding a test). Chunks
    /// past the new end are deleted, so a part that shrinks reads back whole.
    pub async fn put_reference(&self, file: &ReferenceFile) -> Result<(), SourceError> {
        let parts: [(Part, String); 6] = [
            (
                Part::SecurityMaster,
                serde_json::to_string(&file.securities).map_err(|e| malformed(Part::SecurityMaster, e))?,
            ),
            (Part::Prices, serde_json::to_string(&file.prices).map_err(|e| malformed(Part::Prices, e))?),
            (
                Part::Models,
                serde_json::to_string(&(&file.models, &file.substitutes)).map_err(|e| malformed(Part::Models, e))?,
            ),
            (Part::Lists, serde_json::to_string(&file.lists).map_err(|e| malformed(Part::Lists, e))?),
            (Part::Venues, serde_json::to_string(&file.venues).map_err(|e| malformed(Part::Venues, e))?),
            (
                Part::Parameters,
                serde_json::to_string(&file.check_parameters).map_err(|e| malformed(Part::Parameters, e))?,
            ),
        ];
        for (part, json) in parts {
            let mut chunks = Vec::new();
            let mut rest = json.as_str();
            while !rest.is_empty() {
                let mut end = rest.len().min(CHUNK_BYTES);
                while !rest.is_char_boundary(end) {
                    end -= 1;
                }
                chunks.push(&rest[..end]);
                rest = &rest[end..];
            }
            for (i, chunk) in chunks.iter().enumerate() {
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .item("pk", AttributeValue::S(format!("REF#{}", part.as_str())))
                    .item("sk", AttributeValue::S(format!("CHUNK#{i:04}")))
                    .item("doc", AttributeValue::S(chunk.to_string()))
                    .send()
                    .await
                    .map_err(|e| unavailable(part, crate::port_error("reference", e)))?;
            }
            let stored = self.chunks(part).await?.len();
            for i in chunks.len()..stored {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", AttributeValue::S(format!("REF#{}", part.as_str())))
                    .key("sk", AttributeValue::S(format!("CHUNK#{i:04}")))
                    .send()
                    .await
                    .map_err(|e| unavailable(part, crate::port_error("reference", e)))?;
            }
        }
        Ok(())
    }

    async fn chunks(&self, part: Part) -> Result<Vec<String>, SourceError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :c)")
                .expression_attribute_values(":pk", AttributeValue::S(format!("REF#{}", part.as_str())))
                .expression_attribute_values(":c", AttributeValue::S("CHUNK#".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable(part, crate::port_error("reference", e)))?;
            for item in page.items.unwrap_or_default() {
                match item.get("doc").and_then(|v| v.as_s().ok()) {
                    Some(t) => out.push(t.clone()),
                    None => return Err(malformed(part, "a chunk without a doc")),
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

impl ReferenceSource for DynamoReferenceSource {
    async fn load(&self, part: Part) -> Result<PartData, SourceError> {
        let chunks = self.chunks(part).await?;
        if chunks.is_empty() {
            return Err(unavailable(part, "no reference data stored for this part"));
        }
        let json = chunks.concat();
        let m = |e: serde_json::Error| malformed(part, e);
        Ok(match part {
            Part::SecurityMaster => PartData::SecurityMaster(serde_json::from_str(&json).map_err(m)?),
            Part::Prices => PartData::Prices(serde_json::from_str(&json).map_err(m)?),
            Part::Models => {
                let (models, substitutes) = serde_json::from_str(&json).map_err(m)?;
                PartData::Models { models, substitutes }
            }
            Part::Lists => PartData::Lists(serde_json::from_str(&json).map_err(m)?),
            Part::Venues => PartData::Venues(serde_json::from_str(&json).map_err(m)?),
            Part::Parameters => PartData::Parameters(serde_json::from_str(&json).map_err(m)?),
        })
    }
}
