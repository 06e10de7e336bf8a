//! The server functions, by area. Each one: who is calling, may they, do it (a function of a
//! domain module, handed what it needs), and report the error the way the caller can use it.
//! Their URLs are pinned by `endpoint`, so moving one never changes what browsers call.

pub mod audit;
pub mod auth;
pub mod batch;
pub mod operator;
pub mod queue;
pub mod shipments;
pub mod stores;
pub mod sync;
pub mod tokens;
pub mod users;

#[cfg(feature = "ssr")]
mod guard;
#[cfg(feature = "ssr")]
mod respond;

#[cfg(feature = "ssr")]
pub use guard::{require_admin, require_user, signed_in, Caller};
#[cfg(feature = "ssr")]
pub use respond::{respond, server_fn_answers, MAX_BODY};
