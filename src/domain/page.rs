//! Keyset pagination: page sizes and opaque cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A page size between 1 and [`MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(i64);

/// The page size streamed exports read with (not a size clients choose).
pub const EXPORT_PAGE: Limit = Limit(1000);

impl Default for Limit {
    fn default() -> Self {
        Self(DEFAULT_LIMIT)
    }
}

impl Limit {
    pub fn parse(requested: Option<i64>) -> Result<Self, String> {
        match requested {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Self(n)),
            Some(n) => Err(format!("must be between 1 and {MAX_LIMIT}, got {n}")),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// How many rows a page query fetches: one more than the page, which tells [`next_cursor`]
    /// whether another page follows.
    pub fn fetch(self) -> i64 {
        self.0 + 1
    }
}

/// The position after which the next page starts: the last id seen (ids are time-ordered UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

const CURSOR_PREFIX: &[u8] = b"c1:";

impl Cursor {
    pub fn encode(self) -> String {
        let mut bytes = CURSOR_PREFIX.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str) -> Result<Self, String> {
        let invalid = || "is not a cursor this service issued".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let id = bytes.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
        Uuid::from_slice(id).map(Cursor).map_err(|_| invalid())
    }
}

/// Splits one extra row off a query that fetched `limit + 1`, returning the next cursor.
pub fn next_cursor<T>(
    rows: &mut Vec<T>,
    limit: Limit,
    id_of: impl Fn(&T) -> Uuid,
) -> Option<String> {
    if rows.len() as i64 > limit.get() {
        rows.truncate(limit.get() as usize);
        rows.last().map(|row| Cursor(id_of(row)).encode())
    } else {
        None
    }
}

/// A page of rows and the cursor of the next page (none on the last).
pub type Paged<T> = (Vec<T>, Option<String>);

/// One page of a keyset query: `fetch` reads up to `limit.fetch()` rows after the cursor's id
/// (one more than the page), and the extra row, if any, becomes the next cursor.
pub fn fetch_page<T, E>(
    limit: Limit,
    cursor: Option<Cursor>,
    fetch: impl FnOnce(Option<Uuid>, i64) -> Result<Vec<T>, E>,
    id_of: impl Fn(&T) -> Uuid,
) -> Result<Paged<T>, E> {
    let mut rows = fetch(cursor.map(|c| c.0), limit.fetch())?;
    let next = next_cursor(&mut rows, limit, id_of);
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(Limit::parse(None).unwrap().get(), DEFAULT_LIMIT);
        assert_eq!(Limit::parse(Some(200)).unwrap().get(), 200);
        assert!(Limit::parse(Some(201)).is_err());
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(-1)).is_err());
    }

    #[test]
    fn cursor_round_trip_and_rejects_forgeries() {
        let id = Uuid::now_v7();
        assert_eq!(Cursor::decode(&Cursor(id).encode()), Ok(Cursor(id)));
        assert!(Cursor::decode("not a cursor").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(id.as_bytes())).is_err());
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let limit = Limit::parse(Some(2)).unwrap();
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let mut rows = ids.clone();
        let next = next_cursor(&mut rows, limit, |id| *id);
        assert_eq!(rows.len(), 2);
        assert_eq!(next, Some(Cursor(ids[1]).encode()));
        let mut rows = ids[..2].to_vec();
        assert_eq!(next_cursor(&mut rows, limit, |id| *id), None);
    }
}
