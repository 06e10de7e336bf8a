//! The `organizations` table.

use super::Organization;
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::OrgId,
};

/// The organizations' ids, oldest first.
pub async fn ids(pool: &Pool) -> Result<Vec<OrgId>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT id FROM organizations ORDER BY id").fetch_all(&mut *c).await)?)
}

/// Every organization, by name, with how many stores and users it has and its last sync.
pub async fn list(pool: &Pool) -> Result<Vec<Organization>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT o.id, o.name, o.enabled,
                (SELECT COUNT(*) FROM stores s WHERE s.organization_id = o.id) AS stores,
                (SELECT COUNT(*) FROM users u WHERE u.organization_id = o.id) AS users,
                (SELECT MAX(s.last_synced_at) FROM stores s WHERE s.organization_id = o.id) AS last_synced_at
         FROM organizations o ORDER BY LOWER(o.name), o.id",
    )
    .fetch_all(&mut *c).await)?)
}
