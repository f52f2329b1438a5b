//! [`RocksDb`]: the RocksDB implementation of [`Database`].

use std::collections::BTreeSet;
use std::path::Path;

use self_cell::self_cell;

use rocksdb::checkpoint::Checkpoint;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, Options,
    ReadOptions, SliceTransform, WriteBatch, WriteOptions,
};
use strata_core::migrate::{Change, Migrator, Step};
use strata_core::versions::{self, VERSIONS};
use strata_core::{
    Column, Database, KeyRange, Op, Schema, Slice, StorageError, StorageResult as Result,
    Transaction,
};

use crate::config::{Compression, Durability, PrefixChange, RocksConfig};
use crate::cursor::RocksCursor;
use crate::error::{OpenError, classify};
use crate::read_options::point_read_options;

/// Where Strata records its own metadata: RocksDB's `default` column family, which applications
/// cannot declare.
const META_CF: &str = rocksdb::DEFAULT_COLUMN_FAMILY_NAME;
/// The on-disk format this version writes.
const FORMAT_KEY: &[u8] = b"strata/format";
const FORMAT: &[u8] = b"1";
/// Prefix of the records of each column's prefix length.
const COLUMN_KEY: &str = "strata/column/";

/// A Strata database stored in RocksDB, one column family per column.
///
/// ```
/// use strata_core::{Column, Database};
/// use strata_rocksdb::{RocksConfig, RocksDb};
///
/// const NOTES: Column = Column::new("notes");
/// let dir = tempfile::tempdir()?;
/// let db = RocksDb::open(&RocksConfig::new(dir.path()), &[NOTES])?;
/// db.put(NOTES, b"k", b"v")?;
/// assert_eq!(db.get(NOTES, b"k")?.unwrap(), b"v"[..]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RocksDb {
    opened: Opened,
    undeclared: Vec<String>,
    write_options: WriteOptions,
    /// For commits that ask for [`Durability::Sync`] whatever the database's default.
    synced: WriteOptions,
    /// Built once for every `get` and `get_many`: creating read options is a round trip
    /// through RocksDB's allocator that costs a few percent of a cached point read.
    point_reads: ReadOptions,
}

/// The declared columns' family handles, sorted by column, resolved once at open.
type Families<'db> = Vec<(Column, &'db ColumnFamily)>;

self_cell!(
    /// The RocksDB handle together with handles that borrow from it, so that every call finds its
    /// column family with one short scan instead of a set lookup and a lookup by name.
    struct Opened {
        owner: DB,

        #[covariant]
        dependent: Families,
    }
);

impl std::fmt::Debug for RocksDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDb")
            .field("path", &self.db().path())
            .field("declared", &self.columns())
            .field("undeclared", &self.undeclared)
            .finish_non_exhaustive()
    }
}

impl RocksDb {
    /// Opens (or creates) the database in `config.path()` with the application's `columns`.
    ///
    /// Declared columns missing on disk are created. Column families on disk that are not
    /// declared are opened and kept — never dropped — and listed by
    /// [`RocksDb::undeclared_columns`]; they are not readable through this handle.
    pub fn open(config: &RocksConfig, columns: &[Column]) -> Result<Self, OpenError> {
        Self::open_retiring(config, columns, &[])
    }

