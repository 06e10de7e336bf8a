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
        crate::users::change_role(caller.pool(), user_id, role, caller.user.actor()).await?;
        // Their open pages hear from then on of what they see now, on every server.
        caller.state.hub.sessions_ended(user_id);
        Ok(())
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

/// The stores a standard user sees, for the page where an administrator chooses them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreChoice {
    pub user: UserDto,
    /// The organization's stores, each with its locations.
    pub stores: Vec<ChoosableStore>,
    /// Those chosen for the user, when they do not see all.
    pub chosen: Vec<crate::users::StoreSight>,
}

/// A store to choose, with its locations (id and name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChoosableStore {
    pub id: crate::ids::StoreId,
    pub name: String,
    pub locations: Vec<(i64, String)>,
}

#[server(prefix = "/api", endpoint = "users/stores", input = GetUrl)]
pub async fn user_stores(user_id: UserId) -> Result<StoreChoice, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let user = crate::users::repo::get(caller.pool(), caller.org(), user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(crate::error::text::NO_SUCH_USER.into()))?;
        let chosen = match crate::users::store_access(caller.pool(), &user).await? {
            crate::users::StoreAccess::All => Vec::new(),
            crate::users::StoreAccess::Only(chosen) => chosen,
        };
        Ok(StoreChoice { user, stores: choosable(&caller).await?, chosen })
    })
    .await
}

/// The caller's stores with their locations.
#[cfg(feature = "ssr")]
async fn choosable(caller: &super::Caller) -> Result<Vec<ChoosableStore>, AppError> {
    let stores = caller.stores().await?;
    let ids: Vec<crate::ids::StoreId> = stores.iter().map(|s| s.id).collect();
    let locations = crate::records::repo::locations_of(caller.pool(), &ids).await?;
    Ok(stores
        .into_iter()
        .map(|s| ChoosableStore {
            locations: locations
                .iter()
                .filter(|(of, _, _)| *of == s.id)
                .map(|(_, id, name)| (*id, name.clone()))
                .collect(),
            id: s.id,
            name: s.name,
        })
        .collect())
}

/// Lets a standard user see all the organization's stores (`access` is `all`), or only those
/// checked (`stores[ID]`), each at every location or at those checked, which chooses the store
/// too (`locations[storeID-locationID]`: the form decoder reads a key that begins with a digit
/// as a list's index); the queue, the store pages, the progress stream and their API tokens
/// follow.
#[server(prefix = "/api", endpoint = "users/stores/save", input = PostUrl)]
pub async fn limit_user_stores(
    user_id: UserId,
    access: String,
    stores: Option<std::collections::BTreeMap<String, String>>,
    locations: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    super::respond(async {
        use crate::users::StoreSight;
        let caller = super::require_admin().await?;
        let unknown = || AppError::NotFound(crate::error::text::NO_SUCH_STORE.into());
        let chosen = match access.as_str() {
            "all" => None,
            "some" => {
                let ours = choosable(&caller).await?;
                let mut chosen: Vec<(StoreSight, String)> = Vec::new();
                // The store's place among the chosen, added the first time.
                fn choose<'a>(chosen: &'a mut Vec<(StoreSight, String)>, store: &ChoosableStore) -> &'a mut StoreSight {
                    let at = match chosen.iter().position(|(sight, _)| sight.store == store.id) {
                        Some(at) => at,
                        None => {
                            chosen.push((StoreSight { store: store.id, locations: Vec::new() }, store.name.clone()));
                            chosen.len() - 1
                        }
                    };
                    &mut chosen[at].0
                }
                let find =
                    |id: &str| id.parse::<crate::ids::StoreId>().ok().and_then(|id| ours.iter().find(|s| s.id == id));
                for id in stores.unwrap_or_default().keys() {
                    choose(&mut chosen, find(id).ok_or_else(unknown)?);
                }
                for pair in locations.unwrap_or_default().keys() {
                    let (store, location) =
                        pair.strip_prefix("store").and_then(|p| p.split_once("-location")).ok_or_else(unknown)?;
                    let store = find(store).ok_or_else(unknown)?;
                    let location = location
                        .parse::<i64>()
                        .ok()
                        .filter(|id| store.locations.iter().any(|(of, _)| of == id))
                        .ok_or_else(|| AppError::NotFound("That location is not one of the store's.".into()))?;
                    choose(&mut chosen, store).locations.push(location);
                }
                Some(chosen)
            }
            _ => return Err(AppError::invalid("form", "Choose all stores, or only some.")),
        };
        crate::users::limit_stores(caller.pool(), user_id, chosen.as_deref(), caller.user.actor()).await?;
        // Their open pages hear from then on of what they see now, on every server.
        caller.state.hub.sessions_ended(user_id);
        Ok(())
    })
    .await
}
