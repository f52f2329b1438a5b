//! The registry of views: one record per view, in the database beside the log and the views'
//! own columns.
//!
//! | column | key | value |
//! |---|---|---|
//! | [`REGISTRY`] | [`ViewKey`] (the view's name, NUL-padded to 64 bytes) | [`ViewRecord`] (borsh) |
//!
//! A view's record and its state change in the same commit, so after a crash the record's
//! `since` says exactly which entries the state reflects.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::schema::{ColumnDescriptor, Schema};
use strata_core::{BorshValue, Column, Entry, key};

/// Longest view name, in bytes.
pub const MAX_NAME: usize = 64;

/// One record per view.
pub const REGISTRY: Column = Column::new("view_registry");

/// The columns of the registry, for opening a database (beside the log's and the views' own).
pub const COLUMNS: [Column; 1] = [REGISTRY];

key! {
    /// A view's place in the registry.
    pub struct ViewKey in REGISTRY {
        /// The view's name, NUL-padded (names never contain NUL).
        pub name: [u8; MAX_NAME],
    }
}

impl ViewKey {
    /// The name, without its padding.
    pub fn name(&self) -> String {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(MAX_NAME);
        String::from_utf8_lossy(&self.name[..end]).into_owned()
    }
}

/// Whether `name` can name a view: 1 to 64 characters of `[A-Za-z0-9_.-]`.
pub fn is_valid_name(name: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    !name.is_empty() && name.len() <= MAX_NAME && name.bytes().all(allowed)
}

/// The registry key of the view named `name`, if the name is valid.
pub fn key_of(name: &str) -> Option<ViewKey> {
    if !is_valid_name(name) {
        return None;
    }
    let mut padded = [0; MAX_NAME];
    padded[..name.len()].copy_from_slice(name.as_bytes());
    Some(ViewKey { name: padded })
}

/// How a view is kept current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum Mode {
    /// Updated in the same atomic commit as the entries it reduces: the view and the log never
    /// disagree.
    InStep = 0,
    /// Updated after the entries are committed, by a catch-up worker, in bounded batches.
    Behind = 1,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::InStep => "in step",
            Mode::Behind => "behind",
        })
    }
}

/// Where a view stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum Phase {
    /// The state reflects every entry below `since`; readers may read it.
    Ready = 0,
    /// A rebuild is deleting the view's old state; readers are refused.
    Clearing = 1,
    /// A rebuild is reducing the log from the start and has reached `since`; readers are
    /// refused until it reaches the end.
    Rebuilding = 2,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Ready => "ready",
            Phase::Clearing => "rebuilding (clearing)",
            Phase::Rebuilding => "rebuilding",
        })
    }
}

/// A view's registry record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ViewRecord {
    /// The version of the code that built the state.
    pub version: u32,
    /// How the view is kept current (as last opened).
    pub mode: Mode,
    /// Where it stands.
    pub phase: Phase,
    /// Every entry with an arrival offset below `since` is reflected in the state (as the log
    /// held it when the view reached it); none at or above.
    pub since: u64,
}

impl BorshValue for ViewRecord {}

impl Entry for ViewKey {
    type Value<'a> = ViewRecord;
}

/// The registry's descriptor, for tools.
pub const SCHEMA: Schema = Schema::new("views", &[ColumnDescriptor::of::<ViewKey>()]);