    /// [`RocksDb::open`], removing the undeclared families named in `retire` that are empty:
    /// columns that completed migrations emptied for good.
    fn open_retiring(
        config: &RocksConfig,
        columns: &[Column],
        retire: &[&str],
    ) -> Result<Self, OpenError> {
        let path = config.path();
        let mut declared = BTreeSet::new();
        for column in columns {
            if !declared.insert(*column) {
                return Err(OpenError::DuplicateColumn(column.name().to_owned()));
            }
        }
        check_directory(config)?;

        let on_disk = existing_column_families(path)?;
        let cache = Cache::new_lru_cache(config.block_cache_bytes);
        let (mut descriptors, undeclared) = descriptors(config, &cache, &declared, on_disk);
        // Families on disk that are not declared are opened too (RocksDB requires it) and kept.
        for name in &undeclared {
            descriptors.push(ColumnFamilyDescriptor::new(
                name,
                column_options(config, Some(&cache), None),
            ));
        }
        let mut db = DB::open_cf_descriptors(&db_options(config), path, descriptors)
            .map_err(|e| OpenError::from_rocks(path.to_path_buf(), e))?;
        let mut undeclared = undeclared;
        if !retire.is_empty() {
            let rocks = |e| OpenError::from_rocks(path.to_path_buf(), e);
            for name in retire {
                let Some(cf) = db.cf_handle(name) else { continue };
                if db.iterator_cf(cf, rocksdb::IteratorMode::Start).next().is_some() {
                    continue; // Written since: kept, and listed as undeclared.
                }
                // The registry's record first, synced: a crash before the family is dropped
                // leaves a family without a record (recorded again if it is ever declared),
                // never a record of a family that is gone.
                if let Some(meta) = db.cf_handle(META_CF) {
                    let mut synced = WriteOptions::default();
                    synced.set_sync(true);
                    db.delete_cf_opt(meta, format!("{COLUMN_KEY}{name}"), &synced)
                        .map_err(rocks)?;
                }
                db.drop_cf(name).map_err(rocks)?;
                undeclared.retain(|n| n != name);
            }
        }
        let mut write_options = WriteOptions::default();
        write_options.set_sync(config.durability == Durability::Sync);
        let this = Self::wrap(db, &declared, undeclared, write_options);
        this.check_and_record_registry(config)?;
        Ok(this)
    }

    /// The handle over an opened `db` whose `declared` columns are readable.
    fn wrap(
        db: DB,
        declared: &BTreeSet<Column>,
        undeclared: Vec<String>,
        write_options: WriteOptions,
    ) -> Self {
        let opened = Opened::new(db, |db| {
            declared
                .iter()
                .filter_map(|column| Some((*column, db.cf_handle(column.name())?)))
                .collect()
        });
        let mut synced = WriteOptions::default();
        synced.set_sync(true);
        Self { opened, undeclared, write_options, synced, point_reads: point_read_options() }
    }

    /// Opens an existing database with every column recorded in it, with the prefix lengths
    /// recorded on disk: how tools inspect a database without knowing its schema.
    ///
    /// Column names read from disk live as long as the process (they are leaked once per open).
    pub fn open_existing(config: &RocksConfig) -> Result<Self, OpenError> {
        let config = config.clone().create_if_missing(false).prefix_change(PrefixChange::Refuse);
        check_directory(&config)?;
        let names = existing_column_families(config.path())?;
        if names.is_empty() {
            return Err(OpenError::Missing { path: config.path().to_path_buf() });
        }
        // Read the registry with a plain open first, so columns get their recorded options.
        let registry = {
            let probe = Self::open(&config.clone().prefix_change(PrefixChange::Accept), &[])?;
            probe.recorded_columns().map_err(|e| OpenError::Incompatible {
                path: config.path().to_path_buf(),
                reason: e.to_string(),
            })?
        };
        let columns: Vec<Column> = names
            .iter()
            .filter(|name| name.as_str() != META_CF && strata_core::column::is_valid_name(name))
            .map(|name| {
                let name: &'static str = Box::leak(name.clone().into_boxed_str());
                let prefix = registry.iter().find(|(n, _)| n == name).and_then(|(_, p)| *p);
                prefix.map_or(Column::new(name), |len| Column::new(name).with_prefix_len(len))
            })
            .collect();
        Self::open(&config, &columns)
    }

    /// Opens an existing database for reading only, with the application's `columns` (those on
    /// disk; a declared column the database lacks reads as an unknown column). Nothing in the
    /// directory is written — RocksDB's info log goes to the system's temporary directory — and
    /// every write fails. Works whatever versions the database records.
    pub fn open_read_only(config: &RocksConfig, columns: &[Column]) -> Result<Self, OpenError> {
        let path = config.path();
        check_directory(&config.clone().create_if_missing(false))?;
        let on_disk = existing_column_families(path)?;
        if on_disk.is_empty() {
            return Err(OpenError::Missing { path: path.to_path_buf() });
        }
        let declared: BTreeSet<Column> =
            columns.iter().copied().filter(|c| on_disk.iter().any(|n| n == c.name())).collect();
        // Read-only, RocksDB opens just the families asked for.
        let cache = Cache::new_lru_cache(config.block_cache_bytes);
        let (descriptors, undeclared) = descriptors(config, &cache, &declared, on_disk);
        let mut options = db_options(config);
        options.create_if_missing(false);
        options.create_missing_column_families(false);
        // RocksDB writes (and rotates) its info log even read-only: keep it out of the database.
        options.set_db_log_dir(std::env::temp_dir().join("strata-read-only-logs"));
        let db = DB::open_cf_descriptors_read_only(&options, path, descriptors, false)
            .map_err(|e| OpenError::from_rocks(path.to_path_buf(), e))?;
        Ok(Self::wrap(db, &declared, undeclared, WriteOptions::default()))
    }

