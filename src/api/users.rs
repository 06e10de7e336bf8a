//! The administrators' user management.

use leptos::server;
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, ids::UserId, users::UserDto};

#[server(prefix = "/api", endpoint = "users/list", input = GetUrl)]
pub async fn list_users() -> Result<Vec<UserDto>, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::users::repo::list(caller.pool(), caller.org()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "users/create", input = PostUrl)]
pub async fn create_user(email: String, role: String, password: String) -> Result<UserDto, AppError> {
    super::respond(async {
        use crate::users::{check_password_strength, normalize_email, Role};
        let caller = super::require_admin().await?;
        let email = normalize_email(&email)?;
        let role = Role::parse(&role)?;
        check_password_strength(&password)?;
        let hash = crate::auth::password::hash(password).await?;
        crate::users::create(caller.pool(), &email, role, &hash, caller.user.actor()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "users/change-role", input = PostUrl)]
pub async fn change_role(user_id: UserId, role: String) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let role = crate::users::Role::parse(&role)?;
        crate::users::change_role(caller.pool(), user_id, role, caller.user.actor()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "users/deactivate", input = PostUrl)]
pub async fn deactivate_user(user_id: UserId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::auth::deactivate_user(caller.pool(), user_id, caller.user.actor()).await?;
        // Their open pages stop hearing progress, on every server.
        caller.state.hub.sessions_ended(user_id);
        Ok(())
    })
    .await
}

/// The invitation a link carries, for its page: anyone holding the link may read it.
#[server(prefix = "/api", endpoint = "invitation", input = GetUrl)]
pub async fn invitation(token: String) -> Result<crate::users::InvitationDto, AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        crate::users::invitation(&state.pool, &token).await
    })
    .await
}

/// Accepts an invitation with the password its new user chose, signs them in and opens the
/// Stores page.
#[server(prefix = "/api", endpoint = "invitation/accept", input = PostUrl)]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        // A link that cannot be used is said before the password is judged.
        crate::users::invitation(&state.pool, &token).await?;
        crate::users::check_password_strength(&password)?;
        let hash = crate::auth::password::hash(password).await?;
        let user = crate::users::accept_invitation(&state.pool, &token, &hash).await?;
        let session = crate::auth::session::create(&state.pool, user.id).await?;
        super::auth::set_session_cookie(&session, state.settings.secure_cookies());
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}
