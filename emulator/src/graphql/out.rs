//! Answers as they are written: JSON whose object keys keep the order the query asked for
//! (serde_json's map sorts them), and GraphQL errors in Shopify's shape.

use serde::{ser::SerializeMap, Serialize, Serializer};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Out>),
    Obj(Vec<(String, Out)>),
}

impl Out {
    pub fn str(text: impl Into<String>) -> Out {
        Out::Str(text.into())
    }

    pub fn obj(fields: Vec<(&str, Out)>) -> Out {
        Out::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[cfg(test)]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_value(value: &Value) -> Out {
        match value {
            Value::Null => Out::Null,
            Value::Bool(b) => Out::Bool(*b),
            Value::Number(n) => n.as_i64().map_or_else(|| Out::Float(n.as_f64().unwrap_or_default()), Out::Int),
            Value::String(s) => Out::Str(s.clone()),
            Value::Array(items) => Out::List(items.iter().map(Out::from_value).collect()),
            Value::Object(map) => Out::Obj(map.iter().map(|(k, v)| (k.clone(), Out::from_value(v))).collect()),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Null => serializer.serialize_unit(),
            Out::Bool(b) => serializer.serialize_bool(*b),
            Out::Int(n) => serializer.serialize_i64(*n),
            Out::Float(f) => serializer.serialize_f64(*f),
            Out::Str(s) => serializer.serialize_str(s),
            Out::List(items) => serializer.collect_seq(items),
            Out::Obj(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// One step of an error's `path`: a response key or a list index.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// One entry of `errors`.
#[derive(Debug, Clone, PartialEq)]
pub struct GqlError {
    pub message: String,
    pub locations: Vec<(usize, usize)>,
    pub path: Option<Vec<Step>>,
    pub extensions: Vec<(String, Out)>,
}

impl GqlError {
    pub fn new(message: impl Into<String>) -> GqlError {
        GqlError { message: message.into(), locations: Vec::new(), path: None, extensions: Vec::new() }
    }

    pub fn at(mut self, line: usize, column: usize) -> GqlError {
        self.locations.push((line, column));
        self
    }

    pub fn path(mut self, path: Vec<Step>) -> GqlError {
        self.path = Some(path);
        self
    }

    pub fn ext(mut self, key: &str, value: Out) -> GqlError {
        self.extensions.push((key.to_owned(), value));
        self
    }

    pub fn code(self, code: &str) -> GqlError {
        self.ext("code", Out::str(code))
    }

    pub fn out(&self) -> Out {
        let mut fields = vec![("message".to_owned(), Out::str(self.message.clone()))];
        if !self.locations.is_empty() {
            let locations = self
                .locations
                .iter()
                .map(|(line, column)| {
                    Out::obj(vec![("line", Out::Int(*line as i64)), ("column", Out::Int(*column as i64))])
                })
                .collect();
            fields.push(("locations".to_owned(), Out::List(locations)));
        }
        if let Some(path) = &self.path {
            let steps = path
                .iter()
                .map(|s| match s {
                    Step::Key(k) => Out::str(k.clone()),
                    Step::Index(i) => Out::Int(*i as i64),
                })
                .collect();
            fields.push(("path".to_owned(), Out::List(steps)));
        }
        if !self.extensions.is_empty() {
            fields.push(("extensions".to_owned(), Out::Obj(self.extensions.clone())));
        }
        Out::Obj(fields)
    }
}

/// `path` steps from response keys.
#[cfg(test)]
pub fn keys(keys: &[&str]) -> Vec<Step> {
    keys.iter().map(|k| Step::Key((*k).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_order_and_errors_their_shape() {
        let out = Out::obj(vec![("b", Out::Int(1)), ("a", Out::Null), ("c", Out::List(vec![Out::str("x")]))]);
        assert_eq!(String::from_utf8(out.to_bytes()).unwrap(), r#"{"b":1,"a":null,"c":["x"]}"#);
        let error = GqlError::new("Throttled").code("THROTTLED").at(1, 2).path(keys(&["shop"]));
        assert_eq!(
            error.out().to_value(),
            serde_json::json!({"message": "Throttled", "locations": [{"line": 1, "column": 2}], "path": ["shop"],
                               "extensions": {"code": "THROTTLED"}})
        );
    }
}