    /// Opens (or creates) the database with the columns of `schemas` (and `columns` besides, and
    /// [`VERSIONS`]), checking the versions it records first: a database written by a newer
    /// format or schema is refused with [`OpenError::Version`] before anything is written (the
    /// check reads through [`RocksDb::open_read_only`]).
    ///
    /// A schema recorded at an older version is migrated: its missing steps run in order
    /// (`strata_core::migrate`), the database opened with the columns they name as well, and the
    /// column families they leave empty for good (dropped columns, the sources of renames and
    /// re-lays) are removed once no one declares them. A migration that fails is
    /// [`OpenError::Migration`]; what it committed stays, and the next open resumes it. Schemas
    /// new to the database have their versions recorded. A database this build cannot migrate (no
    /// step from its version) is refused, like a newer one, before anything is written. Families on disk that no schema or
    /// column claims are kept, never dropped, and listed by [`RocksDb::undeclared_columns`].
    pub fn open_versioned(
        config: &RocksConfig,
        schemas: &[Schema],
        columns: &[Column],
    ) -> Result<Self, OpenError> {
        check_directory(config)?;
        let on_disk = existing_column_families(config.path())?;
        let mut migrating = false;
        if on_disk.iter().any(|name| name == VERSIONS.name()) {
            let probe = Self::open_read_only(config, &[VERSIONS])?;
            versions::check(&probe, schemas).map_err(OpenError::Version)?;
            // A database this build cannot migrate is refused before anything is written.
            migrating =
                !Migrator::new(schemas).check(&probe).map_err(OpenError::Migration)?.is_empty();
        }
        let mut declared: Vec<Column> = vec![VERSIONS];
        for column in schemas.iter().flat_map(Schema::column_set).chain(columns.iter().copied()) {
            if !declared.iter().any(|c| c.name() == column.name()) {
                declared.push(column);
            }
        }
        // Families that completed migrations emptied for good and that nobody declares now.
        let retired: Vec<&str> = schemas
            .iter()
            .flat_map(|schema| schema.migrations().iter().flat_map(Step::changes))
            .filter_map(Change::removes)
            .map(|column| column.name())
            .filter(|name| !declared.iter().any(|c| c.name() == *name))
            .collect();
        if migrating {
            let mut all = declared.clone();
            for column in schemas.iter().flat_map(Schema::migration_columns) {
                if !all.iter().any(|c| c.name() == column.name()) {
                    all.push(column);
                }
            }
            let db = Self::open(config, &all)?;
            Migrator::new(schemas).run(&db).map_err(OpenError::Migration)?;
            versions::record(&db, schemas).map_err(OpenError::Version)?;
            // Reopened with the declared columns alone, as every later open is.
            drop(db);
        }
        let db = Self::open_retiring(config, &declared, &retired)?;
        versions::record(&db, schemas).map_err(OpenError::Version)?;
        Ok(db)
    }

    /// Column families on disk that the application did not declare.
    pub fn undeclared_columns(&self) -> &[String] {
        &self.undeclared
    }

    /// The columns recorded in Strata's registry, with their prefix lengths.
    pub fn recorded_columns(&self) -> Result<Vec<(String, Option<usize>)>> {
        let meta = self.meta_cf()?;
        let mut recorded = Vec::new();
        for item in self.db().prefix_iterator_cf(meta, COLUMN_KEY.as_bytes()) {
            let (key, value) = item.map_err(classify)?;
            let Some(name) = key.strip_prefix(COLUMN_KEY.as_bytes()) else {
                break;
            };
            let name = String::from_utf8_lossy(name).into_owned();
            recorded.push((name, decode_prefix(&value)));
        }
        Ok(recorded)
    }

