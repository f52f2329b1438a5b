//! Iteration: std iterators over a column's keys, raw ([`Unstructured`]) or typed ([`Structured`]).
//!
//! Both are `Iterator` and `DoubleEndedIterator`, so `rev()`, `take()` and `collect()` work as
//! usual, including mixing `next` and `next_back` on one iterator. Items are owned and stay valid
//! after the iterator moves on. A backend error is yielded once as an `Err` item, after which the
//! iterator ends; a key or value that does not decode is an `Err` item for that entry alone.
//!
//! Hot loops that only look at each entry can walk an [`Unstructured`] with
//! [`Unstructured::next_entry`] (and [`Unstructured::next_back_entry`]) instead: the same steps,
//! but each entry is lent in place from the backend's cursor, so nothing is allocated per entry.
//! [`Structured::next_entry`] does the same for typed entries: the key decoded, the value
//! borrowing the cursor's bytes where its type can.

use std::marker::PhantomData;

use crate::database::Cursor;
use crate::error::{Error, Result, StorageResult};
use crate::range::KeyRange;
use crate::value::{DataType, Entry, Slice};

/// A raw key and value.
pub type RawEntry = (Box<[u8]>, Box<[u8]>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Not on an entry this iterator has yielded: the next step must seek.
    Unpositioned,
    /// On the entry most recently yielded by `next`.
    Front,
    /// On the entry most recently yielded by `next_back`.
    Back,
}

/// Raw entries of one column within a range, in byte order.
///
/// It walks one backend [`Cursor`]. The part of the range not yet yielded is `[start, end)`;
/// stepping forward narrows `start`, stepping backward narrows `end`, and the two meet exactly
/// once. Bounds are recorded only when the direction changes, so a one-way scan copies nothing
/// but the items it yields. The cursor stops at the range's own bounds, so keys are compared
/// with a bound only once the iteration has narrowed it.
pub struct Unstructured<C> {
    cursor: C,
    start: Vec<u8>,
    end: Option<Vec<u8>>,
    /// Whether `start` is narrower than the cursor's range, so backward steps must check it.
    start_narrowed: bool,
    /// Whether `end` is narrower than the cursor's range, so forward steps must check it.
    end_narrowed: bool,
    position: Position,
    done: bool,
}

impl<C: Cursor> Unstructured<C> {
    /// Iterates `cursor` over `range`; the cursor must have been created for exactly `range`
    /// (as [`ReadLayer::cursor`](crate::ReadLayer::cursor) makes it), since the iterator relies
    /// on it to stop there.
    pub fn new(cursor: C, range: KeyRange) -> Self {
        let done = range.is_empty();
        let (start, end) = range.into_parts();
        Self {
            cursor,
            start,
            end,
            start_narrowed: false,
            end_narrowed: false,
            position: Position::Unpositioned,
            done,
        }
    }

    /// Moves the front of the iterator to the first key `>= key`; keys already passed at either end
    /// stay passed.
    pub fn seek(&mut self, key: &[u8]) {
        self.narrow_from_position();
        if key > self.start.as_slice() {
            self.start = key.to_vec();
            self.start_narrowed = true;
        }
        self.position = Position::Unpositioned;
        self.done = self.end.as_deref().is_some_and(|end| end <= self.start.as_slice());
    }

    /// Records the entry the cursor sits on as passed, before the cursor is moved elsewhere.
    fn narrow_from_position(&mut self) {
        let Some(key) = self.cursor.key() else { return };
        match self.position {
            Position::Front => {
                self.start = crate::range::successor(key);
                self.start_narrowed = true;
            }
            Position::Back => {
                self.end = Some(key.to_vec());
                self.end_narrowed = true;
            }
            Position::Unpositioned => {}
        }
    }

