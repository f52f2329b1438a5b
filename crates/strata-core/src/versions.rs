//! Recorded versions: which version of Strata's on-disk format and of each schema wrote a
//! database, so that a new binary can tell an old layout from its own and an old binary refuses a
//! newer one instead of misreading it.
//!
//! The records live in one column of the database itself, [`VERSIONS`] (open the database with
//! it beside the schemas' columns), keyed by [`VersionKey`]: kind 0 with an empty name for the
//! format, kind 1 and the schema's name (NUL-padded to 63 bytes) for each schema; the value is
//! the version, a borsh `u32`. Kind 2 and a schema's name hold how far a running migration of
//! that schema has got (the `migrate` module writes it). [`check`] reads them without writing
//! and says, per schema, whether it is new to this database, current, or older (a migration's job); a
//! format or schema newer than this binary supports is a typed error, [`VersionError`]. [`record`]
//! writes the versions of the schemas new to the database (their first use) in one commit.
//!
//! ```
//! use strata_core::versions::{self, SchemaState, VersionError};
//! use strata_core::{Column, MemoryDb, Schema};
//!
//! const NODE: Schema = Schema::new("node", &[]).with_version(2);
//! let db = MemoryDb::new([versions::VERSIONS]);
//! assert_eq!(versions::check(&db, &[NODE])?, [SchemaState::New]);
//! versions::record(&db, &[NODE])?;
//! assert_eq!(versions::check(&db, &[NODE])?, [SchemaState::Current]);
//!
//! // An older binary, which knows version 1 only, refuses the database.
//! let old = Schema::new("node", &[]);
//! assert!(matches!(
//!     versions::check(&db, &[old]),
//!     Err(VersionError::SchemaTooNew { found: 2, supported: 1, .. })
//! ));
//! # Ok::<(), VersionError>(())
//! ```

use borsh::{BorshDeserialize, BorshSerialize};

use crate::column::Column;
use crate::database::{Cursor, Database, Durability};
use crate::error::{Error, StorageError};
use crate::key::{AsKeyParts, FromKeyParts};
use crate::range::KeyRange;
use crate::schema::{ColumnDescriptor, Schema};
use crate::transaction::Transaction;
use crate::value::{BorshValue, DataType, Entry};

/// The column the versions are recorded in.
pub const VERSIONS: Column = Column::new("strata_versions");

/// The version of Strata's own on-disk format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The longest schema name whose version can be recorded, in bytes.
pub const MAX_SCHEMA_NAME: usize = 63;

crate::key! {
    /// One version record.
    pub struct VersionKey in VERSIONS {
        /// 0: Strata's format; 1: a schema.
        pub kind: u8,
        /// The schema's name, NUL-padded (empty for the format).
        pub name: [u8; MAX_SCHEMA_NAME],
    }
}

/// A recorded version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Version(pub u32);

impl BorshValue for Version {}

impl Entry for VersionKey {
    type Value<'a> = Version;
}

/// The version records' descriptor, for tools.
pub const SCHEMA: Schema = Schema::new("strata", &[ColumnDescriptor::of::<VersionKey>()]);

const FORMAT_KEY: VersionKey = VersionKey { kind: 0, name: [0; MAX_SCHEMA_NAME] };

/// What a database says about one schema, against this binary's version of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// The database has no record of it: its first use.
    New,
    /// Recorded at the binary's version.
    Current,
    /// Recorded at an older version: the schema's migrations bring it up to date.
    Older {
        /// The recorded version.
        found: u32,
    },
}