    /// Writes a consistent copy of the database to `dir` (which must not exist), hard-linking
    /// table files where possible. The copy opens as a database of its own.
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let checkpoint = Checkpoint::new(self.db()).map_err(classify)?;
        checkpoint.create_checkpoint(dir).map_err(classify)
    }

    /// Flushes every column's memtable to table files and syncs the write-ahead log.
    pub fn flush(&self) -> Result<()> {
        for (_, cf) in self.families() {
            self.db().flush_cf(*cf).map_err(classify)?;
        }
        self.db().flush_wal(true).map_err(classify)
    }

    /// Compacts every column completely.
    pub fn compact(&self) -> Result<()> {
        for (_, cf) in self.families() {
            self.db().compact_range_cf(*cf, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// An integer RocksDB property of a column, e.g. `rocksdb.estimate-num-keys`.
    pub fn property(&self, column: Column, name: &str) -> Result<Option<u64>> {
        self.db().property_int_value_cf(self.cf(column)?, name).map_err(classify)
    }

    /// The underlying RocksDB handle, for what Strata does not wrap.
    pub fn rocksdb(&self) -> &DB {
        self.db()
    }

    fn db(&self) -> &DB {
        self.opened.borrow_owner()
    }

    fn families(&self) -> &Families<'_> {
        self.opened.borrow_dependent()
    }

    fn cf(&self, column: Column) -> Result<&ColumnFamily> {
        match self.families().iter().find(|(declared, _)| *declared == column) {
            Some((_, cf)) => Ok(cf),
            None => Err(StorageError::UnknownColumn(column.name().to_owned())),
        }
    }

    fn meta_cf(&self) -> Result<&ColumnFamily> {
        self.db().cf_handle(META_CF).ok_or_else(|| StorageError::UnknownColumn(META_CF.to_owned()))
    }

    /// Checks the format marker and every declared column's prefix length against the registry,
    /// then records what is new.
    fn check_and_record_registry(&self, config: &RocksConfig) -> Result<(), OpenError> {
        let path = config.path().to_path_buf();
        let incompatible = |reason: String| OpenError::Incompatible { path: path.clone(), reason };
        let meta = self.meta_cf().map_err(|e| incompatible(e.to_string()))?;
        let read = |key: &[u8]| {
            self.db().get_cf(meta, key).map_err(|e| OpenError::from_rocks(path.clone(), e))
        };

        let mut batch = WriteBatch::default();
        match read(FORMAT_KEY)? {
            Some(format) if format != FORMAT => {
                return Err(incompatible(format!(
                    "on-disk format {} is not the supported format {}",
                    String::from_utf8_lossy(&format),
                    String::from_utf8_lossy(FORMAT)
                )));
            }
            Some(_) => {}
            None => batch.put_cf(meta, FORMAT_KEY, FORMAT),
        }
        for (column, _) in self.families() {
            let key = format!("{COLUMN_KEY}{}", column.name());
            let declared = column.prefix_len();
            match read(key.as_bytes())? {
                Some(stored) if decode_prefix(&stored) == declared => {}
                Some(stored) if config.prefix_change == PrefixChange::Refuse => {
                    return Err(OpenError::PrefixChanged {
                        column: column.name().to_owned(),
                        stored: decode_prefix(&stored),
                        declared,
                    });
                }
                _ => batch.put_cf(meta, key, encode_prefix(declared)),
            }
        }
        if !batch.is_empty() {
            let mut sync = WriteOptions::default();
            sync.set_sync(true);
            self.db()
                .write_opt(batch, &sync)
                .map_err(|e| OpenError::from_rocks(path.clone(), e))?;
            // Flushed at once: RocksDB keeps every write-ahead-log file that a family's unflushed
            // writes are in, and the registry is written so rarely that its memtable would keep
            // the whole log (up to `max_total_wal_bytes`) on disk and in the next open's replay.
            self.db().flush_cf(meta).map_err(|e| OpenError::from_rocks(path, e))?;
        }
        Ok(())
    }
}

fn encode_prefix(prefix: Option<usize>) -> String {
    prefix.map_or_else(|| "none".to_owned(), |len| len.to_string())
}

fn decode_prefix(stored: &[u8]) -> Option<usize> {
    std::str::from_utf8(stored).ok()?.parse().ok()
}

/// The family descriptors of Strata's own family and the `declared` columns (sharing `cache`),
/// and the names of the families `on_disk` that are not declared.
fn descriptors(
    config: &RocksConfig,
    cache: &Cache,
    declared: &BTreeSet<Column>,
    on_disk: Vec<String>,
) -> (Vec<ColumnFamilyDescriptor>, Vec<String>) {
    let mut descriptors = vec![ColumnFamilyDescriptor::new(META_CF, Options::default())];
    for column in declared {
        let options = column_options(config, Some(cache), column.prefix_len());
        descriptors.push(ColumnFamilyDescriptor::new(column.name(), options));
    }
    let undeclared = on_disk
        .into_iter()
        .filter(|name| name != META_CF && !declared.iter().any(|c| c.name() == name))
        .collect();
    (descriptors, undeclared)
}

fn check_directory(config: &RocksConfig) -> Result<(), OpenError> {
    let path = config.path();
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => Err(OpenError::NotADirectory { path: path.to_path_buf() }),
        // A directory that cannot be listed would otherwise look empty, i.e. "no database".
        Ok(_) => match std::fs::read_dir(path) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(OpenError::PermissionDenied { path: path.to_path_buf(), source: Box::new(e) })
            }
            _ => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.create_if_missing => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(OpenError::Missing { path: path.to_path_buf() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(OpenError::PermissionDenied { path: path.to_path_buf(), source: Box::new(e) })
        }
        Err(e) => Err(OpenError::Incompatible { path: path.to_path_buf(), reason: e.to_string() }),
    }
}

