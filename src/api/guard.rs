//! The guard every server function calls before it does anything: anonymous callers get 401,
//! callers without the role get 403.

use crate::{db::Pool, error::AppError, state::AppState, users::UserDto};

/// Who is calling, with the state they may use.
pub struct Caller {
    pub user: UserDto,
    /// Their session's token hash, as the database keeps it.
    pub session_hash: String,
    pub state: AppState,
}

impl Caller {
    pub fn pool(&self) -> &Pool {
        &self.state.pool
    }
}

pub async fn require_user() -> Result<Caller, AppError> {
    let state = AppState::current()?;
    let token = super::auth::session_token().ok_or(AppError::Unauthorized)?;
    let user = crate::auth::session::user_for_token(&state.pool, &token).await?.ok_or(AppError::Unauthorized)?;
    Ok(Caller { user, session_hash: crate::auth::session::token_hash(&token), state })
}

pub async fn require_admin() -> Result<Caller, AppError> {
    let caller = require_user().await?;
    if !caller.user.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(caller)
}
