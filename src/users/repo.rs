//! The `users`, `user_stores`, `user_locations` and `invitations` tables.

use super::{InvitationDto, Role, StoreSight, UserDto};
use crate::{
    db::{self, Conn, Pool},
    error::{text, AppError},
    ids::{OrgId, UserId},
};

const COLUMNS: &str = "id, email, role, active, organization_id, all_stores";

/// The organization's users.
pub async fn list(pool: &Pool, org: OrgId) -> Result<Vec<UserDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE organization_id = $1 ORDER BY email");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).fetch_all(&mut *c).await)?)
}

/// The user, when they are the organization's.
pub async fn get(pool: &Pool, org: OrgId, id: UserId) -> Result<Option<UserDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND organization_id = $2");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(org).fetch_optional(&mut *c).await)?)
}

/// The user, if they exist and are active.
pub async fn get_active(pool: &Pool, id: UserId) -> Result<Option<UserDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND active");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?)
}

/// Creates a user; `email` must already be normalised and `password_hash` computed. Joins the
/// caller's transaction, so the audit entry goes with it.
pub async fn create(
    conn: &mut Conn,
    org: OrgId,
    email: &str,
    role: Role,
    password_hash: &str,
) -> Result<UserDto, AppError> {
    let inserted = db::run!(&mut *conn, c => sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, role, active, created_at, organization_id)
         VALUES ($1, $2, $3, TRUE, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(role)
    .bind(db::now())
    .bind(org)
    .fetch_one(&mut *c).await);
    match inserted {
        Ok(id) => Ok(UserDto { id, email: email.to_owned(), role, active: true, org, all_stores: true }),
        Err(err) if db::violates(&err, &db::Unique { columns: "users.email", name: "users_email_key" }) => {
            Err(AppError::invalid("email", text::EMAIL_TAKEN))
        }
        Err(err) => Err(err.into()),
    }
}

/// Makes `email` an active administrator with a new password hash, whatever it was before.
pub async fn restore_admin(pool: &Pool, email: &str, password_hash: &str) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE users SET role = 'admin', active = TRUE, password_hash = $1 WHERE email = $2")
        .bind(password_hash)
        .bind(email)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserDto,
    password_hash: String,
}

/// The user and password hash for a sign-in attempt; inactive users are not returned.
pub async fn find_active_for_login(pool: &Pool, email: &str) -> Result<Option<(UserDto, String)>, AppError> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = $1 AND active");
    let row: Option<LoginRow> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(&mut *c).await)?;
    Ok(row.map(|row| (row.user, row.password_hash)))
}

/// The organization's active users.
pub async fn count_active(conn: &mut Conn, org: OrgId) -> Result<i64, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE organization_id = $1 AND active")
        .bind(org)
        .fetch_one(&mut *c).await)?)
}

/// Active administrators in the whole installation: whether the first one is still to be made.
pub async fn count_active_admins(pool: &Pool) -> Result<i64, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active").fetch_one(&mut *c).await)?,
    )
}

// The last-administrator rule (of the user's organization) is part of each UPDATE's WHERE
// clause, so two administrators demoting each other at the same moment cannot both succeed.
macro_rules! unless_last_active_admin {
    () => {
        " AND (role <> 'admin' OR NOT active OR EXISTS (SELECT 1 FROM users other
              WHERE other.role = 'admin' AND other.active AND other.id <> users.id
                AND other.organization_id = users.organization_id))"
    };
}

/// Why an UPDATE of `id` changed nothing: no such user, or the last-administrator rule.
pub async fn refusal(pool: &Pool, org: OrgId, id: UserId) -> AppError {
    match get(pool, org, id).await {
        Ok(None) => AppError::NotFound(text::NO_SUCH_USER.into()),
        Ok(Some(_)) => AppError::Conflict(text::LAST_ADMIN.into()),
        Err(err) => err,
    }
}

/// Gives the user `role`, unless that would leave no active administrator; joins the caller's
/// transaction. False when nothing changed (see [`refusal`]).
pub async fn set_role(conn: &mut Conn, org: OrgId, id: UserId, role: Role) -> Result<bool, AppError> {
    let sql = match role {
        Role::Admin => "UPDATE users SET role = 'admin' WHERE id = $1 AND organization_id = $2",
        Role::Standard => concat!(
            "UPDATE users SET role = 'standard' WHERE id = $1 AND organization_id = $2",
            unless_last_active_admin!()
        ),
    };
    Ok(
        db::run!(&mut *conn, c => sqlx::query(sql).bind(id).bind(org).execute(&mut *c).await.map(|done| done.rows_affected()))?
            == 1,
    )
}