fn existing_column_families(path: &Path) -> Result<Vec<String>, OpenError> {
    if !path.join("CURRENT").exists() {
        return Ok(Vec::new());
    }
    DB::list_cf(&Options::default(), path).map_err(|e| OpenError::from_rocks(path.to_path_buf(), e))
}

/// The exact RocksDB options Strata opens a database with.
pub struct RocksOptions {
    /// Database-wide options.
    pub db: Options,
    /// The block cache shared by every column family.
    pub cache: Cache,
}

impl RocksConfig {
    /// The RocksDB options and column family descriptors Strata uses for `columns` (after its own
    /// `default` family), so a raw-RocksDB comparison or tool can open with exactly the same
    /// settings.
    pub fn rocksdb_options(
        &self,
        columns: impl IntoIterator<Item = Column>,
    ) -> (RocksOptions, Vec<ColumnFamilyDescriptor>) {
        let cache = Cache::new_lru_cache(self.block_cache_bytes);
        let mut descriptors = vec![ColumnFamilyDescriptor::new(META_CF, Options::default())];
        for column in columns {
            let options = column_options(self, Some(&cache), column.prefix_len());
            descriptors.push(ColumnFamilyDescriptor::new(column.name(), options));
        }
        (RocksOptions { db: db_options(self), cache }, descriptors)
    }
}

fn db_options(config: &RocksConfig) -> Options {
    let mut options = Options::default();
    options.create_if_missing(config.create_if_missing);
    options.create_missing_column_families(true);
    let threads = i32::try_from(config.parallelism).unwrap_or(i32::MAX);
    options.increase_parallelism(threads);
    options.set_max_background_jobs(threads.max(2));
    options.set_max_open_files(config.max_open_files);
    options.set_bytes_per_sync(1 << 20);
    // A column written rarely would otherwise keep every log file alive (see
    // `RocksConfig::max_total_wal_bytes`).
    options.set_max_total_wal_size(config.max_total_wal_bytes);
    if let Some(rate) = config.rate_limit_bytes_per_second {
        // Refilled every 100 ms, with RocksDB's default fairness between reads and writes.
        options.set_ratelimiter(i64::try_from(rate).unwrap_or(i64::MAX), 100_000, 10);
    }
    options
}

/// Table block size for columns with a declared prefix (RocksDB's default is 4 KiB).
const PREFIX_COLUMN_BLOCK_BYTES: usize = 16 << 10;

