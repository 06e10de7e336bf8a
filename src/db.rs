//! The database: the pool, the embedded migrations, the one clock every table uses, and how a
//! constraint violation is recognised.
//!
//! SQL lives only in the repository modules (`users::repo`, `stores::repo`, `jobs::repo`, …),
//! one per group of tables, each the only writer of its tables; a repository may read another's
//! table in a join when one query answers its question. Callers see functions named for what
//! they do. Parameters are written `$1`, `$2`, …, which SQLite and PostgreSQL both accept.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgConnection, Postgres, Sqlite, SqliteConnection, Transaction,
};

/// The database: an embedded SQLite file for one machine, or PostgreSQL, which several servers
/// share. Both run the same repository code: the queries are written once, in SQL both accept,
/// and [`run!`] runs each on whichever this is.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(sqlx::SqlitePool, WriteTurns),
    Postgres(sqlx::PgPool),
}

/// SQLite's write transactions in this process, one at a time in the order they asked. SQLite
/// has one write lock, and a writer that finds it taken sleeps and tries again; queued here
/// instead, each starts the moment the one before ends, so eight label stations and the sender
/// take their turns without the gaps those sleeps leave.
#[derive(Debug, Clone, Default)]
pub struct WriteTurns(std::sync::Arc<tokio::sync::Mutex<()>>);

impl WriteTurns {
    async fn take(&self) -> Result<tokio::sync::OwnedMutexGuard<()>, sqlx::Error> {
        tokio::time::timeout(BUSY_WAIT, self.0.clone().lock_owned()).await.map_err(|_| sqlx::Error::PoolTimedOut)
    }
}

/// A connection that repository functions run on: a transaction the caller commits, or a plain
/// connection whose every statement commits by itself.
pub enum Conn {
    /// With its turn at SQLite's write lock, given back once the transaction ends.
    Sqlite(Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
    SqlitePlain(PoolConnection<Sqlite>),
    PostgresPlain(PoolConnection<Postgres>),
}

impl Pool {
    /// A transaction. On SQLite it takes the one write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that read first and wrote later could otherwise find another writer had
    /// moved on, and fail at once instead of waiting its turn.
    pub async fn begin(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, turns) => {
                let turn = turns.take().await?;
                Conn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Pool::Postgres(pool) => Conn::Postgres(pool.begin().await?),
        })
    }

    /// A transaction whose commit does not wait for the disk, for writes that can be made again
    /// after a crash: a sync's pages, committed with the checkpoint that says where it was.
    /// PostgreSQL then keeps the promise that SQLite in WAL mode with `synchronous = NORMAL`
    /// keeps for every commit: a crash may lose the last commits (on PostgreSQL up to three
    /// times `wal_writer_delay`, 0.6 s by default), never part of one, and never one that a
    /// later ordinary commit followed. The sync then resumes from the checkpoint it finds.
    pub async fn begin_async_commit(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, turns) => {
                let turn = turns.take().await?;
                Conn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            // One round trip: sqlx sends a custom BEGIN as a simple query, which may hold two.
            Pool::Postgres(pool) => Conn::Postgres(pool.begin_with("BEGIN; SET LOCAL synchronous_commit = off").await?),
        })
    }

    /// A connection of its own, outside any transaction.
    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, _) => Conn::SqlitePlain(pool.acquire().await?),
            Pool::Postgres(pool) => Conn::PostgresPlain(pool.acquire().await?),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// The database's clock in milliseconds, as an SQL expression: leases are kept on it, never
    /// on a server's, so servers whose clocks disagree still agree on who holds a job.
    pub fn clock_ms(&self) -> &'static str {
        clock_ms(self.is_postgres())
    }

    /// What a subquery choosing rows to update adds so that servers claiming at once each take
    /// a different row (SQLite has one writer at a time and needs nothing).
    pub fn skip_locked(&self) -> &'static str {
        if self.is_postgres() {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        }
    }

    /// The same for a subquery that must wait for the one row it names rather than skip it.
    pub fn lock_rows(&self) -> &'static str {
        if self.is_postgres() {
            "FOR UPDATE"
        } else {
            ""
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool, _) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

fn clock_ms(postgres: bool) -> &'static str {
    if postgres {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    } else {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    }
}

