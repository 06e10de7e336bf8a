//! The guard every server function calls before it does anything: anonymous callers get 401,
//! callers without the role get 403.

use crate::{
    error::AppError,
    server::{db, AppState},
    users::UserDto,
};

/// Who is calling, with what they need to do their work.
pub struct Caller {
    pub user: UserDto,
    pub pool: db::Pool,
}

pub async fn require_user() -> Result<Caller, AppError> {
    let state = AppState::current()?;
    let token = super::session::token_from_request().ok_or(AppError::Unauthorized)?;
    let user = super::session::user_for_token(&state.pool, &token).await?.ok_or(AppError::Unauthorized)?;
    Ok(Caller { user, pool: state.pool })
}

pub async fn require_admin() -> Result<Caller, AppError> {
    let caller = require_user().await?;
    if !caller.user.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(caller)
}
