//! The served schema, read once from `schema.graphql` into lookups the validator, the cost
//! calculator and the executor share.

use std::{
    collections::{BTreeMap, HashMap},
    sync::LazyLock,
};

use graphql_parser::schema::{self as sdl, Definition, TypeDefinition};
use serde_json::Value;

pub type Type = graphql_parser::query::Type<'static, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

#[derive(Debug)]
pub struct InputDef {
    pub name: String,
    pub ty: Type,
    /// The default as JSON, already coerced.
    pub default: Option<Value>,
}

#[derive(Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: Type,
    pub args: Vec<InputDef>,
    /// One of these scopes is needed to read the field.
    pub access: Option<Vec<String>>,
    /// The first API version that has the field.
    pub since: Option<String>,
}

impl FieldDef {
    pub fn arg(&self, name: &str) -> Option<&InputDef> {
        self.args.iter().find(|a| a.name == name)
    }
}

#[derive(Debug)]
pub struct TypeDef {
    pub name: String,
    pub kind: Kind,
    pub fields: Vec<FieldDef>,
    pub interfaces: Vec<String>,
    /// The object types an interface or union can be.
    pub possible: Vec<String>,
    pub values: Vec<String>,
    pub inputs: Vec<InputDef>,
    /// One of these scopes is needed to read an object of this type.
    pub access: Option<Vec<String>>,
}

impl TypeDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, Kind::Interface | Kind::Union)
    }

    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, Kind::Scalar | Kind::Enum)
    }

    pub fn is_connection(&self) -> bool {
        self.kind == Kind::Object && self.name.ends_with("Connection")
    }
}

pub struct Schema {
    pub types: HashMap<String, TypeDef>,
    pub query: String,
    pub mutation: String,
}

pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse(include_str!("schema.graphql")));

const BUILT_IN_SCALARS: &[&str] = &["ID", "String", "Int", "Float", "Boolean"];

impl Schema {
    fn parse(text: &str) -> Schema {
        let doc = sdl::parse_schema::<String>(text).expect("schema.graphql parses").into_static();
        let mut types = HashMap::new();
        for name in BUILT_IN_SCALARS {
            types.insert((*name).to_owned(), TypeDef::new(name, Kind::Scalar));
        }
        let (mut query, mut mutation) = ("QueryRoot".to_owned(), "Mutation".to_owned());
        for definition in doc.definitions {
            let def = match definition {
                Definition::SchemaDefinition(schema) => {
                    query = schema.query.unwrap_or(query);
                    mutation = schema.mutation.unwrap_or(mutation);
                    continue;
                }
                Definition::TypeDefinition(def) => def,
                _ => continue,
            };
            let typedef = match def {
                TypeDefinition::Scalar(s) => TypeDef::new(&s.name, Kind::Scalar),
                TypeDefinition::Object(o) => TypeDef {
                    fields: o.fields.iter().map(field_def).collect(),
                    interfaces: o.implements_interfaces.clone(),
                    access: access_of(&o.directives),
                    ..TypeDef::new(&o.name, Kind::Object)
                },
                TypeDefinition::Interface(i) => TypeDef {
                    fields: i.fields.iter().map(field_def).collect(),
                    ..TypeDef::new(&i.name, Kind::Interface)
                },
                TypeDefinition::Union(u) => TypeDef { possible: u.types.clone(), ..TypeDef::new(&u.name, Kind::Union) },
                TypeDefinition::Enum(e) => TypeDef {
                    values: e.values.iter().map(|v| v.name.clone()).collect(),
                    ..TypeDef::new(&e.name, Kind::Enum)
                },
                TypeDefinition::InputObject(i) => TypeDef {
                    inputs: i.fields.iter().map(input_def).collect(),
                    ..TypeDef::new(&i.name, Kind::InputObject)
                },
            };
            types.insert(typedef.name.clone(), typedef);
        }
        let implementers: Vec<(String, String)> =
            types.values().flat_map(|t| t.interfaces.iter().map(|i| (i.clone(), t.name.clone()))).collect();
        for (interface, object) in implementers {
            if let Some(def) = types.get_mut(&interface) {
                def.possible.push(object);
            }
        }
        for def in types.values_mut() {
            def.possible.sort();
        }
        Schema { types, query, mutation }
    }

    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// The type by name; every name the schema mentions is defined.
    pub fn of(&self, name: &str) -> &TypeDef {
        self.types.get(name).unwrap_or_else(|| panic!("type {name} is in schema.graphql"))
    }

    /// True when an object of type `object` matches the fragment condition `condition`.
    pub fn fits(&self, object: &str, condition: &str) -> bool {
        object == condition || self.get(condition).is_some_and(|c| c.possible.iter().any(|p| p == object))
    }