impl Conn {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_) | Conn::PostgresPlain(_))
    }

    /// The PostgreSQL connection, for what only PostgreSQL can run (arrays as parameters).
    pub fn postgres(&mut self) -> Option<&mut PgConnection> {
        match self {
            Conn::Postgres(tx) => Some(&mut **tx),
            Conn::PostgresPlain(conn) => Some(&mut **conn),
            Conn::Sqlite(..) | Conn::SqlitePlain(_) => None,
        }
    }

    /// [`Pool::clock_ms`].
    pub fn clock_ms(&self) -> &'static str {
        clock_ms(self.is_postgres())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(tx, _turn) => tx.commit().await,
            Conn::Postgres(tx) => tx.commit().await,
            Conn::SqlitePlain(_) | Conn::PostgresPlain(_) => Ok(()),
        }
    }
}

/// What a query runs on: a connection taken from the pool for it, or the caller's transaction.
pub enum Target<'a> {
    SqlitePooled(PoolConnection<Sqlite>),
    Sqlite(&'a mut SqliteConnection),
    PostgresPooled(PoolConnection<Postgres>),
    Postgres(&'a mut PgConnection),
}

/// A pool or a transaction, as [`run!`] takes either.
pub trait Executes<'a> {
    fn target(self) -> impl std::future::Future<Output = Result<Target<'a>, sqlx::Error>> + Send;
}

impl<'a> Executes<'a> for &'a Pool {
    async fn target(self) -> Result<Target<'a>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, _) => Target::SqlitePooled(pool.acquire().await?),
            Pool::Postgres(pool) => Target::PostgresPooled(pool.acquire().await?),
        })
    }
}

impl<'a> Executes<'a> for &'a mut Conn {
    async fn target(self) -> Result<Target<'a>, sqlx::Error> {
        Ok(match self {
            Conn::Sqlite(tx, _) => Target::Sqlite(&mut *tx),
            Conn::Postgres(tx) => Target::Postgres(&mut *tx),
            Conn::SqlitePlain(conn) => Target::Sqlite(&mut *conn),
            Conn::PostgresPlain(conn) => Target::Postgres(&mut *conn),
        })
    }
}

/// Runs `$body` with `$c` bound to a connection of whichever database `$on` (a pool or a
/// transaction) is; the body is compiled once for each, so one query text serves both. Exported
/// (hidden) for the integration tests and benches, which look into the database the same way.
#[doc(hidden)]
#[macro_export]
macro_rules! db_run {
    ($on:expr, $c:ident => $body:expr) => {
        match $crate::db::Executes::target($on).await {
            Err(err) => Err(err),
            Ok(mut target) => match &mut target {
                $crate::db::Target::SqlitePooled(conn) => {
                    let $c: &mut ::sqlx::SqliteConnection = &mut *conn;
                    $body
                }
                $crate::db::Target::Sqlite(conn) => {
                    let $c: &mut ::sqlx::SqliteConnection = &mut **conn;
                    $body
                }
                $crate::db::Target::PostgresPooled(conn) => {
                    let $c: &mut ::sqlx::PgConnection = &mut *conn;
                    $body
                }
                $crate::db::Target::Postgres(conn) => {
                    let $c: &mut ::sqlx::PgConnection = &mut **conn;
                    $body
                }
            },
        }
    };
}

pub(crate) use crate::db_run as run;

/// The default database: an SQLite file in the data directory, created on first run.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("storelink.db").display())
}

