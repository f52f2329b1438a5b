//! Migrations: bringing a database written by an older version of a schema up to this build's.
//!
//! A schema declares, with `Schema::with_migrations`, one [`Step`] per version it has moved past
//! (`1 → 2`, `2 → 3`, …), each an ordered list of [`Change`]s: add, drop or rename a column,
//! transform values, re-lay keys. A [`Migrator`] finds every schema the database records at an
//! older version ([`versions`]) and runs its missing steps in order.
//!
//! The rules that make a migration safe to kill (`docs/design.md` has the full account):
//!
//! - Every change runs in bounded batches ([`Migrator::batch_keys`], [`Migrator::batch_bytes`]).
//!   A batch is one atomic commit holding its writes **and** the record of how far the change
//!   has got (the last key done), so a migration killed at any moment resumes after the last
//!   batch it committed and ends exactly as an uninterrupted one would.
//! - A schema's recorded version moves to the step's `to` with the step's first batch, so that
//!   the build the database is migrated from refuses it from then on; while the progress record
//!   exists this build reads the schema as still at the step's start. The batch that completes
//!   the step removes the record and is made durable with [`Durability::Sync`].
//! - Before writing anything, the migrator checks that there is a step from every version it
//!   needs, that no step touches the versions or another schema's columns, that the database
//!   was opened with every column the steps name, and that no move goes into a column that will
//!   hold data.
//! - [`Migrator::dry_run`] runs the same steps into a [`Temporal`] buffer over the database and
//!   throws it away: it reports what each change would read, write and delete (later steps see
//!   earlier ones' results) and writes nothing. The buffer holds every change in memory.
//!
//! ```
//! use strata_core::migrate::{Change, Migrator, Step};
//! use strata_core::{versions, Column, Database, MemoryDb, Schema};
//!
//! const PRICES: Column = Column::new("prices");
//!
//! // Version 2 stores prices in cents (a little-endian u64) where version 1 stored whole units.
//! fn to_cents(_key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, strata_core::error::BoxError> {
//!     let units = u64::from_le_bytes(value.try_into()?);
//!     Ok(Some((units * 100).to_le_bytes().to_vec()))
//! }
//! const STEPS: &[Step] = &[Step::new(1, "prices in cents", &[
//!     Change::TransformValues { column: PRICES, transform: to_cents },
//! ])];
//! const V1: Schema = Schema::new("shop", &[]);
//! const V2: Schema = Schema::new("shop", &[]).with_version(2).with_migrations(STEPS);
//!
//! let db = MemoryDb::new([PRICES, versions::VERSIONS]);
//! versions::record(&db, &[V1])?; // written by version 1
//! db.put(PRICES, b"tea", &3_u64.to_le_bytes())?;
//!
//! let reports = Migrator::new(&[V2]).run(&db)?;
//! assert_eq!(reports[0].changes[0].written, 1);
//! assert_eq!(db.get(PRICES, b"tea")?.unwrap(), 300_u64.to_le_bytes()[..]);
//! assert_eq!(versions::check(&db, &[V2])?, [versions::SchemaState::Current]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dry;
pub mod step;

use self::dry::Padded;
pub use self::step::{Change, KeyRelay, Relaid, Step, ValueTransform};
use crate::column::Column;
use crate::database::{Cursor, Database, Durability};
use crate::error::{BoxError, Error, StorageError, StorageResult};
use crate::key::AsKeyParts;
use crate::layer::{ReadLayer, Temporal, WriteLayer};
use crate::range::{KeyRange, successor};
use crate::schema::Schema;
use crate::store::Store;
use crate::transaction::Transaction;
use crate::versions::{self, SchemaState, VERSIONS, VersionError};

/// Entries per batch unless set with [`Migrator::batch_keys`].
pub const DEFAULT_BATCH_KEYS: usize = 10_000;
/// Bytes read per batch (keys and values) unless set with [`Migrator::batch_bytes`].
pub const DEFAULT_BATCH_BYTES: usize = 16 << 20;