    /// Lends the entry under the cursor if it is still in range, or ends the iteration.
    fn lend(&mut self, direction: Direction) -> Option<StorageResult<(&[u8], &[u8])>> {
        // Borrowing the fields apart lets the entry borrow the cursor while `done` is set.
        let Self { cursor, start, end, done, .. } = self;
        let check = match direction {
            Direction::Forward => self.end_narrowed,
            Direction::Backward => self.start_narrowed,
        };
        match cursor.item() {
            Some((key, value)) if !check || direction.in_range(key, start, end.as_deref()) => {
                Some(Ok((key, value)))
            }
            Some(_) => {
                *done = true;
                None
            }
            None => match (cursor.key(), cursor.value_error()) {
                // An entry whose value cannot be trusted is that entry's error; the next step
                // goes on past it.
                (Some(key), Some(error))
                    if !check || direction.in_range(key, start, end.as_deref()) =>
                {
                    Some(Err(error))
                }
                (Some(_), Some(_)) => {
                    *done = true;
                    None
                }
                _ => {
                    *done = true;
                    cursor.status().err().map(Err)
                }
            },
        }
    }

    /// Steps forward like [`Iterator::next`], but lends the entry in place instead of copying
    /// it out: no allocation per entry. The slices live until the iterator moves again.
    ///
    /// ```
    /// use strata_core::{Column, MemoryDb, ReadLayer, Store, WriteLayer};
    ///
    /// const LOG: Column = Column::new("log");
    /// let mut store = Store::new(MemoryDb::new([LOG]));
    /// store.put(LOG, b"a", b"12")?;
    /// store.put(LOG, b"b", b"345")?;
    /// let mut entries = store.iter(LOG, ..)?;
    /// let mut bytes = 0;
    /// while let Some(entry) = entries.next_entry() {
    ///     let (key, value) = entry?;
    ///     bytes += key.len() + value.len();
    /// }
    /// assert_eq!(bytes, 7);
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn next_entry(&mut self) -> Option<StorageResult<(&[u8], &[u8])>> {
        if self.done {
            return None;
        }
        if self.position == Position::Front {
            self.cursor.next();
        } else {
            self.narrow_from_position();
            if self.start.is_empty() {
                self.cursor.seek_to_first();
            } else {
                self.cursor.seek(&self.start);
            }
            self.position = Position::Front;
        }
        self.lend(Direction::Forward)
    }

    /// Steps backward like [`DoubleEndedIterator::next_back`], lending the entry in place.
    pub fn next_back_entry(&mut self) -> Option<StorageResult<(&[u8], &[u8])>> {
        if self.done {
            return None;
        }
        if self.position == Position::Back {
            self.cursor.prev();
        } else {
            self.narrow_from_position();
            match self.end.as_deref() {
                None => self.cursor.seek_to_last(),
                Some(end) => {
                    self.cursor.seek_for_prev(end);
                    if self.cursor.key() == Some(end) {
                        self.cursor.prev();
                    }
                }
            }
            self.position = Position::Back;
        }
        self.lend(Direction::Backward)
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

impl Direction {
    /// Whether `key`, reached moving this way, is still inside `[start, end)`. Moving forward
    /// only the end can be crossed; moving backward only the start.
    fn in_range(self, key: &[u8], start: &[u8], end: Option<&[u8]>) -> bool {
        match self {
            Direction::Forward => end.is_none_or(|end| key < end),
            Direction::Backward => key >= start,
        }
    }
}

fn owned(entry: StorageResult<(&[u8], &[u8])>) -> StorageResult<RawEntry> {
    entry.map(|(key, value)| (key.into(), value.into()))
}

impl<C: Cursor> Iterator for Unstructured<C> {
    type Item = StorageResult<RawEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().map(owned)
    }
}

impl<C: Cursor> DoubleEndedIterator for Unstructured<C> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.next_back_entry().map(owned)
    }
}

/// Typed entries: each item is a decoded key of type `E` and its decoded value.
pub struct Structured<E, C> {
    raw: Unstructured<C>,
    _entry: PhantomData<fn() -> E>,
}

