//! The API's OpenAPI 3.1 description, served at `/api/v1/openapi.json`. A test holds it to the
//! real routes (`route_list`) and to real answers.

use serde_json::{json, Value};

pub fn description() -> Value {
    let error = json!({"$ref": "#/components/responses/Error"});
    let unauthorized = json!({"$ref": "#/components/responses/Unauthorized"});
    let not_set_up = json!({"$ref": "#/components/responses/NotSetUp"});
    let shipment = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Shipment"}}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let ship_to = json!({
        "type": "object",
        "description": "Where the order goes, the same whatever the store's platform; any field may be null.",
        "required": ["name", "company", "address1", "address2", "city", "province", "province_code", "postal_code", "country", "country_code", "phone"],
        "properties": {
            "name": {"type": ["string", "null"]},
            "company": {"type": ["string", "null"]},
            "address1": {"type": ["string", "null"]},
            "address2": {"type": ["string", "null"]},
            "city": {"type": ["string", "null"]},
            "province": {"type": ["string", "null"]},
            "province_code": {"type": ["string", "null"]},
            "postal_code": {"type": ["string", "null"]},
            "country": {"type": ["string", "null"]},
            "country_code": {"type": ["string", "null"], "description": "ISO 3166-1 alpha-2."},
            "phone": {"type": ["string", "null"]}
        }
    });
    let schemas = json!({
        "Error": {
            "type": "object",
            "required": ["error", "errors"],
            "properties": {
                "error": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
            }
        },
        "OrderPage": {
            "type": "object",
            "required": ["orders", "next_cursor"],
            "properties": {
                "orders": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
                "next_cursor": {"type": ["string", "null"]}
            }
        },
        "Order": {
            "type": "object",
            "required": ["id", "name", "store", "store_connected", "created_at", "updated_at", "customer", "ship_to", "total_weight_grams", "fulfillment_orders"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": ["string", "null"]},
                "store": {"type": "string"},
                "created_at": {"type": ["string", "null"], "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "customer": {"type": ["object", "null"], "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]}}},
                "store_connected": {"type": "boolean", "description": "False when the store is disconnected or refused storelink's credentials: a shipment for it is refused with 409."},
                "ship_to": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/ShipTo"}]},
                "total_weight_grams": {"type": "integer", "description": "Of what remains to ship."},
                "fulfillment_orders": {"type": "array", "items": {"$ref": "#/components/schemas/FulfillmentOrder"}}
            }
        },
        "ShipTo": ship_to,
        "FulfillmentOrder": {
            "type": "object",
            "required": ["id", "status", "location", "line_items"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string"},
                "location": {"type": "object", "properties": {"id": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}}},
                "line_items": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "line_item_id", "title", "sku", "quantity", "remaining_quantity", "weight_grams"],
                    "properties": {
                        "id": {"type": "integer", "description": "The fulfillment order's line."},
                        "line_item_id": {"type": ["integer", "null"], "description": "The order's line item: what a shipment names."},
                        "title": {"type": ["string", "null"]},
                        "sku": {"type": ["string", "null"]},
                        "quantity": {"type": "integer"},
                        "remaining_quantity": {"type": "integer"},
                        "weight_grams": {"type": ["integer", "null"], "description": "Of one unit."}
                    }
                }}
            }
        },
        "NewShipment": {
            "type": "object",
            "additionalProperties": false,
            "required": ["store", "order_id", "carrier", "tracking_number"],
            "properties": {
                "store": {"type": "string", "examples": ["acme.myshopify.com"]},
                "order_id": {"type": "integer"},
                "carrier": {"type": "string", "maxLength": 100, "examples": ["UPS"]},
                "tracking_number": {"type": "string", "maxLength": 100},
                "tracking_url": {"type": ["string", "null"], "format": "uri"},
                "line_items": {"type": "array", "description": "Left out: everything still to ship (from one location).", "items": {
                    "type": "object", "required": ["id", "quantity"],
                    "properties": {"id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}}
                }},
                "notify_customer": {"type": "boolean", "default": false}
            }
        },
        "TrackingChange": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "tracking_number": {"type": "string", "maxLength": 100},
                "tracking_url": {"type": ["string", "null"], "format": "uri"}
            }
        },
        "Shipment": {
            "type": "object",
            "required": ["id", "store", "order_id", "state", "reason", "carrier", "tracking_number", "tracking_url", "notify_customer", "line_items", "fulfillment_id", "tracking_update_pending", "recorded_by", "created_at", "updated_at"],
            "properties": {
                "id": {"type": "string"},
                "store": {"type": "string"},
                "order_id": {"type": "integer"},
                "state": {"type": "string", "enum": ["pending", "sent", "failed", "dismissed"]},
                "reason": {"type": ["string", "null"], "description": "Why it failed, or why it waits to be sent again."},
                "carrier": {"type": "string"},
                "tracking_number": {"type": "string"},
                "tracking_url": {"type": ["string", "null"]},
                "notify_customer": {"type": "boolean"},
                "line_items": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "quantity", "fulfillment_order_id", "fulfillment_order_line_item_id"],
                    "properties": {"id": {"type": "integer"}, "quantity": {"type": "integer"}, "fulfillment_order_id": {"type": "integer"}, "fulfillment_order_line_item_id": {"type": "integer"}}
                }},
                "fulfillment_id": {"type": ["integer", "null"], "description": "The store's fulfillment, once sent."},
                "tracking_update_pending": {"type": "boolean"},
                "recorded_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"}
            }
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "storelink API",
            "version": "1",
            "description": "For the shipping desk's label software: the orders awaiting shipment, and shipments written back to the store with their tracking, exactly once. Every call carries an API token (Authorization: Bearer TOKEN); administrators create tokens on the API tokens page or with `storelink token create --name NAME`."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This description (no token needed).",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI description.", "content": {"application/json": {}}}}
                }
            },
            "/api/v1/orders": {
                "get": {
                    "summary": "Orders with their fulfillment orders, ship-to address, items and weights, a page at a time.",
                    "parameters": [
                        {"name": "awaiting_shipment", "in": "query", "schema": {"type": "boolean"}, "description": "Only orders with items left to ship from an open fulfillment order (and only those fulfillment orders), of connected stores."},
                        {"name": "include_disconnected", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "With awaiting_shipment, also the orders of stores that are not connected (they take no shipments: store_connected is false)."},
                        {"name": "include_held", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "With awaiting_shipment, also the orders the desk put on hold (held orders do not await shipment until their hold is released or runs out)."},
                        {"name": "platform", "in": "query", "schema": {"type": "string", "enum": ["shopify", "woocommerce", "bigcommerce"]}, "description": "Only the stores of this platform."},
                        {"name": "location", "in": "query", "schema": {"type": "string"}, "description": "With awaiting_shipment: only orders with a parcel awaiting shipment from this location (its name)."},
                        {"name": "country", "in": "query", "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "description": "With awaiting_shipment: only orders shipping to this country, by its ISO 3166-1 alpha-2 code (US, FR; whatever the case). Orders stored before storelink kept the country have none until they are synced again."},
                        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "With awaiting_shipment: the queue's search, in an order's name, its customer's name or email, or the SKU of an item still to ship (case-insensitive; % and _ are themselves)."},
                        {"name": "older_than", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 3650}, "description": "With awaiting_shipment: only orders at least this many days old."},
                        {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["awaiting", "partly_shipped", "on_hold"]}, "description": "With awaiting_shipment: only orders in this state of the queue (on_hold lists the held ones)."},
                        {"name": "store", "in": "query", "schema": {"type": "string"}, "description": "The store's myshopify.com domain; all stores when left out."},
                        {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "Only orders updated at or after this time."},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 250, "default": 50}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "The next_cursor of the page before."}
                    ],
                    "responses": {
                        "200": {"description": "A page of orders.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderPage"}}}},
                        "401": unauthorized, "403": not_set_up.clone(),
                        "422": error
                    }
                }
            },
            "/api/v1/shipments": {
                "post": {
                    "summary": "Record a shipment; storelink writes it to the store as a fulfillment with its tracking, once.",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 255}, "description": "The same key again returns the same shipment (never a second one); a different body under it is a 409."}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewShipment"}}}},
                    "responses": {
                        "202": {"description": "Recorded (or recorded before under the same key, with the header Idempotent-Replayed: true); pending until the store confirms.", "content": shipment.clone()},
                        "401": unauthorized, "403": not_set_up.clone(),
                        "409": error,
                        "422": error
                    }
                }
            },
            "/api/v1/shipments/batch": {
                "post": {
                    "summary": "Record up to 1,000 shipments at once, each with its own key (its idempotency key) and its own result, in order; one refusal never stops the others.",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "additionalProperties": false, "required": ["shipments"],
                        "properties": {"shipments": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
                            "description": "A NewShipment with its key: {\"key\": \"label-1\", \"store\": …}.",
                            "allOf": [{"$ref": "#/components/schemas/NewShipment"}],
                            "properties": {"key": {"type": "string", "maxLength": 255}}, "required": ["key"]
                        }}}
                    }}}},
                    "responses": {
                        "200": {"description": "Each shipment's result: status 202 recorded, 200 recorded before under its key, or 404, 409 or 422 with the refusal in words; and how many were recorded, replayed and refused.", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["results", "recorded", "replayed", "refused"],
                            "properties": {
                                "results": {"type": "array", "items": {"type": "object", "required": ["key", "status"], "properties": {
                                    "key": {"type": ["string", "null"]}, "status": {"type": "integer"},
                                    "shipment": {"$ref": "#/components/schemas/Shipment"},
                                    "error": {"type": "string"}, "errors": {"type": "array"}
                                }}},
                                "recorded": {"type": "integer"}, "replayed": {"type": "integer"}, "refused": {"type": "integer"}
                            }
                        }}}},
                        "401": unauthorized, "403": not_set_up.clone(),
                        "413": error.clone(),
                        "422": error.clone()
                    }
                }
            },
            "/api/v1/shipments/{id}": {
                "get": {
                    "summary": "A shipment and its state.",
                    "parameters": [id.clone()],
                    "responses": {"200": {"description": "The shipment.", "content": shipment.clone()}, "401": unauthorized, "403": not_set_up.clone(), "404": error}
                },
                "patch": {
                    "summary": "Correct the tracking number or URL; a shipment already sent has its fulfillment's tracking changed in the store.",
                    "parameters": [id],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrackingChange"}}}},
                    "responses": {"202": {"description": "The shipment, the change on its way.", "content": shipment}, "401": unauthorized, "403": not_set_up.clone(), "404": error, "409": error, "422": error}
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {"description": "Refused; nothing was changed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "Unauthorized": {"description": "No live API token: missing, wrong or revoked.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "NotSetUp": {"description": "E-commerce is not set up for the token's organization (the operator turned it off); nothing was changed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": schemas
        }
    })
}