/// A database this binary must not use as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// A newer Strata wrote the database's format.
    #[error(
        "the database's format is version {found}, newer than this build supports ({supported}): \
         upgrade to a newer release to open it"
    )]
    FormatTooNew {
        /// The recorded format version.
        found: u32,
        /// The newest this build reads.
        supported: u32,
    },

    /// A newer version of a schema wrote the database.
    #[error(
        "schema `{schema}` in the database is version {found}, newer than this build supports \
         ({supported}): upgrade to a newer release to open it"
    )]
    SchemaTooNew {
        /// The schema's name.
        schema: String,
        /// The recorded version.
        found: u32,
        /// The version this build has.
        supported: u32,
    },

    /// A version record does not decode.
    #[error("the version record {key:?} holds {len} bytes, not a version")]
    BadRecord {
        /// The record's key.
        key: String,
        /// Its length.
        len: usize,
    },

    /// The database failed.
    #[error(transparent)]
    Storage(#[from] Error),
}

impl From<StorageError> for VersionError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error.into())
    }
}

/// The record key of the schema named `name` (longer names are cut at [`MAX_SCHEMA_NAME`]).
fn schema_key(name: &str) -> VersionKey {
    named_key(1, name)
}

/// The key of the record of how far a running migration of the schema named `name` has got
/// (kind 2), kept beside the versions so that it commits with them.
pub(crate) fn progress_key(name: &str) -> VersionKey {
    named_key(2, name)
}

/// How far a running migration step of one schema has got: the record each of its batches
/// commits (kind 2). While it exists the schema's data is at version `from`, whatever the
/// version record says (the version record moves to the step's end with its first batch, so
/// that a build that knows only `from` refuses the half-migrated database).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) struct Progress {
    /// The version the running step starts from.
    pub(crate) from: u32,
    /// A fingerprint of the step's changes: a build whose step differs does not resume it.
    pub(crate) fingerprint: [u8; 8],
    /// The index of the running change within the step.
    pub(crate) change: u32,
    /// The last source key done; `None` before the change's first batch.
    pub(crate) after: Option<Vec<u8>>,
}

impl Progress {
    /// Decodes the record of the schema named `schema`.
    pub(crate) fn decode(schema: &str, bytes: &[u8]) -> Result<Self, VersionError> {
        Self::try_from_slice(bytes).map_err(|_| VersionError::BadRecord {
            key: format!("migration progress of {schema}"),
            len: bytes.len(),
        })
    }

    /// The record's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }
}

fn read_progress<D: Database + ?Sized>(
    db: &D,
    schema: &str,
) -> Result<Option<Progress>, VersionError> {
    let key = progress_key(schema).as_key();
    db.get(VERSIONS, key.as_bytes())?.map(|bytes| Progress::decode(schema, &bytes)).transpose()
}