impl<E: Entry, C: Cursor> Structured<E, C> {
    /// Decodes the entries of `raw`.
    pub fn new(raw: Unstructured<C>) -> Self {
        Self { raw, _entry: PhantomData }
    }

    /// Moves the front of the iterator to the first key `>= key`.
    pub fn seek(&mut self, key: &E) {
        self.raw.seek(key.as_key().as_bytes());
    }

    /// The raw iterator underneath.
    pub fn into_raw(self) -> Unstructured<C> {
        self.raw
    }

    /// Steps forward like [`Iterator::next`], but decodes the entry in place: the key from the
    /// cursor's bytes, the value borrowing them where its type can (a [`Slice`] value is never
    /// copied; a borsh value decodes straight from them). The value lives until the iterator
    /// moves again. A backend error ends the walk; an entry that does not decode is an error
    /// for that entry alone.
    ///
    /// [`Slice`]: crate::Slice
    ///
    /// ```
    /// use strata_core::{key, Column, Entry, MemoryDb, Slice, Store};
    ///
    /// const BLOBS: Column = Column::new("blobs").with_prefix_len(4);
    /// key! { pub struct Blob in BLOBS { owner: u32, id: u64 } }
    /// impl Entry for Blob { type Value<'a> = Slice<'a>; }
    ///
    /// let mut store = Store::new(MemoryDb::new([BLOBS]));
    /// let mut blobs = store.handle();
    /// blobs.put(&Blob { owner: 7, id: 1 }, &Slice::from(&b"12"[..]))?;
    /// blobs.put(&Blob { owner: 7, id: 2 }, &Slice::from(&b"345"[..]))?;
    /// let mut entries = blobs.iter_prefix::<Blob, _>(&7_u32)?;
    /// let (mut ids, mut bytes) = (0, 0);
    /// while let Some(entry) = entries.next_entry() {
    ///     let (key, value) = entry?;
    ///     ids += key.id;
    ///     bytes += value.len();
    /// }
    /// assert_eq!((ids, bytes), (3, 5));
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn next_entry(&mut self) -> Option<Result<(E, E::Value<'_>)>> {
        Some(self.raw.next_entry()?.map_err(Error::from).and_then(Self::decode_lent))
    }

    /// Steps backward like [`DoubleEndedIterator::next_back`], decoding the entry in place as
    /// [`Structured::next_entry`] does.
    pub fn next_back_entry(&mut self) -> Option<Result<(E, E::Value<'_>)>> {
        Some(self.raw.next_back_entry()?.map_err(Error::from).and_then(Self::decode_lent))
    }

    /// Decodes one lent entry for [`Structured::next_entry`]: the value with
    /// [`DataType::from_slice`], so it may borrow the cursor's bytes for as long as they are lent.
    fn decode_lent<'a>((key, value): (&'a [u8], &'a [u8])) -> Result<(E, E::Value<'a>)> {
        let key = E::from_bytes(key)?;
        let value = E::Value::from_slice(Slice::from(value)).map_err(Error::from)?;
        Ok((key, value))
    }

    /// Decodes one lent entry for the std iterator, into an owned item: the key from the cursor's
    /// bytes, the value with
    /// [`DataType::from_lent`], so nothing is copied that the decoded item does not keep.
    fn decode((key, value): (&[u8], &[u8])) -> Result<(E, E::Value<'static>)> {
        let key = E::from_bytes(key)?;
        let value = E::Value::from_lent(value).map_err(Error::from)?;
        Ok((key, value))
    }
}

impl<E: Entry, C: Cursor> Iterator for Structured<E, C> {
    type Item = Result<(E, E::Value<'static>)>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.raw.next_entry()?.map_err(Error::from).and_then(Self::decode))
    }
}

impl<E: Entry, C: Cursor> DoubleEndedIterator for Structured<E, C> {
    fn next_back(&mut self) -> Option<Self::Item> {
        Some(self.raw.next_back_entry()?.map_err(Error::from).and_then(Self::decode))
    }
}
