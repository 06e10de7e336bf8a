//! The guard every server function calls before it does anything: anonymous callers get 401,
//! callers without the role get 403.

use crate::{
    db::Pool,
    error::AppError,
    ids::{OrgId, StoreId},
    state::AppState,
    stores::StoreDto,
    users::{StoreAccess, UserDto},
};

/// Who is calling, with the state they may use.
pub struct Caller {
    pub user: UserDto,
    /// Their session's token hash, as the database keeps it.
    pub session_hash: String,
    pub state: AppState,
    /// The organization's stores they see: all, or those an administrator chose.
    pub access: StoreAccess,
}

impl Caller {
    pub fn pool(&self) -> &Pool {
        &self.state.pool
    }

    /// The caller's organization: every read and write of theirs is within it.
    pub fn org(&self) -> OrgId {
        self.user.org
    }

    /// The store a request names, when it is the caller's organization's and one they see;
    /// another organization's store, or one an administrator did not choose for them, is as
    /// unknown as one that never existed.
    pub async fn store(&self, id: StoreId) -> Result<StoreDto, AppError> {
        let found = match self.access.sees(id) {
            true => crate::stores::repo::get(self.pool(), self.org(), id).await?,
            false => None,
        };
        found.ok_or_else(|| AppError::NotFound(crate::error::text::NO_SUCH_STORE.into()))
    }

    /// Refuses an order of `store` none of whose parcels is at a location the caller sees (when
    /// they see the store at some locations only), as if it did not exist.
    pub async fn order(&self, store: &StoreDto, order_id: i64) -> Result<(), AppError> {
        let Some(locations) = self.access.locations_of(store.id) else {
            return Ok(());
        };
        if crate::records::repo::orders_at(self.pool(), store.id, &[order_id], &locations).await?.is_empty() {
            return Err(AppError::NotFound(format!("{} has no order {order_id}.", store.name)));
        }
        Ok(())
    }

    /// The caller as a shipment names who recorded it, with the locations they ship from.
    pub fn recorder(&self) -> crate::shipments::Recorder<'_> {
        crate::shipments::Recorder {
            user_id: Some(self.user.id),
            name: &self.user.email,
            scope: format!("user:{}", self.user.id),
            sight: self.access.narrowed(),
        }
    }

    /// The organization's stores the caller sees.
    pub async fn stores(&self) -> Result<Vec<StoreDto>, AppError> {
        crate::stores::seen(self.pool(), self.org(), &self.access).await
    }
}

/// The signed-in user, whether or not their organization has e-commerce: who they are, and
/// signing out.
pub async fn signed_in() -> Result<Caller, AppError> {
    let state = AppState::current()?;
    let token = super::auth::session_token().ok_or(AppError::Unauthorized)?;
    let user = crate::auth::session::user_for_token(&state.pool, &token).await?.ok_or(AppError::Unauthorized)?;
    let access = crate::users::store_access(&state.pool, &user).await?;
    Ok(Caller { user, session_hash: crate::auth::session::token_hash(&token), state, access })
}

/// The signed-in user of an organization with e-commerce: everything else needs it.
pub async fn require_user() -> Result<Caller, AppError> {
    let caller = signed_in().await?;
    if !crate::organizations::repo::enabled(caller.pool(), caller.org()).await? {
        return Err(AppError::NotSetUp);
    }
    Ok(caller)
}

pub async fn require_admin() -> Result<Caller, AppError> {
    let caller = require_user().await?;
    if !caller.user.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(caller)
}