/// A migration that cannot run, or that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The database's versions are unreadable or newer than this build.
    #[error(transparent)]
    Version(#[from] VersionError),

    /// The schema has no step from a version the database is at.
    #[error(
        "schema `{schema}` has no migration step from version {from} (the database is at \
         {found}, this build at {to}); this build cannot migrate it"
    )]
    NoStep {
        /// The schema.
        schema: &'static str,
        /// The version no step starts from.
        from: u32,
        /// The version the database records.
        found: u32,
        /// This build's version of the schema.
        to: u32,
    },

    /// The schema's steps are declared wrongly.
    #[error("schema `{schema}`'s migration step from version {from} is invalid: {reason}")]
    InvalidStep {
        /// The schema.
        schema: &'static str,
        /// The step's starting version.
        from: u32,
        /// What is wrong.
        reason: String,
    },

    /// A column the migration needs is not open.
    #[error(
        "migrating schema `{schema}` needs column `{column}`, which the database was not opened \
         with (open it with the schema's `migration_columns()` too)"
    )]
    ColumnNotOpen {
        /// The schema.
        schema: &'static str,
        /// The column.
        column: &'static str,
    },

    /// Entries would move into a column that already holds data.
    #[error(
        "migrating schema `{schema}` would move entries into column `{column}`, which already \
         holds data; nothing was moved"
    )]
    DestinationNotEmpty {
        /// The schema.
        schema: &'static str,
        /// The column.
        column: &'static str,
    },

    /// Two entries were re-laid to the same key.
    #[error(
        "migrating schema `{schema}` re-lays two entries of `{from}` to the same key {key} of \
         `{to}`; the batch was not written"
    )]
    Collision {
        /// The schema.
        schema: &'static str,
        /// The column re-laid.
        from: &'static str,
        /// The column written.
        to: &'static str,
        /// The key, in hex.
        key: String,
    },

    /// A step's transform or re-lay failed on an entry.
    #[error(
        "schema `{schema}`'s step {from} → {} failed on key {key} of `{column}`; the batch was \
         not written",
        from + 1
    )]
    Change {
        /// The schema.
        schema: &'static str,
        /// The step's starting version.
        from: u32,
        /// The column read.
        column: &'static str,
        /// The entry's key, in hex.
        key: String,
        /// What the function reported.
        #[source]
        source: BoxError,
    },

    /// The record of a running migration does not fit this build's steps.
    #[error(
        "the database records a migration of schema `{schema}` at step {from}, change {change}, \
         which this build does not have"
    )]
    UnknownProgress {
        /// The schema.
        schema: &'static str,
        /// The recorded step.
        from: u32,
        /// The recorded change.
        change: u32,
    },

    /// The database failed.
    #[error(transparent)]
    Storage(#[from] Error),
}

impl From<StorageError> for MigrateError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error.into())
    }
}

/// A schema the database records at an older version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The schema's name.
    pub schema: &'static str,
    /// The version recorded.
    pub from: u32,
    /// This build's version.
    pub to: u32,
    /// Whether a migration of it was started and stopped part-way (it resumes).
    pub resuming: bool,
}

/// Where a migration is, for a progress display.
#[derive(Debug)]
pub struct Progress<'a> {
    /// The schema being migrated.
    pub schema: &'static str,
    /// The step running.
    pub step: &'a Step,
    /// The index of the change running within the step.
    pub change: usize,
    /// Entries of the change's column done by this run so far.
    pub done: u64,
    /// Entries the change had left to do when this run started it.
    pub total: u64,
}

/// What one change did (or, in a dry run, would do) in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    /// The change, in words.
    pub change: String,
    /// The column read.
    pub column: &'static str,
    /// Entries read.
    pub read: u64,
    /// Entries written (rewritten in place or moved to another column).
    pub written: u64,
    /// Entries deleted without a replacement in the same column.
    pub deleted: u64,
    /// Commits made.
    pub batches: u64,
    /// Whether the change resumed where an earlier run stopped (its counts are this run's).
    pub resumed: bool,
}

/// What one step did (or would do) in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The schema.
    pub schema: &'static str,
    /// The version the step starts from.
    pub from: u32,
    /// The version it ends at.
    pub to: u32,
    /// What the step is for.
    pub description: &'static str,
    /// Each change run by this run, in order (a resumed step lists the changes from where it
    /// resumed).
    pub changes: Vec<ChangeReport>,
}

/// Where a migration's batches go: the database itself, or a buffer over it for a dry run.
trait Target: ReadLayer {
    fn commit(&mut self, transaction: &Transaction, durability: Durability) -> StorageResult<()>;
}

impl<D: Database> Target for Store<D> {
    fn commit(&mut self, transaction: &Transaction, durability: Durability) -> StorageResult<()> {
        self.db().apply_durable(transaction, durability)
    }
}

impl<L: ReadLayer> Target for Temporal<L> {
    fn commit(&mut self, transaction: &Transaction, _: Durability) -> StorageResult<()> {
        WriteLayer::apply(self, transaction)
    }
}

