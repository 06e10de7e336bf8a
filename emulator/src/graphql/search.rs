//! Shopify's search syntax for `query:` arguments (GRAPHQL.md §2.3): `field:value` terms with
//! `:`, `:<`, `:>`, `:<=`, `:>=`, implicit or explicit `AND`, `OR`, `NOT` or `-`, parentheses and
//! quoted values. A field the resource does not know is ignored, as Shopify ignores it.

use time::{
    format_description::well_known::Rfc3339, macros::format_description, OffsetDateTime, PrimitiveDateTime, UtcOffset,
};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    All,
    Term { field: Option<String>, cmp: Cmp, value: String },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

/// What a record has under a search field.
pub enum FieldValue {
    /// Unix seconds.
    Time(i64),
    Number(i64),
    Text(String),
    Texts(Vec<String>),
    /// The resource has no such field: the term is ignored.
    Unknown,
}

pub fn parse(query: &str) -> Expr {
    let tokens = tokenize(query);
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or();
    match expr {
        Expr::And(items) if items.is_empty() => Expr::All,
        other => other,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokenize(query: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in query.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, '(') if word.is_empty() => tokens.push(Token::Open),
            (None, ')') => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Close);
            }
            (None, c) if c.is_whitespace() => flush(&mut word, &mut tokens),
            (None, c) => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn or(&mut self) -> Expr {
        let mut items = vec![self.and()];
        while self.peek_word("OR") {
            self.at += 1;
            items.push(self.and());
        }
        if items.len() == 1 {
            items.pop().unwrap_or(Expr::All)
        } else {
            Expr::Or(items)
        }
    }

    fn and(&mut self) -> Expr {
        let mut items = Vec::new();
        loop {
            match self.tokens.get(self.at) {
                None | Some(Token::Close) => break,
                Some(Token::Word(w)) if w == "OR" => break,
                Some(Token::Word(w)) if w == "AND" => self.at += 1,
                _ => items.push(self.unary()),
            }
        }
        if items.len() == 1 {
            items.pop().unwrap_or(Expr::All)
        } else {
            Expr::And(items)
        }
    }

    fn unary(&mut self) -> Expr {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Word(w)) if w == "NOT" => {
                self.at += 1;
                Expr::Not(Box::new(self.unary()))
            }
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or();
                if matches!(self.tokens.get(self.at), Some(Token::Close)) {
                    self.at += 1;
                }
                inner
            }
            Some(Token::Word(w)) if w.len() > 1 && w.starts_with('-') => {
                self.at += 1;
                Expr::Not(Box::new(term(&w[1..])))
            }
            Some(Token::Word(w)) => {
                self.at += 1;
                term(&w)
            }
            _ => {
                self.at += 1;
                Expr::All
            }
        }
    }
}

fn term(word: &str) -> Expr {
    let split = word.find(':').filter(|i| !word[..*i].contains(['"', '\'']));
    let Some(colon) = split else { return Expr::Term { field: None, cmp: Cmp::Eq, value: unquote(word) } };
    let field = word[..colon].to_ascii_lowercase();
    let rest = &word[colon + 1..];
    let (cmp, value) = if let Some(v) = rest.strip_prefix(">=") {
        (Cmp::Ge, v)
    } else if let Some(v) = rest.strip_prefix("<=") {
        (Cmp::Le, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (Cmp::Gt, v)
    } else if let Some(v) = rest.strip_prefix('<') {
        (Cmp::Lt, v)
    } else {
        (Cmp::Eq, rest)
    };
    Expr::Term { field: Some(field), cmp, value: unquote(value) }
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_owned();
        }
    }
    t.to_owned()
}

impl Expr {
    /// Whether a record matches; `get` reads its fields (`None` as the field: free text).
    pub fn matches(&self, get: &dyn Fn(Option<&str>) -> FieldValue, offset: UtcOffset) -> bool {
        match self {
            Expr::All => true,
            Expr::Not(inner) => !inner.matches(get, offset),
            Expr::And(items) => items.iter().all(|e| e.matches(get, offset)),
            Expr::Or(items) => items.iter().any(|e| e.matches(get, offset)),
            Expr::Term { field, cmp, value } => compare(get(field.as_deref()), *cmp, value, offset),
        }
    }
}

