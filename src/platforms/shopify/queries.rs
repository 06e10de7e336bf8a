//! The GraphQL documents storelink sends. The fields of each kind of node are written once;
//! bulk operations select connections as `edges { node { … } }` (as their docs ask), paginated
//! queries as `nodes { … }` with `pageInfo`. Every node asks for `__typename`, so each line of a
//! bulk result file, and each node of a page, says what it is.

macro_rules! location_fields {
    () => {
        "__typename id legacyResourceId name isActive fulfillsOnlineOrders
         address { address1 address2 city province provinceCode zip country countryCode phone }"
    };
}

macro_rules! product_fields {
    () => {
        "__typename id legacyResourceId title handle status vendor productType tags createdAt updatedAt"
    };
}

macro_rules! variant_fields {
    () => {
        "__typename id legacyResourceId title sku price inventoryQuantity createdAt updatedAt"
    };
}

macro_rules! inventory_item_fields {
    () => {
        "__typename id legacyResourceId sku tracked requiresShipping measurement { weight { unit value } }"
    };
}

macro_rules! level_fields {
    () => {
        "__typename id location { id } item { id } quantities(names: [\"available\"]) { name quantity } updatedAt"
    };
}

macro_rules! customer_fields {
    () => {
        "__typename id legacyResourceId firstName lastName displayName email phone state tags note numberOfOrders
         amountSpent { amount currencyCode }
         defaultAddress { name firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
         createdAt updatedAt"
    };
}

macro_rules! order_fields {
    () => {
        "__typename id legacyResourceId name email phone createdAt updatedAt processedAt cancelledAt cancelReason
         closed closedAt displayFinancialStatus displayFulfillmentStatus tags note totalWeight
         totalPriceSet { shopMoney { amount currencyCode } }
         customer { id legacyResourceId firstName lastName displayName email }
         shippingAddress { name firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }
         shippingLine { title }"
    };
}

macro_rules! line_fields {
    () => {
        "__typename id name title sku quantity currentQuantity unfulfilledQuantity variant { id }"
    };
}

macro_rules! fulfillment_order_fields {
    () => {
        "__typename id orderId status requestStatus createdAt updatedAt assignedLocation { name location { id } }
         supportedActions { action }"
    };
}

macro_rules! fulfillment_order_line_fields {
    () => {
        "__typename id totalQuantity remainingQuantity sku weight { unit value } lineItem { id }"
    };
}

macro_rules! page_info {
    () => {
        "pageInfo { hasNextPage endCursor }"
    };
}

/// An order with its first line items and fulfillment orders, as pages and `nodes` ask for it.
macro_rules! order_node {
    () => {
        concat!(
            order_fields!(),
            " lineItems(first: 10) { ",
            page_info!(),
            " nodes { ",
            line_fields!(),
            " } } fulfillmentOrders(first: 2) { ",
            page_info!(),
            " nodes { ",
            fulfillment_order_node!(),
            " } }"
        )
    };
}

macro_rules! fulfillment_order_node {
    () => {
        concat!(
            fulfillment_order_fields!(),
            " lineItems(first: 10) { ",
            page_info!(),
            " nodes { ",
            fulfillment_order_line_fields!(),
            " } }"
        )
    };
}

/// A product with its first variants, each with its inventory item and first levels.
macro_rules! product_node {
    () => {
        concat!(product_fields!(), " variants(first: 10) { ", page_info!(), " nodes { ", variant_node!(), " } }")
    };
}

macro_rules! variant_node {
    () => {
        concat!(
            variant_fields!(),
            " inventoryItem { ",
            inventory_item_fields!(),
            " inventoryLevels(first: 3) { ",
            page_info!(),
            " nodes { ",
            level_fields!(),
            " } } }"
        )
    };
}

/// The shop's details and the scopes the app was granted, read at registration.
pub const REGISTRATION: &str = "query Registration {
  shop { id name email myshopifyDomain currencyCode ianaTimezone }
  currentAppInstallation { accessScopes { handle } }
}";

/// Whether Shopify still has a customer: a redaction is applied only once it does not.
pub const CUSTOMER_EXISTS: &str = "query CustomerExists($id: ID!) { customer(id: $id) { id } }";