/// A progress observer.
type Observer<'a> = Box<dyn FnMut(&Progress<'_>) + 'a>;

/// Runs the missing migration steps of a set of schemas.
///
/// See the [module documentation](self) for the rules and an example.
pub struct Migrator<'a> {
    schemas: &'a [Schema],
    batch_keys: usize,
    batch_bytes: usize,
    observer: Option<Observer<'a>>,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("schemas", &self.schemas.iter().map(Schema::name).collect::<Vec<_>>())
            .field("batch_keys", &self.batch_keys)
            .field("batch_bytes", &self.batch_bytes)
            .finish_non_exhaustive()
    }
}

impl<'a> Migrator<'a> {
    /// A migrator for `schemas`, at this build's versions.
    pub fn new(schemas: &'a [Schema]) -> Self {
        Self {
            schemas,
            batch_keys: DEFAULT_BATCH_KEYS,
            batch_bytes: DEFAULT_BATCH_BYTES,
            observer: None,
        }
    }

    /// At most `keys` entries per batch (at least 1).
    #[must_use]
    pub fn batch_keys(mut self, keys: usize) -> Self {
        self.batch_keys = keys.max(1);
        self
    }

    /// A batch ends once it has read `bytes` of keys and values (it holds at least one entry).
    #[must_use]
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// Calls `observe` after every batch. With an observer, each change first counts the
    /// entries it has left (one extra read of its column), so that [`Progress::total`] is exact.
    #[must_use]
    pub fn on_progress(mut self, observe: impl FnMut(&Progress<'_>) + 'a) -> Self {
        self.observer = Some(Box::new(observe));
        self
    }

    /// The schemas `db` records at an older version, in the order given to [`Migrator::new`].
    ///
    /// # Errors
    ///
    /// The database's versions being unreadable or newer than this build's.
    pub fn pending<D: Database>(&self, db: &D) -> Result<Vec<Pending>, MigrateError> {
        let states = versions::check(db, self.schemas)?;
        let mut pending = Vec::new();
        for (schema, state) in self.schemas.iter().zip(states) {
            if let SchemaState::Older { found } = state {
                let key = versions::progress_key(schema.name()).as_key();
                pending.push(Pending {
                    schema: schema.name(),
                    from: found,
                    to: schema.version(),
                    resuming: db.has(VERSIONS, key.as_bytes())?,
                });
            }
        }
        Ok(pending)
    }

    /// Runs every missing step of every schema, in order, committing as it goes. Returns what
    /// each step did in this run; nothing when every schema is current.
    ///
    /// # Errors
    ///
    /// See [`MigrateError`]. Checks fail before anything is written; a step that fails part-way
    /// leaves its committed batches and its progress, and the next run resumes there.
    pub fn run<D: Database>(&mut self, db: &D) -> Result<Vec<StepReport>, MigrateError> {
        let plan = self.plan(db)?;
        self.execute(&plan, &mut Store::new(db))
    }

    /// Reports what [`Migrator::run`] would do, writing nothing: the steps run into a
    /// [`Temporal`] buffer over `db`, which is then dropped. Works on a read-only database: a
    /// column the steps name that `db` was not opened with reads as empty (a column the
    /// migration would create).
    ///
    /// # Errors
    ///
    /// As [`Migrator::run`]; nothing is ever written.
    pub fn dry_run<D: Database>(&mut self, db: &D) -> Result<Vec<StepReport>, MigrateError> {
        // Columns a step would create may be missing (a read-only open cannot create them):
        // they read as empty.
        let named = self
            .schemas
            .iter()
            .flat_map(|schema| schema.migrations().iter().flat_map(Step::changes))
            .flat_map(|change| [Some(change.source()), change.destination()])
            .flatten();
        let padded = Padded::new(db, named)?;
        let plan = self.plan(&padded)?;
        self.execute(&plan, &mut Temporal::new(Store::new(&padded)))
    }

    /// The schemas `db` records at an older version, after checking that each has a step from
    /// every version it needs, declared once, none moving a column onto itself. Reads only the
    /// versions: run it on a read-only open to refuse a database this build cannot migrate
    /// before anything is written.
    ///
    /// # Errors
    ///
    /// [`MigrateError::NoStep`], [`MigrateError::InvalidStep`], or the versions' own errors.
    pub fn check<D: Database>(&self, db: &D) -> Result<Vec<Pending>, MigrateError> {
        self.steps(db)?;
        self.pending(db)
    }

    /// The steps to run, in order, each checked as [`Migrator::check`] says.
    fn steps<D: Database>(&self, db: &D) -> Result<Vec<(&'static str, Step)>, MigrateError> {
        let mut plan = Vec::new();
        for pending in self.pending(db)? {
            let Some(schema) = self.schemas.iter().find(|s| s.name() == pending.schema) else {
                continue;
            };
            for from in pending.from..pending.to {
                let mut steps = schema.migrations().iter().filter(|step| step.from() == from);
                let step = *steps.next().ok_or(MigrateError::NoStep {
                    schema: schema.name(),
                    from,
                    found: pending.from,
                    to: pending.to,
                })?;
                let invalid = |reason: &str| MigrateError::InvalidStep {
                    schema: schema.name(),
                    from,
                    reason: reason.to_owned(),
                };
                if steps.next().is_some() {
                    return Err(invalid("it is declared twice"));
                }
                for change in step.changes() {
                    if change.destination().is_some_and(|to| to == change.source()) {
                        return Err(invalid(&format!(
                            "{} moves a column onto itself",
                            change.describe()
                        )));
                    }
                    for column in
                        [Some(change.source()), change.destination()].into_iter().flatten()
                    {
                        if column == VERSIONS {
                            return Err(invalid(&format!(
                                "{} touches the versions column",
                                change.describe()
                            )));
                        }
                        if let Some(other) = self.schemas.iter().find(|other| {
                            other.name() != schema.name() && other.column(column.name()).is_some()
                        }) {
                            return Err(invalid(&format!(
                                "{} touches a column of schema `{}`",
                                change.describe(),
                                other.name()
                            )));
                        }
                    }
                }
                plan.push((schema.name(), step));
            }
        }
        Ok(plan)
    }

    /// The steps to run, in order, after [`Migrator::check`]'s checks and checking that every
    /// column they name is open.
    ///
    /// Also refuses, before anything is written, a move into a column that will hold data when
    /// the move starts: one holding data now that no earlier change of the plan empties, or one
    /// an earlier change fills. (A column an earlier transform may have emptied is checked again
    /// when the move starts.)
    fn plan<D: Database>(&self, db: &D) -> Result<Vec<(&'static str, Step)>, MigrateError> {
        let plan = self.steps(db)?;
        let mut filled: Vec<(Column, Filled)> = Vec::new();
        for (schema, step) in &plan {
            let key = versions::progress_key(schema).as_key();
            let resume = match db.get(VERSIONS, key.as_bytes())? {
                Some(bytes) => Some(versions::Progress::decode(schema, &bytes)?),
                None => None,
            };
            for (index, change) in step.changes().iter().enumerate() {
                for column in [Some(change.source()), change.destination()].into_iter().flatten() {
                    if filled.iter().any(|(c, _)| *c == column) {
                        continue;
                    }
                    let state = match is_empty(&Store::new(db), column) {
                        Ok(true) => Filled::Empty,
                        Ok(false) => Filled::Full,
                        Err(StorageError::UnknownColumn(_)) => {
                            return Err(MigrateError::ColumnNotOpen {
                                schema,
                                column: column.name(),
                            });
                        }
                        Err(error) => return Err(error.into()),
                    };
                    filled.push((column, state));
                }
                // A change already started (the one a progress record names, past its first
                // batch) was checked when it started: its destination holds its own entries.
                let started = resume.as_ref().is_some_and(|record| {
                    record.from == step.from()
                        && (record.change as usize > index
                            || (record.change as usize == index && record.after.is_some()))
                });
                match *change {
                    Change::AddColumn(_) => {}
                    Change::DropColumn(column) => set(&mut filled, column, Filled::Empty),
                    Change::TransformValues { column, .. } => {
                        if state(&filled, column) == Filled::Full {
                            set(&mut filled, column, Filled::Maybe);
                        }
                    }
                    Change::RenameColumn { from, to } | Change::RelayKeys { from, to, .. } => {
                        let moved = match (change, state(&filled, from)) {
                            // A re-lay may drop every entry.
                            (Change::RelayKeys { .. }, Filled::Full) => Filled::Maybe,
                            (_, moved) => moved,
                        };
                        let before = state(&filled, to);
                        if before == Filled::Full && !started {
                            return Err(MigrateError::DestinationNotEmpty {
                                schema,
                                column: to.name(),
                            });
                        }
                        set(&mut filled, from, Filled::Empty);
                        set(&mut filled, to, before.then(moved));
                    }
                }
            }
        }
        Ok(plan)
    }

    fn execute<T: Target>(
        &mut self,
        plan: &[(&'static str, Step)],
        target: &mut T,
    ) -> Result<Vec<StepReport>, MigrateError> {
        let mut reports = Vec::new();
        for (schema, step) in plan {
            let key = versions::progress_key(schema).as_key();
            let resume = match target.get(VERSIONS, key.as_bytes())? {
                None => None,
                Some(bytes) => Some(versions::Progress::decode(schema, &bytes)?),
            };
            let (first, mut after) = match resume {
                None => (0, None),
                Some(record)
                    if record.from == step.from()
                        && record.fingerprint == fingerprint(step)
                        && (record.change as usize) < step.changes().len().max(1) =>
                {
                    (record.change as usize, record.after)
                }
                Some(record) => {
                    return Err(MigrateError::UnknownProgress {
                        schema,
                        from: record.from,
                        change: record.change,
                    });
                }
            };
            let mut report = StepReport {
                schema,
                from: step.from(),
                to: step.to(),
                description: step.description(),
                changes: Vec::new(),
            };
            if step.changes().is_empty() {
                let mut transaction = Transaction::new();
                finish_step(&mut transaction, schema, step)?;
                target.commit(&transaction, Durability::Sync)?;
            }
            for index in first..step.changes().len() {
                let resumed = index == first && after.is_some();
                let change = self.run_change(target, schema, step, index, after.take(), resumed)?;
                report.changes.push(change);
            }
            reports.push(report);
        }
        Ok(reports)
    }

    /// Runs change `index` of `step` from after `after` to its end, batch by batch.
    fn run_change<T: Target>(
        &mut self,
        target: &mut T,
        schema: &'static str,
        step: &Step,
        index: usize,
        mut after: Option<Vec<u8>>,
        resumed: bool,
    ) -> Result<ChangeReport, MigrateError> {
        let change = step.changes()[index];
        let source = change.source();
        let mut report = ChangeReport {
            change: change.describe(),
            column: source.name(),
            read: 0,
            written: 0,
            deleted: 0,
            batches: 0,
            resumed,
        };
        if after.is_none()
            && let Some(to) = change.destination()
            && !is_empty(target, to)?
        {
            return Err(MigrateError::DestinationNotEmpty { schema, column: to.name() });
        }
        let adds = matches!(change, Change::AddColumn(_));
        let total = match &self.observer {
            Some(_) if !adds => count(target, source, after.as_deref())?,
            _ => 0,
        };
        let progress_key = versions::progress_key(schema).as_key();
        let mut transaction = Transaction::new();
        loop {
            transaction.clear();
            let mut last: Option<Vec<u8>> = None;
            let exhausted = if adds {
                true
            } else {
                let range = after
                    .as_deref()
                    .map_or_else(KeyRange::all, |key| KeyRange::new(successor(key), None));
                let mut cursor = target.cursor(source, &range)?;
                cursor.seek_to_first();
                let (mut keys, mut bytes) = (0, 0);
                loop {
                    let Some((key, value)) = cursor.item() else {
                        cursor.status()?;
                        break true;
                    };
                    if keys == self.batch_keys || bytes >= self.batch_bytes {
                        break false;
                    }
                    apply(
                        &change,
                        target,
                        &mut transaction,
                        &mut report,
                        schema,
                        step,
                        key,
                        value,
                    )?;
                    keys += 1;
                    bytes += key.len() + value.len();
                    let last = last.get_or_insert_with(Vec::new);
                    last.clear();
                    last.extend_from_slice(key);
                    cursor.next();
                }
            };
            let durability = if exhausted && index + 1 == step.changes().len() {
                finish_step(&mut transaction, schema, step)?;
                Durability::Sync
            } else {
                let (change, after) =
                    if exhausted { (index + 1, None) } else { (index, last.clone()) };
                let record = versions::Progress {
                    from: step.from(),
                    fingerprint: fingerprint(step),
                    change: u32::try_from(change).unwrap_or(u32::MAX),
                    after,
                };
                transaction.put(VERSIONS, progress_key.as_bytes(), record.encode());
                // The version moves with the step's first batch: a build that knows only the
                // step's start refuses the database from then on; this one reads the progress.
                versions::stage_schema_version(&mut transaction, schema, step.to())?;
                Durability::Wal
            };
            target.commit(&transaction, durability)?;
            report.batches += 1;
            if last.is_some() {
                after = last;
            }
            if let Some(observe) = &mut self.observer {
                observe(&Progress { schema, step, change: index, done: report.read, total });
            }
            if exhausted {
                return Ok(report);
            }
        }
    }
}

/// Buffers `change`'s writes for one entry.
#[expect(clippy::too_many_arguments, reason = "one entry's whole context, called from one place")]
fn apply<T: Target>(
    change: &Change,
    target: &T,
    transaction: &mut Transaction,
    report: &mut ChangeReport,
    schema: &'static str,
    step: &Step,
    key: &[u8],
    value: &[u8],
) -> Result<(), MigrateError> {
    let failed = |source: BoxError| MigrateError::Change {
        schema,
        from: step.from(),
        column: change.source().name(),
        key: hex::encode(key),
        source,
    };
    report.read += 1;
    match *change {
        Change::AddColumn(_) => {}
        Change::DropColumn(column) => {
            transaction.delete(column, key);
            report.deleted += 1;
        }
        Change::RenameColumn { from, to } => {
            transaction.put(to, key, value);
            transaction.delete(from, key);
            report.written += 1;
        }
        Change::TransformValues { column, transform } => {
            if let Some(new) = transform(key, value).map_err(failed)? {
                transaction.put(column, key, new);
                report.written += 1;
            } else {
                transaction.delete(column, key);
                report.deleted += 1;
            }
        }
        Change::RelayKeys { from, to, relay } => {
            transaction.delete(from, key);
            match relay(key, value).map_err(failed)? {
                Some((new_key, new_value)) => {
                    if transaction.get(to, &new_key).is_some() || target.has(to, &new_key)? {
                        return Err(MigrateError::Collision {
                            schema,
                            from: from.name(),
                            to: to.name(),
                            key: hex::encode(&new_key),
                        });
                    }
                    transaction.put(to, new_key, new_value);
                    report.written += 1;
                }
                None => report.deleted += 1,
            }
        }
    }
    Ok(())
}

/// Whether a column holds data at a point of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filled {
    Empty,
    Full,
    /// A transform ran over it: it may have deleted every entry.
    Maybe,
}

impl Filled {
    /// A column in this state after entries in state `moved` are moved into it.
    fn then(self, moved: Self) -> Self {
        match (self, moved) {
            (Self::Full, _) | (_, Self::Full) => Self::Full,
            (Self::Empty, Self::Empty) => Self::Empty,
            _ => Self::Maybe,
        }
    }
}

/// The state of `column` in a plan's `filled` list.
fn state(filled: &[(Column, Filled)], column: Column) -> Filled {
    filled.iter().find(|(c, _)| *c == column).map_or(Filled::Empty, |(_, state)| *state)
}

/// Sets the state of `column` in a plan's `filled` list.
fn set(filled: &mut [(Column, Filled)], column: Column, to: Filled) {
    if let Some((_, state)) = filled.iter_mut().find(|(c, _)| *c == column) {
        *state = to;
    }
}

/// A fingerprint of `step`'s changes, recorded with its progress: a build whose step from the same
/// version does something else does not resume another build's half-done step.
fn fingerprint(step: &Step) -> [u8; 8] {
    let mut hasher = blake3::Hasher::new();
    for change in step.changes() {
        hasher.update(change.describe().as_bytes());
        hasher.update(&[0]);
    }
    let mut print = [0; 8];
    print.copy_from_slice(&hasher.finalize().as_bytes()[..8]);
    print
}

/// Adds the end of `step` to `transaction`: the schema's new version, and no progress record.
fn finish_step(
    transaction: &mut Transaction,
    schema: &str,
    step: &Step,
) -> Result<(), MigrateError> {
    transaction.delete(VERSIONS, versions::progress_key(schema).as_key().as_bytes());
    versions::stage_schema_version(transaction, schema, step.to())?;
    Ok(())
}

fn is_empty<T: ReadLayer>(target: &T, column: Column) -> StorageResult<bool> {
    let mut cursor = target.cursor(column, &KeyRange::all())?;
    cursor.seek_to_first();
    let empty = cursor.key().is_none();
    cursor.status()?;
    Ok(empty)
}

/// The entries of `column` after `after`.
fn count<T: ReadLayer>(target: &T, column: Column, after: Option<&[u8]>) -> StorageResult<u64> {
    let range = after.map_or_else(KeyRange::all, |key| KeyRange::new(successor(key), None));
    let mut cursor = target.cursor(column, &range)?;
    cursor.seek_to_first();
    let mut entries = 0;
    while cursor.key().is_some() {
        entries += 1;
        cursor.next();
    }
    cursor.status()?;
    Ok(entries)
}