fn named_key(kind: u8, name: &str) -> VersionKey {
    let mut padded = [0; MAX_SCHEMA_NAME];
    let len = name.len().min(MAX_SCHEMA_NAME);
    padded[..len].copy_from_slice(&name.as_bytes()[..len]);
    VersionKey { kind, name: padded }
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<u32, VersionError> {
    Version::from_lent(bytes).map(|version| version.0).map_err(|_| VersionError::BadRecord {
        key: String::from_utf8_lossy(key).trim_end_matches('\0').to_owned(),
        len: bytes.len(),
    })
}

fn read<D: Database + ?Sized>(db: &D, key: &VersionKey) -> Result<Option<u32>, VersionError> {
    let key = key.as_key();
    db.get(VERSIONS, key.as_bytes())?.map(|bytes| decode(key.as_bytes(), &bytes)).transpose()
}

/// Checks the database's recorded versions against this build's, writing nothing: the state of
/// each of `schemas`, in order. A schema with a migration step running is `Older`, at the step's
/// start.
///
/// # Errors
///
/// [`VersionError::FormatTooNew`] or [`VersionError::SchemaTooNew`] when a newer build wrote the
/// database; the database failing.
pub fn check<D: Database + ?Sized>(
    db: &D,
    schemas: &[Schema],
) -> Result<Vec<SchemaState>, VersionError> {
    if let Some(found) = read(db, &FORMAT_KEY)?
        && found > FORMAT_VERSION
    {
        return Err(VersionError::FormatTooNew { found, supported: FORMAT_VERSION });
    }
    schemas
        .iter()
        .map(|schema| {
            Ok(match read(db, &schema_key(schema.name()))? {
                None => SchemaState::New,
                Some(found) if found > schema.version() => {
                    return Err(VersionError::SchemaTooNew {
                        schema: schema.name().to_owned(),
                        found,
                        supported: schema.version(),
                    });
                }
                Some(found) => match read_progress(db, schema.name())? {
                    // A step is running: the data is still at the step's start.
                    Some(progress) if progress.from < schema.version() => {
                        SchemaState::Older { found: progress.from }
                    }
                    Some(progress) => {
                        return Err(VersionError::BadRecord {
                            key: format!("migration progress of {}", schema.name()),
                            len: progress.encode().len(),
                        });
                    }
                    None if found < schema.version() => SchemaState::Older { found },
                    None => SchemaState::Current,
                },
            })
        })
        .collect()
}

/// Records the format version and the version of every schema of `schemas` new to the database,
/// in one synced commit; older and current records are left as they are (a migration moves them).
/// Checks first, so a newer database is refused before anything is written.
///
/// # Errors
///
/// As [`check`].
pub fn record<D: Database + ?Sized>(db: &D, schemas: &[Schema]) -> Result<(), VersionError> {
    let states = check(db, schemas)?;
    let mut transaction = Transaction::new();
    if read(db, &FORMAT_KEY)?.is_none() {
        transaction.put_entry(&FORMAT_KEY, &Version(FORMAT_VERSION)).map_err(Error::from)?;
    }
    for (schema, state) in schemas.iter().zip(states) {
        if state == SchemaState::New {
            transaction
                .put_entry(&schema_key(schema.name()), &Version(schema.version()))
                .map_err(Error::from)?;
        }
    }
    if !transaction.is_empty() {
        db.apply_durable(&transaction, Durability::Sync)?;
    }
    Ok(())
}

/// Sets the recorded version of `schema` in `transaction` (how a migration moves it, in the
/// commits of its step).
///
/// # Errors
///
/// The version failing to encode (it does not).
pub fn stage_schema_version(
    transaction: &mut Transaction,
    schema: &str,
    version: u32,
) -> Result<(), VersionError> {
    transaction.put_entry(&schema_key(schema), &Version(version)).map_err(Error::from)?;
    Ok(())
}

/// What a database records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The format's version (`None` when unrecorded).
    pub format: Option<u32>,
    /// Each schema's version, by name: the version its data is at (while a migration step runs,
    /// the step's start).
    pub schemas: Vec<(String, u32)>,
    /// The schemas with a migration step running, by name, with the version the step brings
    /// them to.
    pub migrating: Vec<(String, u32)>,
}

/// Every recorded version: the format's and each schema's, by name.
///
/// # Errors
///
/// The database failing, or a record that does not decode.
pub fn recorded<D: Database + ?Sized>(db: &D) -> Result<Recorded, VersionError> {
    let format = read(db, &FORMAT_KEY)?;
    let range = KeyRange::prefix(&[1]);
    let mut cursor = db.cursor(VERSIONS, &range)?;
    cursor.seek_to_first();
    let (mut schemas, mut migrating) = (Vec::new(), Vec::new());
    while let Some((key, value)) = cursor.item() {
        let record = VersionKey::from_bytes(key).map_err(Error::from)?;
        let end = record.name.iter().position(|&b| b == 0).unwrap_or(MAX_SCHEMA_NAME);
        let name = String::from_utf8_lossy(&record.name[..end]).into_owned();
        let version = decode(key, value)?;
        // The record is at a running step's end; the data is at its start.
        match read_progress(db, &name)? {
            Some(progress) => {
                migrating.push((name.clone(), version));
                schemas.push((name, progress.from));
            }
            None => schemas.push((name, version)),
        }
        cursor.next();
    }
    cursor.status()?;
    Ok(Recorded { format, schemas, migrating })
}
