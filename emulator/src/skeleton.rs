//! A template serialized once, with holes where each record's own values go. Rendering a record
//! copies the template's bytes and writes only the values that differ, so a 250-order page costs
//! little more than the memory copy (the emulator must never be what a benchmark measures).

use serde_json::Value;

const MARK: &str = "\u{1}hole";

pub struct Skeleton {
    /// The template's text between holes; one more than `slots`.
    pieces: Vec<String>,
    /// For each hole in text order, the index of the value that fills it.
    slots: Vec<usize>,
    holes: usize,
}

impl Skeleton {
    /// `holes` are top-level keys of `template`, separated by white space; a key the template
    /// lacks is left out, so one list serves a record and its shorter embedded form. Values are
    /// given in the order of `holes`.
    pub fn new(template: &Value, holes: &str) -> Skeleton {
        let mut marked = template.clone();
        let object = marked.as_object_mut().expect("templates are JSON objects");
        let holes: Vec<&str> = holes.split_whitespace().collect();
        for (index, key) in holes.iter().enumerate() {
            if let Some(slot) = object.get_mut(*key) {
                *slot = Value::String(format!("{MARK}{index}{MARK}"));
            }
        }
        let text = serde_json::to_string(&marked).expect("a Value serializes");
        // serde_json escapes U+0001 as \u0001, which a real template never contains.
        let mark = "\\u0001hole";
        let (mut pieces, mut slots) = (Vec::new(), Vec::new());
        let mut rest = text.as_str();
        while let Some(start) = rest.find(&format!("\"{mark}")) {
            pieces.push(rest[..start].to_owned());
            let after = &rest[start + 1 + mark.len()..];
            let end = after.find(mark).expect("a hole mark is closed");
            slots.push(after[..end].parse().expect("a hole mark holds its index"));
            rest = &after[end + mark.len() + 1..];
        }
        pieces.push(rest.to_owned());
        Skeleton { pieces, slots, holes: holes.len() }
    }

    pub fn write(&self, out: &mut Vec<u8>, values: &[&dyn Fill]) {
        debug_assert_eq!(values.len(), self.holes, "one value per hole");
        for (piece, slot) in self.pieces.iter().zip(&self.slots) {
            out.extend_from_slice(piece.as_bytes());
            values[*slot].fill(out);
        }
        out.extend_from_slice(self.pieces.last().expect("at least one piece").as_bytes());
    }
}

/// A value written as JSON into a hole.
pub trait Fill {
    fn fill(&self, out: &mut Vec<u8>);
}

/// JSON text known when the program is written.
pub struct Literal(pub &'static str);

impl Fill for Literal {
    fn fill(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }
}

/// Text that already is JSON (a nested record or list rendered by its own skeleton).
pub struct Raw(pub Vec<u8>);

impl Fill for Raw {
    fn fill(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Fill for str {
    fn fill(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("writing to memory cannot fail");
    }
}

impl Fill for String {
    fn fill(&self, out: &mut Vec<u8>) {
        self.as_str().fill(out);
    }
}

impl Fill for &str {
    fn fill(&self, out: &mut Vec<u8>) {
        (*self).fill(out);
    }
}

impl Fill for f64 {
    fn fill(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("writing to memory cannot fail");
    }
}

impl Fill for Value {
    fn fill(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("writing to memory cannot fail");
    }
}

macro_rules! fill_as_display {
    ($($t:ty),*) => {$(
        impl Fill for $t {
            fn fill(&self, out: &mut Vec<u8>) {
                use std::io::Write;
                write!(out, "{self}").expect("writing to memory cannot fail");
            }
        }
    )*};
}
fill_as_display!(u64, i64, usize, bool);

impl<T: Fill> Fill for Option<T> {
    fn fill(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.fill(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

/// Writes `items` as a JSON array, each by `write_one`.
pub fn array<T>(items: &[T], mut write_one: impl FnMut(&T, &mut Vec<u8>)) -> Raw {
    let mut out = vec![b'['];
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_one(item, &mut out);
    }
    out.push(b']');
    Raw(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn holes_are_filled_and_the_rest_is_the_template() {
        let template = json!({"id": 1, "name": "x", "nested": {"keep": [1, 2]}, "note": "kept"});
        let skeleton = Skeleton::new(&template, "name absent id");
        let mut out = Vec::new();
        skeleton.write(&mut out, &[&"Zoë \"quoted\"", &1.5, &None::<u64>]);
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, json!({"id": null, "name": "Zoë \"quoted\"", "nested": {"keep": [1, 2]}, "note": "kept"}));
    }

    #[test]
    fn arrays_join_their_items() {
        let raw = array(&[1u64, 2, 3], |n, out| n.fill(out));
        assert_eq!(raw.0, b"[1,2,3]");
        assert_eq!(array(&[] as &[u64], |n, out| n.fill(out)).0, b"[]");
    }
}
