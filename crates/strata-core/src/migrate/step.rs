//! What a migration step is made of: [`Step`], one version's worth of [`Change`]s, declared as
//! constants beside the schema.

use crate::column::Column;
use crate::error::BoxError;

/// Rewrites one value of a column: the new value, or `None` to delete the entry. Gets the key
/// and the stored value; an error stops the migration before the batch holding this entry is
/// written, naming the entry.
pub type ValueTransform = fn(key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError>;

/// Re-lays one entry under a new key (and value) in another column, or drops it (`None`).
pub type KeyRelay = fn(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError>;

/// What a [`KeyRelay`] gives an entry: its new key and value, or `None` to drop it.
pub type Relaid = Option<(Vec<u8>, Vec<u8>)>;

/// One change to a schema's stored data. A [`Step`] applies its changes in order.
///
/// Every change that moves data runs in bounded batches; each batch is one atomic commit that
/// also records how far the change has got, so a migration killed half-way resumes after the
/// last entry it committed.
#[derive(Clone, Copy)]
pub enum Change {
    /// A new column. It holds nothing yet; the database must be opened with it (a RocksDB
    /// database creates it at open), which the migration checks before writing anything.
    AddColumn(Column),
    /// Deletes every entry of a column. A RocksDB database removes the emptied column family
    /// at its next versioned open, once no schema declares the column.
    DropColumn(Column),
    /// Moves every entry of `from` to `to` unchanged. `to` must be empty when the change starts.
    RenameColumn {
        /// The column emptied.
        from: Column,
        /// The column filled.
        to: Column,
    },
    /// Rewrites every value of `column` in place with `transform`.
    TransformValues {
        /// The column rewritten.
        column: Column,
        /// The new value of each entry, or `None` to delete it.
        transform: ValueTransform,
    },
    /// Moves every entry of `from` to `to` under the key (and value) `relay` gives it: how a key
    /// changes shape, e.g. a component widened from `u32` to `u64`. `to` must be empty when the
    /// change starts, and two entries re-laid to the same key stop the migration with a typed
    /// error rather than one overwriting the other. To keep the column's name, re-lay into a
    /// scratch column and rename it back in a second change of the same step.
    RelayKeys {
        /// The column emptied.
        from: Column,
        /// The column filled.
        to: Column,
        /// Each entry's new key and value, or `None` to drop it.
        relay: KeyRelay,
    },
}

impl Change {
    /// The column this change reads (the one it adds, for [`Change::AddColumn`]).
    pub const fn source(&self) -> Column {
        match *self {
            Self::AddColumn(column)
            | Self::DropColumn(column)
            | Self::TransformValues { column, .. } => column,
            Self::RenameColumn { from, .. } | Self::RelayKeys { from, .. } => from,
        }
    }

    /// The column this change writes into, when it moves entries to another column.
    pub const fn destination(&self) -> Option<Column> {
        match *self {
            Self::RenameColumn { to, .. } | Self::RelayKeys { to, .. } => Some(to),
            _ => None,
        }
    }

    /// The column this change leaves empty for good, if any: a dropped column, or the source of
    /// a rename or re-lay.
    pub const fn removes(&self) -> Option<Column> {
        match *self {
            Self::DropColumn(column)
            | Self::RenameColumn { from: column, .. }
            | Self::RelayKeys { from: column, .. } => Some(column),
            _ => None,
        }
    }

    /// What the change does, in words, e.g. ``rename `notes` to `memos` ``.
    pub fn describe(&self) -> String {
        match self {
            Self::AddColumn(column) => format!("add `{}`", column.name()),
            Self::DropColumn(column) => format!("drop `{}`", column.name()),
            Self::RenameColumn { from, to } => {
                format!("rename `{}` to `{}`", from.name(), to.name())
            }
            Self::TransformValues { column, .. } => {
                format!("transform the values of `{}`", column.name())
            }
            Self::RelayKeys { from, to, .. } => {
                format!("re-lay the keys of `{}` into `{}`", from.name(), to.name())
            }
        }
    }
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The changes that bring a schema's stored data from version `from` to `from + 1`.
///
/// A schema lists its steps with `Schema::with_migrations`; opening a database recorded at an
/// older version runs the missing ones in order. The recorded version moves to `from + 1` with
/// the step's first batch; the step is complete when its last batch removes the record of its
/// progress.
///
/// ```
/// use strata_core::migrate::{Change, Step};
/// use strata_core::Column;
///
/// const NOTES: Column = Column::new("notes");
/// const MEMOS: Column = Column::new("memos");
/// const STEP: Step = Step::new(1, "notes are called memos", &[
///     Change::RenameColumn { from: NOTES, to: MEMOS },
/// ]);
/// assert_eq!(STEP.to(), 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Step {
    from: u32,
    description: &'static str,
    changes: &'static [Change],
}

impl Step {
    /// The step from version `from` to `from + 1`, described for reports, made of `changes`.
    pub const fn new(from: u32, description: &'static str, changes: &'static [Change]) -> Self {
        Self { from, description, changes }
    }

    /// The version this step starts from.
    pub const fn from(&self) -> u32 {
        self.from
    }

    /// The version this step ends at.
    pub const fn to(&self) -> u32 {
        self.from + 1
    }

    /// What the step is for.
    pub const fn description(&self) -> &'static str {
        self.description
    }

    /// Its changes, in the order they run.
    pub const fn changes(&self) -> &'static [Change] {
        self.changes
    }
}