    /// The object types a value of type `name` can be.
    pub fn concrete(&self, name: &str) -> Vec<&str> {
        match self.get(name) {
            Some(def) if def.is_abstract() => def.possible.iter().map(String::as_str).collect(),
            Some(def) => vec![def.name.as_str()],
            None => Vec::new(),
        }
    }
}

impl TypeDef {
    fn new(name: &str, kind: Kind) -> TypeDef {
        TypeDef {
            name: name.to_owned(),
            kind,
            fields: Vec::new(),
            interfaces: Vec::new(),
            possible: Vec::new(),
            values: Vec::new(),
            inputs: Vec::new(),
            access: None,
        }
    }
}

fn field_def(field: &sdl::Field<'static, String>) -> FieldDef {
    let since = field.directives.iter().find(|d| d.name == "since").and_then(|d| {
        d.arguments.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("version", sdl::Value::String(s)) => Some(s.clone()),
            _ => None,
        })
    });
    FieldDef {
        name: field.name.clone(),
        ty: field.field_type.clone(),
        args: field.arguments.iter().map(input_def).collect(),
        access: access_of(&field.directives),
        since,
    }
}

fn input_def(input: &sdl::InputValue<'static, String>) -> InputDef {
    InputDef {
        name: input.name.clone(),
        ty: input.value_type.clone(),
        default: input.default_value.as_ref().map(literal),
    }
}

fn access_of(directives: &[sdl::Directive<'static, String>]) -> Option<Vec<String>> {
    let directive = directives.iter().find(|d| d.name == "access")?;
    directive.arguments.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("scopes", sdl::Value::List(items)) => Some(
            items
                .iter()
                .filter_map(|i| match i {
                    sdl::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    })
}

/// A constant from the SDL (defaults) as JSON; enums become their names.
fn literal(value: &sdl::Value<'static, String>) -> Value {
    match value {
        sdl::Value::Int(n) => Value::from(n.as_i64().unwrap_or_default()),
        sdl::Value::Float(f) => Value::from(*f),
        sdl::Value::String(s) => Value::from(s.clone()),
        sdl::Value::Boolean(b) => Value::from(*b),
        sdl::Value::Enum(e) => Value::from(e.clone()),
        sdl::Value::List(items) => Value::Array(items.iter().map(literal).collect()),
        sdl::Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), literal(v))).collect::<serde_json::Map<_, _>>())
        }
        sdl::Value::Null | sdl::Value::Variable(_) => Value::Null,
    }
}

/// The named type at the bottom of a wrapped type.
pub fn named(ty: &Type) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => named(inner),
    }
}

pub fn is_list(ty: &Type) -> bool {
    match ty {
        Type::ListType(_) => true,
        Type::NonNullType(inner) => is_list(inner),
        Type::NamedType(_) => false,
    }
}

pub fn non_null(ty: &Type) -> bool {
    matches!(ty, Type::NonNullType(_))
}

/// Argument values by name, as JSON after coercion.
pub type Args = BTreeMap<String, Value>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_the_schema_mentions_is_defined() {
        let schema = &*SCHEMA;
        for def in schema.types.values() {
            for field in &def.fields {
                assert!(schema.get(named(&field.ty)).is_some(), "{}.{}", def.name, field.name);
                for arg in &field.args {
                    assert!(schema.get(named(&arg.ty)).is_some(), "{}.{}({})", def.name, field.name, arg.name);
                }
            }
            for input in &def.inputs {
                assert!(schema.get(named(&input.ty)).is_some(), "{}.{}", def.name, input.name);
            }
            for possible in &def.possible {
                assert!(schema.get(possible).is_some(), "{} can be {possible}", def.name);
            }
            if def.is_connection() {
                let node = def.field("nodes").map(|f| named(&f.ty)).expect("a connection has nodes");
                assert!(def.field("edges").is_some() && def.field("pageInfo").is_some(), "{}", def.name);
                let edge = schema.of(named(&def.field("edges").unwrap().ty));
                assert_eq!(edge.field("node").map(|f| named(&f.ty)), Some(node), "{}", edge.name);
            }
        }
        assert!(schema.fits("Order", "Node"));
        assert!(schema.fits("WebhookHttpEndpoint", "WebhookSubscriptionEndpoint"));
        assert!(!schema.fits("Order", "Product"));
        assert_eq!(
            schema.of("QueryRoot").field("orders").unwrap().arg("sortKey").unwrap().default,
            Some("PROCESSED_AT".into())
        );
    }
}
