//! The database: the pool, the embedded migrations, the one clock every table uses, and how a
//! constraint violation is recognised.
//!
//! SQL lives only in the repository modules (`users::repo`, `stores::repo`, `jobs::repo`, …),
//! one per group of tables, each the only writer of its tables; a repository may read another's
//! table in a join when one query answers its question. Callers see functions named for what
//! they do. Parameters are written `$1`, `$2`, …, which SQLite and PostgreSQL both accept.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Pool = sqlx::SqlitePool;
/// A connection, or an open transaction, that repository functions can join.
pub type Conn = sqlx::SqliteConnection;

/// The default database: an SQLite file in the data directory, created on first run.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("storelink.db").display())
}

/// Opens the database, creating it if needed, and applies the embedded migrations.
pub async fn connect(url: &str) -> anyhow::Result<Pool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Synced records are kilobytes each; 16 KiB pages (instead of 4) hold several per page,
        // which measured about 10 % faster ingest (benches/ingest.rs). Applies to new databases.
        .page_size(16384)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Now, in Unix seconds: the one clock every table uses.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// True when `err` violates the unique constraint on `columns` (`"table.column"`), as SQLite
/// names it in its message.
pub fn violates(err: &sqlx::Error, columns: &str) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.message().contains(columns),
        _ => false,
    }
}

/// Stores a fieldless enum as the text of each variant, for any database with text columns; a
/// value the enum does not know is an error when read, never a guess.
macro_rules! text_column {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The text this value is stored as.
            pub fn as_sql(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_sql(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                match <&'r str as sqlx::Decode<'r, DB>>::decode(value)? {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!("{other:?} is not a {}", stringify!($ty)).into()),
                }
            }
        }
    };
}

pub(crate) use text_column;

/// What the unit tests of the repositories and the engine start from.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::ids::StoreId;

    /// A fresh database in `dir`, migrated.
    pub async fn pool(dir: &tempfile::TempDir) -> Pool {
        connect(&sqlite_url_in(dir.path())).await.unwrap()
    }

    /// A connected store with credentials that open nothing, as registering leaves a store.
    pub async fn connected_store(pool: &Pool) -> StoreId {
        let id = sqlx::query_scalar(
            "INSERT INTO stores (platform, name, shop_domain, state, created_at)
             VALUES ('shopify', 'S', 's.myshopify.com', 'connected', 0) RETURNING id",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at)
             VALUES ($1, 'k', x'00', x'00', 0)",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
        id
    }
}
