//! Typed ids: a store's id cannot be passed where a job's or a user's is expected. Each is the
//! database's 64-bit row id, and reads and writes itself as a plain number in JSON, forms and SQL.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(transparent))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($name)
            }
        }
    };
}

id!(
    /// An organization: a company storelink serves, sealed from the others.
    OrgId
);
id!(
    /// An operator: the provider's staff who create and enable organizations.
    OperatorId
);
id!(
    /// A storelink user.
    UserId
);
id!(
    /// A connected (or once connected) store.
    StoreId
);
id!(
    /// One synchronization job of a store.
    JobId
);
id!(
    /// A shipment recorded at the desk, to be written back to its store.
    ShipmentId
);
id!(
    /// An API token of the desk's label software.
    ApiTokenId
);