fn compare(have: FieldValue, cmp: Cmp, value: &str, offset: UtcOffset) -> bool {
    let ordered = |ord: std::cmp::Ordering| match cmp {
        Cmp::Eq => ord.is_eq(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Le => ord.is_le(),
        Cmp::Ge => ord.is_ge(),
    };
    match have {
        FieldValue::Unknown => true,
        _ if value == "*" => true,
        FieldValue::Time(t) => match parse_time(value, offset) {
            // A bare date is the whole day: `created_at:2024-05-05` matches any time that day.
            Some((start, true)) if cmp == Cmp::Eq => t >= start && t < start + 86_400,
            Some((start, true)) if cmp == Cmp::Gt => t >= start + 86_400,
            Some((start, true)) if cmp == Cmp::Le => t < start + 86_400,
            Some((at, _)) => ordered(t.cmp(&at)),
            None => true,
        },
        FieldValue::Number(n) => {
            let tail = value.rsplit('/').next().unwrap_or(value);
            match tail.parse::<i64>() {
                Ok(wanted) => ordered(n.cmp(&wanted)),
                Err(_) => false,
            }
        }
        FieldValue::Text(text) => text_matches(&text, cmp, value, &ordered),
        FieldValue::Texts(texts) => texts.iter().any(|t| text_matches(t, cmp, value, &ordered)),
    }
}

fn text_matches(text: &str, cmp: Cmp, value: &str, ordered: &dyn Fn(std::cmp::Ordering) -> bool) -> bool {
    let (text, value) = (text.to_lowercase(), value.to_lowercase());
    match (cmp, value.strip_suffix('*')) {
        (Cmp::Eq, Some(prefix)) => text.starts_with(prefix),
        (Cmp::Eq, None) => text == value,
        _ => ordered(text.as_str().cmp(value.as_str())),
    }
}

/// A time in a search value: ISO 8601 with an offset, or a date or `YYYY-MM-DD HH:MM:SS` in the
/// shop's time zone. The flag says it was a bare date.
pub fn parse_time(text: &str, offset: UtcOffset) -> Option<(i64, bool)> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((t.unix_timestamp(), false));
    }
    let local = PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .or_else(|_| {
            PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
        });
    if let Ok(local) = local {
        return Some((local.assume_offset(offset).unix_timestamp(), false));
    }
    let date = time::Date::parse(text, format_description!("[year]-[month]-[day]")).ok()?;
    Some((date.with_time(time::Time::MIDNIGHT).assume_offset(offset).unix_timestamp(), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(field: Option<&str>) -> FieldValue {
        match field {
            Some("updated_at") => FieldValue::Time(1_714_874_400), // 2024-05-05T02:00:00Z
            Some("status") => FieldValue::Text("active".into()),
            Some("tag") => FieldValue::Texts(vec!["VIP".into(), "repeat".into()]),
            Some("id") => FieldValue::Number(42),
            None => FieldValue::Text("Nordic Mug 3".into()),
            _ => FieldValue::Unknown,
        }
    }

    fn hit(query: &str) -> bool {
        parse(query).matches(&record, UtcOffset::UTC)
    }

    #[test]
    fn terms_combine_compare_and_ignore_unknown_fields() {
        assert!(hit("updated_at:>='2024-05-05T00:00:00Z' AND updated_at:<='2024-05-05T02:24:00+00:00'"));
        assert!(!hit("updated_at:>'2024-05-05T02:00:00Z'"));
        assert!(hit("updated_at:2024-05-05"));
        assert!(!hit("updated_at:<2024-05-05"));
        assert!(hit("status:ACTIVE tag:vip"));
        assert!(!hit("status:draft"));
        assert!(hit("status:draft OR status:active"));
        assert!(hit("NOT status:draft") && hit("-status:draft") && !hit("-status:active"));
        assert!(hit("(status:draft OR id:42) AND tag:repeat"));
        assert!(hit("id:>41") && !hit("id:<42") && hit("id:gid://shopify/Product/42"));
        assert!(hit("nonsense:whatever"), "an unknown field is ignored");
        assert!(hit("title:\"blue jeans\"") && hit(""));
        assert!(
            parse("name:'blue jeans' status:x")
                == Expr::And(vec![
                    Expr::Term { field: Some("name".into()), cmp: Cmp::Eq, value: "blue jeans".into() },
                    Expr::Term { field: Some("status".into()), cmp: Cmp::Eq, value: "x".into() },
                ])
        );
    }
}
