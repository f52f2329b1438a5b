//! The sorted merge behind every layer that reads through to another: two cursors in key order,
//! the front one winning on equal keys, its tombstones hiding the key in both.

use std::cmp::Ordering;
use std::ops::Bound;

use crate::database::Cursor;
use crate::error::StorageResult as Result;
use crate::range::KeyRange;
use crate::transaction::{ColumnWrites, Op, Position};

/// A cursor whose entries may be deletion markers.
pub trait Overlay: Cursor {
    /// Whether the current entry deletes its key rather than storing a value.
    fn is_tombstone(&self) -> bool;
}

/// An ordinary cursor as an overlay without tombstones.
pub struct Plain<C>(pub C);

impl<C: Cursor> Cursor for Plain<C> {
    fn seek(&mut self, key: &[u8]) {
        self.0.seek(key);
    }
    fn seek_for_prev(&mut self, key: &[u8]) {
        self.0.seek_for_prev(key);
    }
    fn seek_to_first(&mut self) {
        self.0.seek_to_first();
    }
    fn seek_to_last(&mut self) {
        self.0.seek_to_last();
    }
    fn next(&mut self) {
        self.0.next();
    }
    fn prev(&mut self) {
        self.0.prev();
    }
    fn key(&self) -> Option<&[u8]> {
        self.0.key()
    }
    fn value(&self) -> Option<&[u8]> {
        self.0.value()
    }
    fn item(&self) -> Option<(&[u8], &[u8])> {
        self.0.item()
    }
    fn status(&self) -> Result<()> {
        self.0.status()
    }
    fn value_error(&self) -> Option<crate::StorageError> {
        self.0.value_error()
    }
}

impl<C: Cursor> Overlay for Plain<C> {
    fn is_tombstone(&self) -> bool {
        false
    }
}

/// A cursor over one column's buffered writes in a transaction, deletes included. It keeps its
/// place in the transaction's index, so a step is an increment and only seeks search; the range's
/// ends are found once, as positions, so a step checks it by comparing two integers.
pub struct ShadowCursor<'a> {
    writes: Option<&'a ColumnWrites>,
    range: KeyRange,
    /// The first position in the range and the one past its last.
    span: (Position, Position),
    position: Option<Position>,
    current: Option<(&'a [u8], Op<'a>)>,
}

impl<'a> ShadowCursor<'a> {
    pub(crate) fn new(writes: Option<&'a ColumnWrites>, range: KeyRange) -> Self {
        let span = writes.map_or((Position::START, Position::START), |writes| {
            let first = writes.seek(Bound::Included(range.start()));
            let past = range.end().map_or(writes.end(), |end| writes.seek(Bound::Included(end)));
            (first, past.max(first))
        });
        Self { writes, range, span, position: None, current: None }
    }

    /// Moves to `position` — invalid when it is `None` or lies outside the range.
    fn settle(&mut self, position: Option<Position>) {
        let (first, past) = self.span;
        let position = position.filter(|&at| first <= at && at < past);
        self.current = position.zip(self.writes).and_then(|(at, writes)| writes.entry(at));
        self.position = position.filter(|_| self.current.is_some());
    }

    /// The first position at or after `from`.
    fn first_from(&self, from: Bound<&[u8]>) -> Option<Position> {
        self.writes.map(|writes| writes.seek(from))
    }

    /// The last position before `to`.
    fn last_before(&self, to: Bound<&[u8]>) -> Option<Position> {
        let writes = self.writes?;
        let after = match to {
            Bound::Included(key) => writes.seek(Bound::Excluded(key)),
            Bound::Excluded(key) => writes.seek(Bound::Included(key)),
            Bound::Unbounded => writes.end(),
        };
        writes.prev(after)
    }
}

impl Cursor for ShadowCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        let position = self.first_from(Bound::Included(key.max(self.range.start())));
        self.settle(position);
    }
    fn seek_for_prev(&mut self, key: &[u8]) {
        let position = match self.range.end() {
            Some(end) if key >= end => self.last_before(Bound::Excluded(end)),
            _ => self.last_before(Bound::Included(key)),
        };
        self.settle(position);
    }
    fn seek_to_first(&mut self) {
        // The range's ends were found when the cursor was made.
        let (first, _) = self.span;
        self.settle(self.writes.map(|_| first));
    }
    fn seek_to_last(&mut self) {
        let (_, past) = self.span;
        let position = self.writes.and_then(|writes| writes.prev(past));
        self.settle(position);
    }
    fn next(&mut self) {
        let position = self.position.zip(self.writes).map(|(at, writes)| writes.next(at));
        self.settle(position);
    }
    fn prev(&mut self) {
        let position = self.position.zip(self.writes).and_then(|(at, writes)| writes.prev(at));
        self.settle(position);
    }
    fn key(&self) -> Option<&[u8]> {
        self.current.map(|(key, _)| key)
    }
    fn value(&self) -> Option<&[u8]> {
        self.current.and_then(|(_, op)| op.value())
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

impl Overlay for ShadowCursor<'_> {
    fn is_tombstone(&self) -> bool {
        matches!(self.current, Some((_, Op::Delete)))
    }
}

