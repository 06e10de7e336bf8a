//! The mutations: bulk operations started and cancelled, webhook subscriptions created and
//! deleted (in the same per-app store the REST `webhooks.json` uses, so both see the same ones).

use std::rc::Rc;

use rand::Rng;
use serde_json::Value;

use super::{
    bulk,
    exec::{parse_gid, Ctx, Obj, Val},
    out::GqlError,
    validate::PField,
};
use crate::webhooks::{self, Subscription};

fn user_error<'a>(field: Option<Vec<&str>>, message: impl Into<String>) -> Val<'a> {
    Val::record(
        "UserError",
        vec![
            ("field", field.map_or(Val::Null, |f| Val::strings(f.into_iter().map(str::to_owned)))),
            ("message", Val::str(message.into())),
        ],
    )
}

impl<'a> Ctx<'a> {
    pub fn mutation(&self, f: &PField) -> Result<Val<'a>, GqlError> {
        match f.name.as_str() {
            "bulkOperationRunQuery" => Ok(self.run_bulk(f)),
            "bulkOperationCancel" => Ok(self.cancel_bulk(f)),
            "webhookSubscriptionCreate" => Ok(self.subscribe(f)),
            "webhookSubscriptionDelete" => Ok(self.unsubscribe(f)),
            _ => Ok(Val::Null),
        }
    }

    fn run_bulk(&self, f: &PField) -> Val<'a> {
        let Some((emu, shop)) = &self.arcs else { return Val::Null };
        let query = f.arg_str("query").unwrap_or_default();
        match bulk::start(emu, shop, self, query, f.arg_bool("groupObjects")) {
            Ok(view) => Val::record(
                "BulkOperationRunQueryPayload",
                vec![("bulkOperation", Val::Obj(Obj::Bulk(Rc::new(view)))), ("userErrors", Val::List(Vec::new()))],
            ),
            Err(errors) => {
                let errors = errors
                    .into_iter()
                    .map(|e| {
                        Val::record(
                            "BulkOperationUserError",
                            vec![
                                ("code", Val::str(e.code)),
                                ("field", e.field.map_or(Val::Null, Val::strings)),
                                ("message", Val::str(e.message)),
                            ],
                        )
                    })
                    .collect();
                Val::record(
                    "BulkOperationRunQueryPayload",
                    vec![("bulkOperation", Val::Null), ("userErrors", Val::List(errors))],
                )
            }
        }
    }

    fn cancel_bulk(&self, f: &PField) -> Val<'a> {
        let id = f
            .arg_str("id")
            .and_then(parse_gid)
            .filter(|(kind, _, _)| *kind == "BulkOperation")
            .and_then(|(_, id, _)| id.parse().ok());
        let result = match id {
            Some(id) => bulk::cancel(self.emu, self.shop, self.app, id),
            None => Err("Bulk operation does not exist".into()),
        };
        match result {
            Ok(view) => Val::record(
                "BulkOperationCancelPayload",
                vec![("bulkOperation", Val::Obj(Obj::Bulk(Rc::new(view)))), ("userErrors", Val::List(Vec::new()))],
            ),
            Err(message) => {
                let current = id.and_then(|id| {
                    self.shop.bulk.views(self.emu, self.shop, self.app).into_iter().find(|v| v.id == id)
                });
                Val::record(
                    "BulkOperationCancelPayload",
                    vec![
                        ("bulkOperation", current.map_or(Val::Null, |v| Val::Obj(Obj::Bulk(Rc::new(v))))),
                        ("userErrors", Val::List(vec![user_error(Some(vec!["id"]), message)])),
                    ],
                )
            }
        }
    }

    fn subscribe(&self, f: &PField) -> Val<'a> {
        let payload = |sub: Val<'a>, errors: Vec<Val<'a>>| {
            Val::record(
                "WebhookSubscriptionCreatePayload",
                vec![("webhookSubscription", sub), ("userErrors", Val::List(errors))],
            )
        };
        let topic = webhooks::rest_topic(f.arg_str("topic").unwrap_or_default());
        let input = f.args.get("webhookSubscription").cloned().unwrap_or(Value::Null);
        let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let (key, address) = match (text("uri"), text("callbackUrl")) {
            (Some(uri), _) => ("uri", uri.to_owned()),
            (None, Some(url)) => ("callbackUrl", url.to_owned()),
            (None, None) => {
                return payload(
                    Val::Null,
                    vec![user_error(Some(vec!["webhookSubscription", "callbackUrl"]), "Address can't be blank")],
                );
            }
        };
        if !webhooks::topic_allowed_for(self.shop, self.app, &topic) {
            return payload(
                Val::Null,
                vec![user_error(
                    Some(vec!["webhookSubscriptionCreate", "webhookSubscription"]),
                    "Webhook topic is invalid",
                )],
            );
        }
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            return payload(Val::Null, vec![user_error(Some(vec!["webhookSubscription", key]), "Address is invalid")]);
        }
        let fields: Vec<String> = input
            .get("includeFields")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        if subs.iter().any(|s| s.app == self.app && s.topic == topic && s.address == address) {
            return payload(
                Val::Null,
                vec![user_error(
                    Some(vec!["webhookSubscription", key]),
                    "Address for this topic has already been taken",
                )],
            );
        }
        let id =
            subs.iter().map(|s| s.id).max().unwrap_or(1_100_000_000_000) + 1 + rand::thread_rng().gen_range(0..100);
        let sub = Subscription {
            id,
            topic,
            address,
            fields,
            created_at: self.emu.clock.unix_now(),
            api_version: crate::SUPPORTED_VERSIONS[crate::SUPPORTED_VERSIONS.len() - 2].to_owned(),
            app: self.app,
        };
        subs.push(sub.clone());
        payload(Val::Obj(Obj::Subscription(Rc::new(sub))), Vec::new())
    }

    fn unsubscribe(&self, f: &PField) -> Val<'a> {
        let id = f
            .arg_str("id")
            .and_then(parse_gid)
            .filter(|(kind, _, _)| *kind == "WebhookSubscription")
            .and_then(|(_, id, _)| id.parse::<u64>().ok());
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        let position = id.and_then(|id| subs.iter().position(|s| s.app == self.app && s.id == id));
        let (deleted, errors) = match position {
            Some(position) => {
                let sub = subs.remove(position);
                (Val::str(format!("gid://shopify/WebhookSubscription/{}", sub.id)), Vec::new())
            }
            None => (Val::Null, vec![user_error(Some(vec!["id"]), "Webhook subscription does not exist")]),
        };
        Val::record(
            "WebhookSubscriptionDeletePayload",
            vec![("deletedWebhookSubscriptionId", deleted), ("userErrors", Val::List(errors))],
        )
    }
}