/// Bulk queries. A bulk query may nest connections two deep at most, so each part of a store
/// that would nest deeper is exported by itself: inventory levels apart from products, and
/// fulfillment orders (which name their order) apart from orders.
pub const BULK_PRODUCTS: &str = concat!(
    "{ products { edges { node { ",
    product_fields!(),
    " variants { edges { node { ",
    variant_fields!(),
    " inventoryItem { ",
    inventory_item_fields!(),
    " } } } } } } } }"
);
pub const BULK_INVENTORY_LEVELS: &str = concat!(
    "{ inventoryItems { edges { node { __typename id inventoryLevels { edges { node { ",
    level_fields!(),
    " } } } } } } }"
);
pub const BULK_CUSTOMERS: &str = concat!("{ customers { edges { node { ", customer_fields!(), " } } } }");
pub const BULK_ORDERS: &str = concat!(
    "{ orders { edges { node { ",
    order_fields!(),
    " lineItems { edges { node { ",
    line_fields!(),
    " } } } } } } }"
);
pub const BULK_FULFILLMENT_ORDERS: &str = concat!(
    "{ fulfillmentOrders(includeClosed: true) { edges { node { ",
    fulfillment_order_fields!(),
    " lineItems { edges { node { ",
    fulfillment_order_line_fields!(),
    " } } } } } } }"
);

pub const RUN_BULK: &str = "mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}";

pub const POLL_BULK: &str = "query PollBulk($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl }
}";

/// Pages of records updated in a window, newest last; nested connections come a page at a time
/// too, and the rest of one that has more is asked for by [`CHILDREN`].
pub const PAGE_LOCATIONS: &str = concat!(
    "query Locations($first: Int!, $after: String) { locations(first: $first, after: $after, includeInactive: true) { ",
    page_info!(),
    " nodes { ",
    location_fields!(),
    " } } }"
);
pub const PAGE_PRODUCTS: &str = concat!(
    "query Products($first: Int!, $after: String, $query: String) {
       products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { ",
    page_info!(),
    " nodes { ",
    product_node!(),
    " } } }"
);
pub const PAGE_CUSTOMERS: &str = concat!(
    "query Customers($first: Int!, $after: String, $query: String) {
       customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { ",
    page_info!(),
    " nodes { ",
    customer_fields!(),
    " } } }"
);
pub const PAGE_ORDERS: &str = concat!(
    "query Orders($first: Int!, $after: String, $query: String) {
       orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { ",
    page_info!(),
    " nodes { ",
    order_node!(),
    " } } }"
);

pub const PAGE_FULFILLMENT_ORDERS: &str = concat!(
    "query FulfillmentOrders($first: Int!, $after: String, $query: String) {
       fulfillmentOrders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT, includeClosed: true) { ",
    page_info!(),
    " nodes { ",
    fulfillment_order_node!(),
    " } } }"
);

/// Records of one kind by id, for the webhook notices of changes. One kind a query: `nodes`
/// is priced by the dearest kind it could return, so a query mixing kinds would make every id
/// cost what a product costs.
pub fn nodes(typename: &str) -> Option<&'static str> {
    macro_rules! nodes_of {
        ($typename:literal, $node:expr) => {
            concat!("query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ... on ", $typename, " { ", $node, " } } }")
        };
    }
    Some(match typename {
        "Order" => nodes_of!("Order", order_node!()),
        "Product" => nodes_of!("Product", product_node!()),
        "Customer" => nodes_of!("Customer", customer_fields!()),
        "FulfillmentOrder" => nodes_of!("FulfillmentOrder", fulfillment_order_node!()),
        "InventoryItem" => nodes_of!(
            "InventoryItem",
            concat!("__typename id inventoryLevels(first: 20) { ", page_info!(), " nodes { ", level_fields!(), " } }")
        ),
        _ => return None,
    })
}

/// The rest of one node's connection, a page at a time: an order's line items or fulfillment
/// orders, a fulfillment order's line items, a product's variants, an inventory item's levels.
pub fn children(typename: &str, connection: &str) -> Option<String> {
    let (first, fields) = match (typename, connection) {
        ("Order", "lineItems") => (250, line_fields!().to_owned()),
        ("Order", "fulfillmentOrders") => (5, fulfillment_order_node!().to_owned()),
        ("FulfillmentOrder", "lineItems") => (200, fulfillment_order_line_fields!().to_owned()),
        ("Product", "variants") => (20, variant_node!().to_owned()),
        ("InventoryItem", "inventoryLevels") => (100, level_fields!().to_owned()),
        _ => return None,
    };
    Some(format!(
        "query Children($id: ID!, $after: String) {{ node(id: $id) {{ ... on {typename} {{ id {connection}(first: {first}, after: $after) {{ {} nodes {{ {fields} }} }} }} }} }}",
        page_info!()
    ))
}

pub const SUBSCRIPTIONS: &str = "query Subscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}";

pub const SUBSCRIBE: &str = "mutation Subscribe($topic: WebhookSubscriptionTopic!, $uri: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}";

pub const UNSUBSCRIBE: &str = "mutation Unsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}";