/// Deactivates a user, unless they are the last active administrator; joins the caller's
/// transaction so their sessions can end with it. False when nothing changed.
pub async fn deactivate(conn: &mut Conn, org: OrgId, id: UserId) -> Result<bool, AppError> {
    let sql =
        concat!("UPDATE users SET active = FALSE WHERE id = $1 AND organization_id = $2", unless_last_active_admin!());
    Ok(
        db::run!(&mut *conn, c => sqlx::query(sql).bind(id).bind(org).execute(&mut *c).await.map(|done| done.rows_affected()))?
            == 1,
    )
}

/// Whether a user (active or not) has this email.
pub async fn email_taken(pool: &Pool, email: &str) -> Result<bool, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(email)
        .fetch_one(&mut *c).await)?)
}

/// Stores an invitation (only its token's hash), in the caller's transaction.
pub async fn insert_invitation(
    conn: &mut Conn,
    org: OrgId,
    email: &str,
    role: Role,
    token_hash: &str,
    created_at: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO invitations (token_hash, organization_id, email, role, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(org)
    .bind(email)
    .bind(role)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The invitation with this token hash, while it is neither accepted nor expired.
pub async fn open_invitation(pool: &Pool, token_hash: &str, now: i64) -> Result<Option<InvitationDto>, AppError> {
    let found: Option<(String, String, Role)> = db::run!(pool, c => sqlx::query_as(
        "SELECT o.name, i.email, i.role FROM invitations i JOIN organizations o ON o.id = i.organization_id
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c).await)?;
    Ok(found.map(|(organization, email, role)| InvitationDto { organization, email, role }))
}

/// Marks the invitation with this token hash accepted, if it still could be (in the caller's
/// transaction, so two at once cannot both take it): its organization, email and role.
pub async fn take_invitation(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
) -> Result<Option<(OrgId, String, Role)>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_as(
        "UPDATE invitations SET accepted_at = $2
         WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2
         RETURNING organization_id, email, role",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c).await)?)
}

/// The stores chosen for a user who does not see all of them, each with its chosen locations.
pub async fn chosen_stores(pool: &Pool, id: UserId) -> Result<Vec<StoreSight>, AppError> {
    let rows: Vec<(crate::ids::StoreId, Option<i64>)> = db::run!(pool, c => sqlx::query_as(
        "SELECT s.store_id, l.location_id FROM user_stores s
         LEFT JOIN user_locations l ON l.user_id = s.user_id AND l.store_id = s.store_id
         WHERE s.user_id = $1 ORDER BY s.store_id, l.location_id",
    )
    .bind(id)
    .fetch_all(&mut *c).await)?;
    let mut sights: Vec<StoreSight> = Vec::new();
    for (store, location) in rows {
        if sights.last().is_none_or(|last| last.store != store) {
            sights.push(StoreSight { store, locations: Vec::new() });
        }
        if let (Some(location), Some(last)) = (location, sights.last_mut()) {
            last.locations.push(location);
        }
    }
    Ok(sights)
}

/// Lets the organization's user see all stores, or only `stores`; in the caller's transaction.
pub async fn set_stores(
    conn: &mut Conn,
    org: OrgId,
    id: UserId,
    all: bool,
    stores: &[StoreSight],
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE users SET all_stores = $3 WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(org)
        .bind(all)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    for table in ["user_locations", "user_stores"] {
        let sql = format!("DELETE FROM {table} WHERE user_id = $1");
        db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    for sight in stores {
        db::run!(&mut *conn, c => sqlx::query("INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2)")
            .bind(id)
            .bind(sight.store)
            .execute(&mut *c).await.map(|done| done.rows_affected()))?;
        for location in &sight.locations {
            db::run!(&mut *conn, c => sqlx::query("INSERT INTO user_locations (user_id, store_id, location_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(sight.store)
                .bind(location)
                .execute(&mut *c).await.map(|done| done.rows_affected()))?;
        }
    }
    Ok(())
}
