//! Signing in and out, and who is signed in; (server only) the session cookie.

use leptos::server;
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, users::UserDto};

/// Signs in and sends the browser to the Stores page. Any wrong credential gets the same
/// message; repeated failures for one email are slowed down.
#[server(prefix = "/api", endpoint = "login", input = PostUrl)]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        let user = crate::auth::authenticate(&state.pool, &email, password).await?;
        let token = crate::auth::session::create(&state.pool, user.id).await?;
        set_session_cookie(&token, state.settings.secure_cookies());
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Ends the session on the server, clears the cookie and returns to the sign-in page.
#[server(prefix = "/api", endpoint = "logout", input = PostUrl)]
pub async fn logout() -> Result<(), AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        if let Some(token) = session_token() {
            crate::auth::session::end(&state.pool, &token).await?;
        }
        clear_session_cookie(state.settings.secure_cookies());
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The signed-in user, or `None` for an anonymous visitor.
#[server(prefix = "/api", endpoint = "me", input = GetUrl)]
pub async fn current_user() -> Result<Option<UserDto>, AppError> {
    super::respond(async {
        match super::require_user().await {
            Ok(caller) => Ok(Some(caller.user)),
            Err(AppError::Unauthorized) => Ok(None),
            Err(err) => Err(err),
        }
    })
    .await
}

#[cfg(feature = "ssr")]
pub use cookie_jar::{clear_session_cookie, session_token, set_session_cookie, COOKIE_NAME};

#[cfg(feature = "ssr")]
mod cookie_jar {
    use axum::http::{header, HeaderValue};
    use cookie::{time::Duration, Cookie, SameSite};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::auth::session::SESSION_SECS;

    pub const COOKIE_NAME: &str = "storelink_session";

    /// The session token from the current request's cookies.
    pub fn session_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == COOKIE_NAME)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub fn set_session_cookie(token: &str, secure: bool) {
        write(Cookie::build((COOKIE_NAME, token.to_owned())).max_age(Duration::seconds(SESSION_SECS)), secure);
    }

    pub fn clear_session_cookie(secure: bool) {
        write(Cookie::build((COOKIE_NAME, "")).max_age(Duration::ZERO), secure);
    }

    fn write(cookie: cookie::CookieBuilder<'static>, secure: bool) {
        let cookie = cookie.path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build();
        if let (Some(response), Ok(value)) =
            (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
        {
            response.append_header(header::SET_COOKIE, value);
        }
    }
}