/// Per-column options: a shared block cache, a full bloom filter over whole keys, and for columns
/// with a declared prefix a fixed-length prefix extractor with prefix blooms in tables and in the
/// memtable, and 16 KiB blocks. Without a cache, the options a table file written for the column
/// outside the database (to ingest) needs.
pub(crate) fn column_options(
    config: &RocksConfig,
    cache: Option<&Cache>,
    prefix_len: Option<usize>,
) -> Options {
    let mut table = BlockBasedOptions::default();
    if let Some(cache) = cache {
        table.set_block_cache(cache);
    }
    table.set_bloom_filter(10.0, false);
    table.set_whole_key_filtering(true);
    table.set_optimize_filters_for_memory(true);
    if prefix_len.is_some() {
        // Columns with a declared prefix are walked a prefix at a time: larger blocks mean a
        // scan crosses a quarter as many block boundaries, at no measurable cost to point reads.
        table.set_block_size(PREFIX_COLUMN_BLOCK_BYTES);
    }

    let mut options = Options::default();
    options.set_block_based_table_factory(&table);
    options.set_write_buffer_size(config.write_buffer_bytes);
    options.set_level_compaction_dynamic_level_bytes(true);
    match config.compression {
        Compression::None => options.set_compression_type(DBCompressionType::None),
        Compression::Lz4ThenZstd => {
            options.set_compression_type(DBCompressionType::Lz4);
            options.set_bottommost_compression_type(DBCompressionType::Zstd);
        }
        Compression::Zstd => {
            options.set_compression_type(DBCompressionType::Zstd);
            options.set_bottommost_compression_type(DBCompressionType::Zstd);
        }
    }
    if let Some(len) = prefix_len {
        options.set_prefix_extractor(SliceTransform::create_fixed_prefix(len));
        options.set_memtable_prefix_bloom_ratio(0.1);
    }
    options
}

impl Database for RocksDb {
    type Cursor<'a> = RocksCursor<'a>;

    fn columns(&self) -> Vec<Column> {
        self.families().iter().map(|(column, _)| *column).collect()
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        let cf = self.cf(column)?;
        let value = self.db().get_pinned_cf_opt(cf, key, &self.point_reads).map_err(classify)?;
        Ok(value.map(Slice::pinned))
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        let cf = self.cf(column)?;
        self.db()
            .batched_multi_get_cf_opt(cf, keys, false, &self.point_reads)
            .into_iter()
            .map(|value| value.map(|v| v.map(Slice::pinned)).map_err(classify))
            .collect()
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        let cf = self.cf(column)?;
        self.db().put_cf_opt(cf, key, value, &self.write_options).map_err(classify)
    }

    fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
        let cf = self.cf(column)?;
        self.db().delete_cf_opt(cf, key, &self.write_options).map_err(classify)
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<RocksCursor<'_>> {
        let cf = self.cf(column)?;
        let prefix_mode = column.prefix_len().is_some_and(|len| range.within_prefix(len));
        Ok(RocksCursor::new(self.db(), cf, range.clone(), prefix_mode))
    }

    fn apply(&self, transaction: &Transaction) -> Result<()> {
        self.write(transaction, &self.write_options)
    }

    fn apply_durable(&self, transaction: &Transaction, durability: Durability) -> Result<()> {
        match durability {
            Durability::Sync => self.write(transaction, &self.synced),
            Durability::Wal => self.write(transaction, &self.write_options),
        }
    }
}

impl RocksDb {
    /// Writes `transaction` as one batch with `options`.
    fn write(&self, transaction: &Transaction, options: &WriteOptions) -> Result<()> {
        // Resolve every column before writing anything, so an unknown one changes nothing.
        for column in transaction.columns() {
            self.cf(column)?;
        }
        // rust-rocksdb consumes a batch on write, so it cannot be reused; sizing it up front
        // gives the same effect: one allocation instead of repeated growth.
        let mut batch = WriteBatch::with_capacity_bytes(batch_bytes(transaction));
        for column in transaction.columns() {
            let cf = self.cf(column)?;
            for (key, op) in transaction.key_range(column, &KeyRange::all()) {
                match op {
                    Op::Put(value) => batch.put_cf(cf, key, value),
                    Op::Delete => batch.delete_cf(cf, key),
                }
            }
        }
        self.db().write_opt(batch, options).map_err(classify)
    }
}

/// An upper bound on the size of `transaction` as a RocksDB write batch: a 12-byte header, then
/// per record a tag, a column family id and two lengths (varints of at most 5 bytes each).
fn batch_bytes(transaction: &Transaction) -> usize {
    const HEADER: usize = 12;
    const RECORD: usize = 16;
    HEADER + RECORD * transaction.len() + transaction.bytes()
}
