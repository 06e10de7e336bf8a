//! The Operator page's server functions: the operator signs in with an account of their own
//! (not an organization's user, and with a cookie of its own) and creates, renames, enables and
//! disables, limits, invites the first administrator of, and removes organizations. Each is
//! noted in the organization's audit log (a removal in the operator's log, which outlives it).

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, operators::Operator, organizations::Organization};

/// What the Operator page shows: who is signed in, and every organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub operator: Operator,
    pub organizations: Vec<Organization>,
}

/// An invitation just made: the link to hand to its administrator (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub email: String,
    pub link: String,
}

/// The signed-in operator: anyone else, an organization's administrator too, is refused.
#[cfg(feature = "ssr")]
async fn require_operator() -> Result<(Operator, crate::state::AppState), AppError> {
    let state = crate::state::AppState::current()?;
    let token = super::auth::operator_token().ok_or(AppError::Unauthorized)?;
    let operator = crate::operators::for_token(&state.pool, &token).await?.ok_or(AppError::Unauthorized)?;
    Ok((operator, state))
}

/// Signs an operator in and opens the Operator page.
#[server(prefix = "/api", endpoint = "operator/login", input = PostUrl)]
pub async fn operator_login(email: String, password: String) -> Result<(), AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        let attempt = crate::auth::Attempt {
            email: &email,
            password,
            client: super::auth::client_address(state.settings.trust_forwarded_for),
            known_device: false,
        };
        let operator = crate::operators::authenticate(&state.pool, attempt).await?;
        let token = crate::operators::start_session(&state.pool, &operator).await?;
        super::auth::set_operator_cookie(&token, state.settings.secure_cookies());
        leptos_axum::redirect("/operator");
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "operator/logout", input = PostUrl)]
pub async fn operator_logout() -> Result<(), AppError> {
    super::respond(async {
        let state = crate::state::AppState::current()?;
        if let Some(token) = super::auth::operator_token() {
            crate::operators::end_session(&state.pool, &token).await?;
        }
        super::auth::clear_operator_cookie(state.settings.secure_cookies());
        leptos_axum::redirect("/operator");
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "operator/organizations", input = GetUrl)]
pub async fn list_organizations() -> Result<OperatorView, AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        let organizations = crate::organizations::repo::list(&state.pool).await?;
        Ok(OperatorView { operator, organizations })
    })
    .await
}

/// Creates an organization; e-commerce on when `ecommerce` is checked.
#[server(prefix = "/api", endpoint = "operator/create", input = PostUrl)]
pub async fn create_organization(name: String, ecommerce: Option<String>) -> Result<String, AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        crate::organizations::create(&state.pool, &name, ecommerce.is_some(), &operator.email).await?;
        Ok(name.trim().to_owned())
    })
    .await
}

#[server(prefix = "/api", endpoint = "operator/rename", input = PostUrl)]
pub async fn rename_organization(name: String, new_name: String) -> Result<(), AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        crate::organizations::rename(&state.pool, &name, &new_name, &operator.email).await
    })
    .await
}

/// Turns e-commerce on or off for an organization.
#[server(prefix = "/api", endpoint = "operator/ecommerce", input = PostUrl)]
pub async fn set_ecommerce(name: String, enabled: bool) -> Result<(), AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        crate::organizations::set_enabled(&state.pool, &name, enabled, &operator.email).await
    })
    .await
}

/// Sets an organization's limits; an empty field is no limit.
#[server(prefix = "/api", endpoint = "operator/limits", input = PostUrl)]
pub async fn set_limits(
    name: String,
    stores: String,
    users: String,
    tokens: String,
    sync_jobs: String,
) -> Result<(), AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        let limits = crate::organizations::Limits {
            max_stores: crate::organizations::parse_limit(&stores)?,
            max_users: crate::organizations::parse_limit(&users)?,
            max_api_tokens: crate::organizations::parse_limit(&tokens)?,
            max_sync_jobs: crate::organizations::parse_limit(&sync_jobs)?,
        };
        crate::organizations::set_limits(&state.pool, &name, &limits, &operator.email).await
    })
    .await
}

/// Invites an organization's administrator: the link they set their password at.
#[server(prefix = "/api", endpoint = "operator/invite", input = PostUrl)]
pub async fn invite_administrator(name: String, email: String) -> Result<Invited, AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        let org = crate::organizations::repo::named(&state.pool, &name)
            .await?
            .ok_or_else(|| crate::organizations::no_such(&name))?;
        let by = crate::audit::Actor { org, user: None, name: &operator.email };
        let (email, token) = crate::users::invite(&state.pool, &email, crate::users::Role::Admin, by).await?;
        Ok(Invited { email, link: invitation_link(&state.settings, &token) })
    })
    .await
}

/// The invitation's address: under the public URL, or else the address this request came to.
#[cfg(feature = "ssr")]
fn invitation_link(settings: &crate::state::Settings, token: &str) -> String {
    let base = settings.public_url.clone().unwrap_or_else(|| {
        let host = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::HOST)?.to_str().ok().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned());
        format!("http://{host}")
    });
    format!("{}/invitation?token={token}", base.trim_end_matches('/'))
}

/// Removes an organization and everything of it, once `confirm` names it again.
#[server(prefix = "/api", endpoint = "operator/remove", input = PostUrl)]
pub async fn remove_organization(name: String, confirm: String) -> Result<(), AppError> {
    super::respond(async {
        let (operator, state) = require_operator().await?;
        crate::organizations::remove(&state.pool, &name, &confirm, &operator.email).await?;
        leptos_axum::redirect("/operator");
        Ok(())
    })
    .await
}
