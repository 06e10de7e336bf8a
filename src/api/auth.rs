//! Signing in and out, and who is signed in; (server only) the session cookie.

use leptos::server;
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, users::UserDto};

/// Signs in and sends the browser to the Stores page. Any wrong credential gets the same
/// message; repeated failures for one account, or from one address, are slowed down.
#[server(prefix = "/api", endpoint = "login", input = PostUrl)]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    super::respond(async {
        use crate::auth::{self, device::DeviceKey, Attempt};
        let state = crate::state::AppState::current()?;
        let devices = DeviceKey::new(&state.sealer);
        let tags = device_tags();
        let normalized = auth::login_email(&email);
        let attempt = Attempt {
            email: &email,
            password,
            client: client_address(state.settings.trust_forwarded_for),
            known_device: devices.knows(&tags, &normalized),
        };
        let user = auth::authenticate(&state.pool, attempt).await?;
        let token = auth::session::create(&state.pool, user.id).await?;
        let secure = state.settings.secure_cookies();
        set_session_cookie(&token, secure);
        set_device_tags(&devices.remember(&tags, &normalized), secure);
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
            let user = crate::auth::session::user_for_token(&state.pool, &token).await?;
            crate::auth::session::end(&state.pool, &token).await?;
            // Its open pages stop hearing progress, on every server.
            if let Some(user) = user {
                state.hub.sessions_ended(user.id);
            }
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
        match super::signed_in().await {
            Ok(caller) => Ok(Some(caller.user)),
            Err(AppError::Unauthorized) => Ok(None),
            Err(err) => Err(err),
        }
    })
    .await
}

#[cfg(feature = "ssr")]
pub use cookie_jar::{
    clear_operator_cookie, clear_session_cookie, operator_token, session_token, set_operator_cookie,
    set_session_cookie, COOKIE_NAME,
};
#[cfg(feature = "ssr")]
use cookie_jar::{device_tags, set_device_tags};

/// The address the current request comes from: the connection's peer, or, behind a load
/// balancer trusted to say so, the last address in `X-Forwarded-For` (the one it appended; the
/// ones before it are whatever the client claimed).
#[cfg(feature = "ssr")]
pub fn client_address(trust_forwarded_for: bool) -> Option<std::net::IpAddr> {
    use axum::extract::ConnectInfo;
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|address| address.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

#[cfg(feature = "ssr")]
mod cookie_jar {
    use axum::http::{header, HeaderValue};
    use cookie::{time::Duration, Cookie, SameSite};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::auth::session::SESSION_SECS;

    pub const COOKIE_NAME: &str = "storelink_session";
    /// The accounts this browser has signed in to (`auth::device`).
    const DEVICE_COOKIE: &str = "storelink_device";
    const DEVICE_SECS: i64 = 365 * 24 * 3600;

    /// A cookie of the current request.
    fn read(name: &str) -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// The session token from the current request's cookies.
    pub fn session_token() -> Option<String> {
        read(COOKIE_NAME)
    }

    pub fn set_session_cookie(token: &str, secure: bool) {
        write(Cookie::build((COOKIE_NAME, token.to_owned())).max_age(Duration::seconds(SESSION_SECS)), secure);
    }

    pub fn device_tags() -> Vec<String> {
        read(DEVICE_COOKIE)
            .map(|value| value.split('.').take(crate::auth::device::MAX_TAGS).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    pub fn set_device_tags(tags: &[String], secure: bool) {
        write(Cookie::build((DEVICE_COOKIE, tags.join("."))).max_age(Duration::seconds(DEVICE_SECS)), secure);
    }

    pub fn clear_session_cookie(secure: bool) {
        write(Cookie::build((COOKIE_NAME, "")).max_age(Duration::ZERO), secure);
    }

    /// An operator's session: a cookie of its own, so an operator is never also taken for a
    /// user of an organization.
    const OPERATOR_COOKIE: &str = "storelink_operator";

    pub fn operator_token() -> Option<String> {
        read(OPERATOR_COOKIE)
    }

    pub fn set_operator_cookie(token: &str, secure: bool) {
        let max_age = Duration::seconds(crate::operators::SESSION_SECS);
        write(Cookie::build((OPERATOR_COOKIE, token.to_owned())).max_age(max_age), secure);
    }

    pub fn clear_operator_cookie(secure: bool) {
        write(Cookie::build((OPERATOR_COOKIE, "")).max_age(Duration::ZERO), secure);
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
