//! Query parameters as the API reads them: paging with its bounds, id lists, and the dates the
//! filters take (RFC 2822 or ISO 8601; without an offset, in the store's timezone).

use time::{
    format_description::well_known::{Rfc2822, Rfc3339},
    macros::format_description,
    Date, OffsetDateTime, PrimitiveDateTime, UtcOffset,
};

/// Requests without `limit` get this many.
const DEFAULT_LIMIT: usize = 50;
/// The most one page may ask for.
pub const MAX_LIMIT: usize = 250;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A comma-separated list (`include=variants,images`), empty items dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.get(name).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    /// A comma-separated list of ids; `Err` names the parameter when one is not a number.
    pub fn ids(&self, name: &str) -> Result<Option<Vec<u64>>, String> {
        if self.get(name).is_none() {
            return Ok(None);
        }
        self.list(name)
            .iter()
            .map(|id| id.parse::<u64>().map_err(|_| name.to_owned()))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// The query string of a page link: every other parameter as given, then `page` and `limit`.
    pub fn page_link(&self, page: usize, limit: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.0.iter().filter(|(k, _)| k != "page" && k != "limit") {
            query.append_pair(key, value);
        }
        query.append_pair("page", &page.to_string()).append_pair("limit", &limit.to_string());
        format!("?{}", query.finish())
    }
}

/// A page of a collection: 1-based `page`, `limit` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: usize,
    pub limit: usize,
}

impl Page {
    /// `page` and `limit` as the API reads them: missing or unreadable ones take their defaults;
    /// a `limit` over the maximum is refused (`Err`), as 413 says.
    pub fn of(params: &Params) -> Result<Page, usize> {
        let number = |name| params.get(name).and_then(|v| v.trim().parse::<usize>().ok()).filter(|n| *n > 0);
        let limit = number("limit").unwrap_or(DEFAULT_LIMIT);
        if limit > MAX_LIMIT {
            return Err(limit);
        }
        Ok(Page { page: number("page").unwrap_or(1), limit })
    }

    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1).saturating_mul(self.limit).min(items.len());
        &items[start..(start + self.limit).min(items.len())]
    }

    pub fn total_pages(&self, total: usize) -> usize {
        total.div_ceil(self.limit)
    }
}

/// What a date without a time of day means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOnly {
    /// Midnight in the store's timezone.
    Midnight,
    /// That day at the current time of the request (UTC), as the catalog's `date_modified:min`
    /// does.
    RequestTime,
}

/// A filter's date in Unix seconds: RFC 2822 (`Thu, 20 Apr 2017 11:32:00 -0400`), ISO 8601 with
/// an offset (`2017-04-20T11:32:00.000-04:00`, `…Z`) or without one (the store's timezone), or a
/// bare date.
pub fn parse_date(text: &str, store_offset_minutes: i32, date_only: DateOnly, now: i64) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc2822).or_else(|_| OffsetDateTime::parse(text, &Rfc3339)) {
        return Some(at.unix_timestamp());
    }
    let offset = UtcOffset::from_whole_seconds(store_offset_minutes * 60).ok()?;
    let naive = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    ];
    if let Some(at) = naive.iter().find_map(|format| PrimitiveDateTime::parse(text, format).ok()) {
        return Some(at.assume_offset(offset).unix_timestamp());
    }
    let date = Date::parse(text, format_description!("[year]-[month]-[day]")).ok()?;
    Some(match date_only {
        DateOnly::Midnight => date.midnight().assume_offset(offset).unix_timestamp(),
        DateOnly::RequestTime => {
            let time_of_day = OffsetDateTime::from_unix_timestamp(now).ok()?.time();
            date.with_time(time_of_day).assume_utc().unix_timestamp()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_default_to_fifty_and_refuse_more_than_250() {
        let page = |q: &str| Page::of(&Params::parse(q));
        assert_eq!(page(""), Ok(Page { page: 1, limit: 50 }));
        assert_eq!(page("page=3&limit=250"), Ok(Page { page: 3, limit: 250 }));
        assert_eq!(page("page=0&limit=abc"), Ok(Page { page: 1, limit: 50 }));
        assert_eq!(page("limit=251"), Err(251));
        let items: Vec<u32> = (0..7).collect();
        let third = Page { page: 3, limit: 3 };
        assert_eq!(third.slice(&items), &[6]);
        assert_eq!(Page { page: 4, limit: 3 }.slice(&items), &[] as &[u32]);
        assert_eq!(third.total_pages(7), 3);
    }

    #[test]
    fn dates_parse_in_every_documented_form() {
        let now = 1_700_000_000; // 2023-11-14T22:13:20Z
        let chicago = -360;
        let parse = |t: &str| parse_date(t, chicago, DateOnly::Midnight, now);
        assert_eq!(parse("Thu, 20 Apr 2017 11:32:00 -0400"), Some(1_492_702_320));
        assert_eq!(parse("2017-04-20T11:32:00.000-04:00"), Some(1_492_702_320));
        assert_eq!(parse("2017-04-20T15:32:00Z"), Some(1_492_702_320));
        assert_eq!(parse("2017-04-20T09:32:00"), Some(1_492_702_320), "no offset: the store's");
        assert_eq!(parse("2017-04-20"), Some(1_492_668_000), "midnight in Chicago");
        assert_eq!(parse_date("2017-04-20", chicago, DateOnly::RequestTime, now), Some(1_492_646_400 + 80_000));
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("Thu, 20 Apr 2017 11:32:00  0400"), None, "a `+` read as a space is no offset");
    }

    #[test]
    fn links_keep_the_other_parameters() {
        let params = Params::parse("include=variants&page=1&date_modified:min=2024-01-01");
        assert_eq!(params.page_link(2, 50), "?include=variants&date_modified%3Amin=2024-01-01&page=2&limit=50");
        assert_eq!(params.ids("id:in"), Ok(None));
        assert_eq!(Params::parse("id:in=4,5").ids("id:in"), Ok(Some(vec![4, 5])));
        assert_eq!(Params::parse("id:in=4,x").ids("id:in"), Err("id:in".into()));
    }
}
