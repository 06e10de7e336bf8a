//! Signing in and out, sessions, and the guard every server function calls first.

#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;

use leptos::server;
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, users::UserDto};

/// Signs in and sends the browser to the Stores page. Any wrong credential gets the same
/// message; repeated failures for one email are slowed down.
#[server(prefix = "/api", endpoint = "login", input = PostUrl)]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    crate::server::respond(async {
        let state = crate::server::AppState::current()?;
        let user = session::authenticate(&state.pool, &email, password).await?;
        let token = session::create(&state.pool, user.id).await?;
        session::set_cookie(&token, state.settings.secure_cookies());
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Ends the session on the server, clears the cookie and returns to the sign-in page.
#[server(prefix = "/api", endpoint = "logout", input = PostUrl)]
pub async fn logout() -> Result<(), AppError> {
    crate::server::respond(async {
        let state = crate::server::AppState::current()?;
        if let Some(token) = session::token_from_request() {
            session::delete(&state.pool, &token).await?;
        }
        session::clear_cookie(state.settings.secure_cookies());
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The signed-in user, or `None` for an anonymous visitor.
#[server(prefix = "/api", endpoint = "me", input = GetUrl)]
pub async fn current_user() -> Result<Option<UserDto>, AppError> {
    crate::server::respond(async {
        match guard::require_user().await {
            Ok(caller) => Ok(Some(caller.user)),
            Err(AppError::Unauthorized) => Ok(None),
            Err(err) => Err(err),
        }
    })
    .await
}
