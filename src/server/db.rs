//! The database connection. Every query lives in the repository module of its table
//! (`users::repo`, `stores::repo`, …) and takes a `&Pool`, so adding PostgreSQL later changes
//! this module and the SQL dialect, not the callers.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Pool = sqlx::SqlitePool;

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
