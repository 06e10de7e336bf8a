//! The administrators' API tokens, for the desk's label software.

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{api_tokens::ApiTokenDto, error::AppError, ids::ApiTokenId};

/// A token just created: shown this once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: ApiTokenDto,
    pub secret: String,
}

#[server(prefix = "/api", endpoint = "tokens/list", input = GetUrl)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenDto>, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::api_tokens::list(caller.pool(), caller.org()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "tokens/create", input = PostUrl)]
pub async fn create_api_token(name: String) -> Result<CreatedToken, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let (token, secret) = crate::api_tokens::create(caller.pool(), &name, caller.user.actor()).await?;
        Ok(CreatedToken { token, secret })
    })
    .await
}

#[server(prefix = "/api", endpoint = "tokens/revoke", input = PostUrl)]
pub async fn revoke_api_token(token_id: ApiTokenId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::api_tokens::revoke(caller.pool(), token_id, caller.user.actor()).await?;
        Ok(())
    })
    .await
}
