//! The `raw` columns: each synced record's JSON exactly as Shopify sent it.

use sqlx::{
    error::BoxDynError,
    postgres::{PgTypeInfo, PgValueRef},
    sqlite::{SqliteTypeInfo, SqliteValueRef},
    Postgres, Sqlite, TypeInfo, ValueRef,
};

/// A `raw` column: a record's JSON exactly as Shopify sent it, stored lz4-compressed. An order is
/// about 10 KB of JSON; writing it, more than parsing it, bounded how fast a sync stores pages,
/// and it compresses about 3× in a few microseconds. Rows stored before compression hold the
/// text itself; both read back as the text.
#[derive(Debug)]
pub struct RawJson(pub String);

impl RawJson {
    /// What the column stores for `json`.
    pub fn pack(json: &str) -> Vec<u8> {
        lz4_flex::compress_prepend_size(json.as_bytes())
    }
}

impl sqlx::Type<Sqlite> for RawJson {
    fn type_info() -> SqliteTypeInfo {
        <Vec<u8> as sqlx::Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <Vec<u8> as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Sqlite> for RawJson {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let packed = value.type_info().name() == "BLOB";
        let bytes = <&[u8] as sqlx::Decode<Sqlite>>::decode(value)?;
        let text = if packed { lz4_flex::decompress_size_prepended(bytes)? } else { bytes.to_vec() };
        Ok(RawJson(String::from_utf8(text)?))
    }
}

/// PostgreSQL has only ever held compressed rows (`BYTEA`).
impl sqlx::Type<Postgres> for RawJson {
    fn type_info() -> PgTypeInfo {
        <Vec<u8> as sqlx::Type<Postgres>>::type_info()
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for RawJson {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let bytes = <&[u8] as sqlx::Decode<Postgres>>::decode(value)?;
        Ok(RawJson(String::from_utf8(lz4_flex::decompress_size_prepended(bytes)?)?))
    }
}