fn step(cursor: &mut (impl Cursor + ?Sized), direction: Direction) {
    match direction {
        Direction::Forward => cursor.next(),
        Direction::Backward => cursor.prev(),
    }
}

/// Which source the merged position is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Only the front holds the current key.
    Front,
    /// Only the back holds the current key.
    Back,
    /// Both hold the current key; the front's entry is the one shown.
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// `front` merged over `back`: each key once, in order; where both hold a key the front entry
/// wins, and a front tombstone hides the key entirely. Keys and values are read from the source
/// cursors in place, never copied.
///
/// Both cursors always sit at or beyond the merged position in the direction of travel; a step
/// advances the side that was current (both, when they hold the same key). Which side that is
/// is decided once per step, when the position settles, so a step over a run of base entries
/// costs one key comparison and no second look at either cursor.
pub struct MergeCursor<F, B> {
    front: F,
    back: B,
    current: Option<Side>,
    direction: Direction,
}

impl<F: Overlay, B: Cursor> MergeCursor<F, B> {
    /// Merges `front` over `back`; both must cover the same range.
    pub fn new(front: F, back: B) -> Self {
        Self { front, back, current: None, direction: Direction::Forward }
    }

    /// Picks the entry to show — the first in `direction` — skipping keys the front deletes.
    fn settle(&mut self, direction: Direction) {
        self.direction = direction;
        loop {
            let side = match (self.front.key(), self.back.key()) {
                // A source that failed ends the merge, so the error surfaces through `status`.
                (None, _) if self.front.status().is_err() => None,
                (_, None) if self.back.status().is_err() => None,
                (None, None) => None,
                (Some(_), None) => Some(Side::Front),
                (None, Some(_)) => Some(Side::Back),
                (Some(f), Some(b)) => Some(match (f.cmp(b), direction) {
                    (Ordering::Equal, _) => Side::Both,
                    (Ordering::Less, Direction::Forward)
                    | (Ordering::Greater, Direction::Backward) => Side::Front,
                    _ => Side::Back,
                }),
            };
            self.current = side;
            match side {
                Some(side @ (Side::Front | Side::Both)) if self.front.is_tombstone() => {
                    self.step(side, direction);
                }
                _ => return,
            }
        }
    }

    /// Steps the cursors that hold the current key.
    fn step(&mut self, side: Side, direction: Direction) {
        if side != Side::Back {
            step(&mut self.front, direction);
        }
        if side != Side::Front {
            step(&mut self.back, direction);
        }
    }

    /// Moves one entry in `direction`.
    fn advance(&mut self, direction: Direction) {
        let Some(side) = self.current else { return };
        if self.direction == direction {
            self.step(side, direction);
        } else {
            // Turning around: put both sides just past the current key in the new direction.
            let Some(key) = self.key().map(<[u8]>::to_vec) else { return };
            for cursor in [&mut self.front as &mut dyn Cursor, &mut self.back] {
                match direction {
                    Direction::Forward => cursor.seek(&key),
                    Direction::Backward => cursor.seek_for_prev(&key),
                }
                if cursor.key() == Some(&key[..]) {
                    step(cursor, direction);
                }
            }
        }
        self.settle(direction);
    }
}

impl<F: Overlay, B: Cursor> Cursor for MergeCursor<F, B> {
    fn seek(&mut self, key: &[u8]) {
        self.front.seek(key);
        self.back.seek(key);
        self.settle(Direction::Forward);
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.front.seek_for_prev(key);
        self.back.seek_for_prev(key);
        self.settle(Direction::Backward);
    }

    fn seek_to_first(&mut self) {
        self.front.seek_to_first();
        self.back.seek_to_first();
        self.settle(Direction::Forward);
    }

    fn seek_to_last(&mut self) {
        self.front.seek_to_last();
        self.back.seek_to_last();
        self.settle(Direction::Backward);
    }

    fn next(&mut self) {
        self.advance(Direction::Forward);
    }

    fn prev(&mut self) {
        self.advance(Direction::Backward);
    }

    fn key(&self) -> Option<&[u8]> {
        match self.current? {
            Side::Front | Side::Both => self.front.key(),
            Side::Back => self.back.key(),
        }
    }

    fn value(&self) -> Option<&[u8]> {
        match self.current? {
            Side::Front | Side::Both => self.front.value(),
            Side::Back => self.back.value(),
        }
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        match self.current? {
            Side::Front | Side::Both => self.front.item(),
            Side::Back => self.back.item(),
        }
    }

    fn status(&self) -> Result<()> {
        self.front.status()?;
        self.back.status()
    }

    fn value_error(&self) -> Option<crate::StorageError> {
        match self.current? {
            Side::Front | Side::Both => self.front.value_error(),
            Side::Back => self.back.value_error(),
        }
    }
}