/// Creates the data directory (and its parents) if missing, readable by its owner alone: it holds
/// the database and the key file.
pub fn create_data_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// The SQLite file (and its write-ahead log and shared memory, which SQLite creates with the
/// database file's permissions) readable and writable by its owner alone, whatever the umask:
/// created so when missing, and made so when an earlier version left it readable by others.
fn keep_private(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(file)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `url` names a PostgreSQL database (else it is SQLite's).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the database, creating an SQLite file if needed, and applies its migrations
/// (`migrations/sqlite` or `migrations/postgres`).
pub async fn connect(url: &str) -> anyhow::Result<Pool> {
    if is_postgres_url(url) {
        // A server paused in the middle of a transaction (SIGSTOP, a long pause) would keep the
        // rows it locked, and with them the job another server must take over; PostgreSQL ends
        // such a session after a few seconds. storelink's transactions never wait that long on
        // the server between statements.
        let options = PgConnectOptions::from_str(url)?.options([("idle_in_transaction_session_timeout", "5s")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        return Ok(Pool::Postgres(pool));
    }
    let options = SqliteConnectOptions::from_str(url)?;
    if options.get_filename() != Path::new(":memory:") {
        keep_private(options.get_filename())?;
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Synced records are kilobytes each; 16 KiB pages (instead of 4) hold several per page,
        // which measured about 10 % faster ingest (benches/ingest.rs). Applies to new databases.
        .page_size(16384)
        .foreign_keys(true)
        .busy_timeout(BUSY_WAIT);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| Box::pin(async move { try_again_soon_when_busy(conn).await }))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(Pool::Sqlite(pool, WriteTurns::default()))
}

/// How long a statement waits for SQLite's one write lock before it fails.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// SQLite's own busy handler (the one `busy_timeout` sets) sleeps longer and longer between
/// tries, up to 100 ms a sleep, so a writer queued behind a few others waits far longer than
/// their writes take: eight label stations and the sender measured 1.8 s at p99 for a write of a
/// few milliseconds. This handler tries again every millisecond, for as long.
async fn try_again_soon_when_busy(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    extern "C" fn try_again(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
        if tries as u128 >= BUSY_WAIT.as_millis() {
            return 0;
        }
        // SQLite calls this on the connection's own worker thread, never on the runtime's.
        std::thread::sleep(Duration::from_millis(1));
        1
    }
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is this connection's open database, locked for the call; the handler
    // keeps no state and its argument is unused.
    let code = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(handle.as_raw_handle().as_ptr(), Some(try_again), std::ptr::null_mut())
    };
    if code != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Protocol(format!("SQLite refused the busy handler ({code})")));
    }
    Ok(())
}

/// Where a test or bench keeps its own database: an SQLite file in `data_dir`, or, when
/// `STORELINK_TEST_DATABASE_URL` names a PostgreSQL server (`.ci/test` starts one), a new
/// database created on it for this caller alone.
pub async fn scratch_url(data_dir: &Path) -> String {
    let Ok(server) = std::env::var("STORELINK_TEST_DATABASE_URL") else {
        return sqlite_url_in(data_dir);
    };
    use sqlx::Connection;
    let name = format!("storelink_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("the test PostgreSQL server answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("a test database");
    let (base, _) = server.rsplit_once('/').expect("a database URL ends with /DATABASE");
    format!("{base}/{name}")
}

/// PostgreSQL's `NOTIFY`: `payload` to every server listening on `channel`, sent when this
/// statement commits (at once: it runs on its own).
pub async fn notify(pool: &sqlx::PgPool, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(pool).await.map(|_| ())
}

/// A connection of its own listening on `channel` (see [`notify`]).
pub async fn listen(pool: &sqlx::PgPool, channel: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Whether the database answers and has every migration this build carries.
pub async fn ready(pool: &Pool) -> Result<(), String> {
    let known = match pool {
        Pool::Sqlite(..) => sqlx::migrate!("./migrations/sqlite").iter().count(),
        Pool::Postgres(_) => sqlx::migrate!("./migrations/postgres").iter().count(),
    };
    let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    let applied: i64 = run!(pool, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await).map_err(|err| {
        tracing::warn!(error = %err, "the readiness check could not reach the database");
        "the database does not answer".to_owned()
    })?;
    if applied < known as i64 {
        return Err(format!("the database has {applied} of {known} migrations"));
    }
    Ok(())
}

/// Now, in Unix seconds: the one clock every table uses.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// Unix seconds at the start of a `YYYY-MM-DD` day (UTC); `None` for anything else.
pub fn day_start(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some(time::Date::parse(date.trim(), &format).ok()?.midnight().assume_utc().unix_timestamp())
}

/// The day (`YYYY-MM-DD`, UTC) of Unix seconds.
pub fn day_text(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs).map(|t| t.date().to_string()).unwrap_or_default()
}

/// A `LIKE` pattern (with `ESCAPE '\'`) matching text that contains `typed`, lower-cased: `%`
/// and `_` typed are themselves, not wildcards.
pub fn contains_pattern(typed: &str) -> String {
    let escaped = typed.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `(a = ? AND b = ?) OR …`, one for each pair: the rows of exactly these pairs, each found by
/// the index on `(a, b)` (two `IN` lists would try every combination of the two).
pub fn push_pairs<DB: sqlx::Database>(
    sql: &mut sqlx::QueryBuilder<DB>,
    (a, b): (&str, &str),
    pairs: impl IntoIterator<Item = (i64, i64)>,
) where
    for<'t> i64: sqlx::Encode<'t, DB>,
    i64: sqlx::Type<DB>,
{
    for (n, (x, y)) in pairs.into_iter().enumerate() {
        sql.push(if n == 0 { "(" } else { " OR (" });
        sql.push(format!("{a} = ")).push_bind(x).push(format!(" AND {b} = ")).push_bind(y).push(")");
    }
}

/// `col IN (?, ?, …)` for these ids; `FALSE` for none (SQL has no empty list).
pub fn push_in<DB: sqlx::Database>(sql: &mut sqlx::QueryBuilder<DB>, col: &str, ids: impl IntoIterator<Item = i64>)
where
    for<'t> i64: sqlx::Encode<'t, DB>,
    i64: sqlx::Type<DB>,
{
    let mut ids = ids.into_iter().peekable();
    if ids.peek().is_none() {
        sql.push("1 = 0");
        return;
    }
    sql.push(format!("{col} IN ("));
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    sql.push(")");
}

/// A unique constraint, as each database names it: SQLite by its columns in the message
/// (`"table.column"`), PostgreSQL by the constraint's (or unique index's) name.
pub struct Unique {
    pub columns: &'static str,
    pub name: &'static str,
}

/// True when `err` violates `unique`.
pub fn violates(err: &sqlx::Error, unique: &Unique) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.constraint() == Some(unique.name) || db.message().contains(unique.columns)
        }
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
        connect(&scratch_url(dir.path()).await).await.unwrap()
    }

    /// A connected store with credentials that open nothing, as registering leaves a store.
    pub async fn connected_store(pool: &Pool) -> StoreId {
        let id = crate::db::run!(pool, c => sqlx::query_scalar(
            "INSERT INTO stores (platform, name, shop_domain, state, created_at, organization_id)
             VALUES ('shopify', 'S', 's.myshopify.com', 'connected', 0, 1) RETURNING id",
        )
        .fetch_one(&mut *c).await)
        .unwrap();
        crate::db::run!(pool, c => sqlx::query(
            "INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at)
             VALUES ($1, 'k', $2, $2, 0)",
        )
        .bind(id)
        .bind(vec![0u8])
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An asynchronous commit is still a commit: what it wrote is there for every connection at
    /// once; only PostgreSQL's wait for the disk is left out, in that transaction alone.
    #[tokio::test]
    async fn an_asynchronous_commit_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = scratch_url(dir.path()).await;
        let mut pool = connect(&url).await.unwrap();
        if let Pool::Postgres(pg) = &pool {
            // The test server commits asynchronously throughout; this database does not.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE {} SET synchronous_commit = on",
                url.rsplit_once('/').unwrap().1
            )))
            .execute(pg)
            .await
            .unwrap();
            pool.close().await;
            pool = connect(&url).await.unwrap();
        }
        let store = fixtures::connected_store(&pool).await;

        let mut plain = pool.begin().await.unwrap();
        assert!(matches!(setting(&mut plain).await.as_deref(), None | Some("on")));
        drop(plain);
        let mut tx = pool.begin_async_commit().await.unwrap();
        assert!(matches!(setting(&mut tx).await.as_deref(), None | Some("off")));
        run!(&mut tx, c => sqlx::query("UPDATE stores SET name = 'Renamed' WHERE id = $1").bind(store)
            .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
        tx.commit().await.unwrap();

        let name: String =
            run!(&pool, c => sqlx::query_scalar("SELECT name FROM stores WHERE id = $1").bind(store).fetch_one(&mut *c).await)
                .unwrap();
        assert_eq!(name, "Renamed");
    }

    /// The database holds password hashes and sessions: nobody but its owner reads it, whatever
    /// the umask, and a file an earlier version left readable is made private.
    #[tokio::test]
    async fn the_data_directory_and_the_sqlite_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        create_data_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        let pool = connect(&sqlite_url_in(&data)).await.unwrap();
        fixtures::connected_store(&pool).await;
        for file in ["storelink.db", "storelink.db-wal", "storelink.db-shm"] {
            assert_eq!(mode(&data.join(file)), 0o600, "{file}");
        }
        pool.close().await;
        std::fs::set_permissions(data.join("storelink.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        connect(&sqlite_url_in(&data)).await.unwrap().close().await;
        assert_eq!(mode(&data.join("storelink.db")), 0o600, "made private again");
    }

    /// PostgreSQL's `synchronous_commit` in `tx`; SQLite has none.
    async fn setting(tx: &mut Conn) -> Option<String> {
        let pg = tx.postgres()?;
        Some(sqlx::query_scalar("SHOW synchronous_commit").fetch_one(pg).await.unwrap())
    }
}
