//! [`KvStore`]: the namespaced store over any Strata [`Database`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use strata_core::group::GroupCommit;
use strata_core::lock::KeyLocks;
use strata_core::{
    AsKeyParts, DataType, Database, Durability, Error, FromKeyParts, KeyRange, StorageError,
    Transaction, Unstructured,
};

use crate::error::{KvError, KvResult};
use crate::name::{self, Address, Name, NamePart, NameReason};
#[cfg(feature = "lightning")]
use crate::order::WriteOrder;
use crate::page::{Page, PageToken};
use crate::schema::{
    CREATED, CreatedKey, ENTRIES, EntryKey, KV_META, MetaKey, NAMESPACES, NEXT_NAMESPACE,
    Namespace, NamespaceRecord, RESERVED_CREATION, StoredValue,
};

/// How many creation numbers one synced counter write reserves: a store restarted after a crash
/// skips at most this many, and creating keys costs one extra write per this many.
const CREATION_BLOCK: u64 = 1 << 16;

/// The default largest value: 256 MiB.
pub const DEFAULT_MAX_VALUE_LEN: usize = 256 << 20;

/// The largest limit a store accepts: RocksDB stores a value's length in 32 bits.
pub const MAX_VALUE_LEN_LIMIT: usize = (u32::MAX as usize) - 4096;

/// How a [`KvStore`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvConfig {
    durability: Durability,
    max_value_len: usize,
}

impl Default for KvConfig {
    fn default() -> Self {
        Self { durability: Durability::Sync, max_value_len: DEFAULT_MAX_VALUE_LEN }
    }
}

impl KvConfig {
    /// How durable a write, a batch and a non-lazy remove are when they return. The default is
    /// [`Durability::Sync`]: they survive power loss. Lazy removes are always
    /// [`Durability::Wal`]: visible at once, durable with the next synced write.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The largest value a write accepts, in bytes (default [`DEFAULT_MAX_VALUE_LEN`], at most
    /// [`MAX_VALUE_LEN_LIMIT`]; larger limits are lowered to it).
    #[must_use]
    pub fn max_value_len(mut self, len: usize) -> Self {
        self.max_value_len = len.min(MAX_VALUE_LEN_LIMIT);
        self
    }

    /// The configured durability.
    pub fn get_durability(&self) -> Durability {
        self.durability
    }

    /// The configured value limit.
    pub fn get_max_value_len(&self) -> usize {
        self.max_value_len
    }
}

/// Several writes and removes committed as one atomic [`KvStore::write_batch`].
///
/// Later operations on the same address replace earlier ones.
///
/// ```
/// # use strata_core::MemoryDb;
/// # use strata_kv::{KvStore, WriteBatch};
/// # let store = KvStore::open(MemoryDb::new(strata_kv::COLUMNS))?;
/// let mut batch = WriteBatch::new();
/// batch.write("", "", "manager", b"state".to_vec());
/// batch.write("monitors", "", "chan_1", b"monitor".to_vec());
/// batch.remove("monitors", "", "chan_0");
/// store.write_batch(&batch)?;
/// assert_eq!(store.read("", "", "manager")?, b"state");
/// # Ok::<(), strata_kv::KvError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<(Address, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a write of `value` at `primary/secondary/key`.
    pub fn write(
        &mut self,
        primary: &str,
        secondary: &str,
        key: &str,
        value: Vec<u8>,
    ) -> &mut Self {
        self.ops.push((Address::new(primary, secondary, key), Some(value)));
        self
    }

    /// Adds a removal of `primary/secondary/key`.
    pub fn remove(&mut self, primary: &str, secondary: &str, key: &str) -> &mut Self {
        self.ops.push((Address::new(primary, secondary, key), None));
        self
    }

    /// The number of operations added.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A namespaced key-value store with LDK's `KVStore` semantics, on any Strata [`Database`].
///
/// Values live at `primary_namespace / secondary_namespace / key`. The store keeps its data in
/// its own [`COLUMNS`](crate::COLUMNS), so it shares a database with other schemas. It is
/// `Send + Sync` and cheap to clone (clones share one store); every call blocks on the database.
///
/// ```
/// use strata_core::MemoryDb;
/// use strata_kv::{KvError, KvStore};
///
/// let store = KvStore::open(MemoryDb::new(strata_kv::COLUMNS))?;
/// store.write("monitors", "", "chan_1", b"v1")?;
/// assert_eq!(store.read("monitors", "", "chan_1")?, b"v1");
/// assert_eq!(store.list("monitors", "")?, ["chan_1"]);
/// store.remove("monitors", "", "chan_1", false)?;
/// assert!(matches!(store.read("monitors", "", "chan_1"), Err(KvError::NotFound { .. })));
/// assert!(matches!(store.write("a/b", "", "k", b""), Err(KvError::InvalidName { .. })));
/// # Ok::<(), KvError>(())
/// ```
pub struct KvStore<D> {
    inner: Arc<Inner<D>>,
}

impl<D> Clone for KvStore<D> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

// A panic cannot leave the store half-changed for code that catches it: every change is one
// atomic database commit, the locks recover from poisoning, and each critical section leaves its
// data consistent before anything in it can panic. LDK's tests catch the panics its conventions
// demand (`catch_unwind` over a `&KvStore`), so the store says so for any backend.
impl<D> std::panic::RefUnwindSafe for KvStore<D> {}
impl<D> std::panic::UnwindSafe for KvStore<D> {}

impl<D> std::fmt::Debug for KvStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

struct Inner<D> {
    db: D,
    config: KvConfig,
    namespaces: RwLock<Namespaces>,
    /// Serialises namespace registration; holds the next id to assign.
    registration: Mutex<u32>,
    creation: Mutex<Creation>,
    /// Each key is locked from its read-modify-write until its commit lands.
    locks: KeyLocks<EntryKey>,
    group: GroupCommit<(Transaction, Durability), ()>,
    #[cfg(feature = "lightning")]
    write_order: WriteOrder,
}

/// The registry, cached: every namespace is loaded at open and added when registered.
#[derive(Default)]
struct Namespaces {
    /// Primary, then secondary namespace: looked up by `&str` without allocating.
    ids: HashMap<String, HashMap<String, u32>>,
    names: HashMap<u32, (String, String)>,
}

impl Namespaces {
    fn insert(&mut self, pair: (String, String), id: u32) {
        self.ids.entry(pair.0.clone()).or_default().insert(pair.1.clone(), id);
        self.names.insert(id, pair);
    }
}

/// Creation numbers: `next` is handed out next; numbers below `reserved` are recorded as used.
struct Creation {
    next: u64,
    reserved: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Validates an address (or, without a key, a namespace pair) by LDK's rules.
pub(crate) fn validate(primary: &str, secondary: &str, key: Option<&str>) -> KvResult<()> {
    let invalid =
        |part, name: &str, reason| KvError::InvalidName { part, name: name.to_owned(), reason };
    name::check(primary).map_err(|reason| invalid(NamePart::Primary, primary, reason))?;
    name::check(secondary).map_err(|reason| invalid(NamePart::Secondary, secondary, reason))?;
    if primary.is_empty() && !secondary.is_empty() {
        return Err(invalid(NamePart::Secondary, secondary, NameReason::SecondaryWithoutPrimary));
    }
    if let Some(key) = key {
        name::check(key).map_err(|reason| invalid(NamePart::Key, key, reason))?;
        if key.is_empty() {
            return Err(invalid(NamePart::Key, key, NameReason::Empty));
        }
    }
    Ok(())
}

impl<D: Database> KvStore<D> {
    /// Opens the store in `db` with the default [`KvConfig`]: synced writes, values up to 256 MiB.
    ///
    /// `db` must have been opened with [`COLUMNS`](crate::COLUMNS) (beside any others).
    pub fn open(db: D) -> KvResult<Self> {
        Self::with_config(db, KvConfig::default())
    }

    /// Opens the store in `db` with `config`. Reads the namespace registry; writes nothing.
    pub fn with_config(db: D, config: KvConfig) -> KvResult<Self> {
        let namespaces = load_namespaces(&db)?;
        let next_namespace = read_counter(&db, &NEXT_NAMESPACE)?;
        let reserved = read_counter(&db, &RESERVED_CREATION)?;
        let next_namespace = u32::try_from(next_namespace).map_err(|_| {
            Error::from(StorageError::Corruption("the next namespace id exceeds 32 bits".into()))
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                config,
                namespaces: RwLock::new(namespaces),
                registration: Mutex::new(next_namespace),
                creation: Mutex::new(Creation { next: reserved, reserved }),
                locks: KeyLocks::new(),
                group: GroupCommit::new(),
                #[cfg(feature = "lightning")]
                write_order: WriteOrder::default(),
            }),
        })
    }

    /// The database the store lives in.
    pub fn database(&self) -> &D {
        &self.inner.db
    }

    /// Per-key version numbers of LDK's async writes.
    #[cfg(feature = "lightning")]
    pub(crate) fn write_order(&self) -> &WriteOrder {
        &self.inner.write_order
    }

    /// The store's configuration.
    pub fn config(&self) -> KvConfig {
        self.inner.config
    }

    /// The value at `primary/secondary/key`; [`KvError::NotFound`] when there is none.
    pub fn read(&self, primary: &str, secondary: &str, key: &str) -> KvResult<Vec<u8>> {
        self.get(primary, secondary, key)?.ok_or_else(|| KvError::NotFound {
            primary: primary.to_owned(),
            secondary: secondary.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The value at `primary/secondary/key`, if there is one.
    pub fn get(&self, primary: &str, secondary: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        validate(primary, secondary, Some(key))?;
        let Some(namespace) = self.namespace_id(primary, secondary) else {
            return Ok(None);
        };
        let entry = EntryKey { namespace, key: Name::padded(key) };
        match self.inner.db.get(ENTRIES, entry.as_key().as_bytes())? {
            None => Ok(None),
            Some(stored) => Ok(Some(StoredValue::split(&stored).map_err(Error::from)?.1.to_vec())),
        }
    }

    /// Stores `value` at `primary/secondary/key`, replacing any earlier value atomically, creating
    /// the namespace if needed; durable when it returns (with the default [`KvConfig`]).
    pub fn write(&self, primary: &str, secondary: &str, key: &str, value: &[u8]) -> KvResult<()> {
        validate(primary, secondary, Some(key))?;
        self.check_len(value.len())?;
        let namespace = self.register(primary, secondary)?;
        let entry = EntryKey { namespace, key: Name::padded(key) };
        let _guard = self.inner.locks.lock(entry.clone());
        let mut transaction = Transaction::new();
        self.stage_write(&mut transaction, &entry, key, value)?;
        self.commit(transaction, self.inner.config.durability)?;
        Ok(())
    }

    /// Removes the value at `primary/secondary/key`; removing an absent key is not an error.
    ///
    /// A `lazy` remove is visible at once but durable only with the next synced write (LDK's
    /// "may be lost on crash"); an eager one is durable when it returns, as writes are.
    pub fn remove(&self, primary: &str, secondary: &str, key: &str, lazy: bool) -> KvResult<()> {
        validate(primary, secondary, Some(key))?;
        let Some(namespace) = self.namespace_id(primary, secondary) else {
            return Ok(());
        };
        let entry = EntryKey { namespace, key: Name::padded(key) };
        let _guard = self.inner.locks.lock(entry.clone());
        let mut transaction = Transaction::new();
        let present = self.stage_remove(&mut transaction, &entry)?;
        if lazy && !present {
            return Ok(());
        }
        // An eager remove of an absent key still writes (a tombstone) and syncs: an earlier lazy
        // remove of the key may not be durable yet, and this call promises that it is.
        let durability = if lazy { Durability::Wal } else { self.inner.config.durability };
        self.commit(transaction, durability)?;
        Ok(())
    }

    /// Commits every operation of `batch` atomically: after a crash all of them are there or
    /// none. Any invalid name or oversized value fails the whole batch before anything is written.
    pub fn write_batch(&self, batch: &WriteBatch) -> KvResult<()> {
        for (address, value) in &batch.ops {
            validate(&address.primary, &address.secondary, Some(&address.key))?;
            if let Some(value) = value {
                self.check_len(value.len())?;
            }
        }
        // The last operation per address wins.
        let mut last: BTreeMap<EntryKey, (&str, Option<&[u8]>)> = BTreeMap::new();
        for (address, value) in &batch.ops {
            let namespace = match value {
                Some(_) => self.register(&address.primary, &address.secondary)?,
                None => match self.namespace_id(&address.primary, &address.secondary) {
                    Some(namespace) => namespace,
                    None => continue,
                },
            };
            let entry = EntryKey { namespace, key: Name::padded(&address.key) };
            last.insert(entry, (&address.key, value.as_deref()));
        }
        let _guard = self.inner.locks.lock_all(last.keys().cloned());
        let mut transaction = Transaction::new();
        for (entry, (key, value)) in &last {
            match value {
                Some(value) => self.stage_write(&mut transaction, entry, key, value)?,
                None => {
                    self.stage_remove(&mut transaction, entry)?;
                }
            }
        }
        self.commit(transaction, self.inner.config.durability)?;
        Ok(())
    }

    /// The keys of one namespace, sorted. An unknown namespace has none.
    ///
    /// Reads one snapshot of the namespace with one prefix scan.
    pub fn list(&self, primary: &str, secondary: &str) -> KvResult<Vec<String>> {
        validate(primary, secondary, None)?;
        let Some(namespace) = self.namespace_id(primary, secondary) else {
            return Ok(Vec::new());
        };
        let range = KeyRange::prefix(&namespace.to_be_bytes());
        let mut keys = Vec::new();
        let mut created = Unstructured::new(self.inner.db.cursor(CREATED, &range)?, range);
        while let Some(entry) = created.next_entry() {
            let (_, key) = entry?;
            keys.push(decode_name(key)?);
        }
        keys.sort_unstable();
        Ok(keys)
    }

    /// One page of a namespace's keys, newest-created first, at most `limit` of them, starting
    /// after `after` (from the newest when `None`). Reads one snapshot.
    ///
    /// ```
    /// # use strata_core::MemoryDb;
    /// # use strata_kv::KvStore;
    /// # let store = KvStore::open(MemoryDb::new(strata_kv::COLUMNS))?;
    /// for key in ["a", "b", "c"] {
    ///     store.write("payments", "", key, b"")?;
    /// }
    /// store.write("payments", "", "a", b"overwritten")?; // keeps its place
    /// let first = store.list_page("payments", "", None, 2)?;
    /// assert_eq!(first.keys, ["c", "b"]);
    /// let rest = store.list_page("payments", "", first.next.as_ref(), 2)?;
    /// assert_eq!((rest.keys, rest.next), (vec!["a".to_owned()], None));
    /// # Ok::<(), strata_kv::KvError>(())
    /// ```
    pub fn list_page(
        &self,
        primary: &str,
        secondary: &str,
        after: Option<&PageToken>,
        limit: usize,
    ) -> KvResult<Page> {
        validate(primary, secondary, None)?;
        let Some(namespace) = self.namespace_id(primary, secondary) else {
            return Ok(Page { keys: Vec::new(), next: None });
        };
        let start = namespace.to_be_bytes().to_vec();
        let range = match after {
            None => KeyRange::prefix(&start),
            Some(token) => {
                let end = CreatedKey { namespace, created: token.created };
                KeyRange::new(start, Some(end.as_key().as_bytes().to_vec()))
            }
        };
        let mut created = Unstructured::new(self.inner.db.cursor(CREATED, &range)?, range);
        let mut page: Vec<(u64, String)> = Vec::new();
        let mut more = false;
        while let Some(entry) = created.next_back_entry() {
            let (key, name) = entry?;
            if page.len() == limit {
                more = true;
                break;
            }
            let key = CreatedKey::from_bytes(key).map_err(Error::from)?;
            page.push((key.created, decode_name(name)?));
        }
        let next = match page.last() {
            Some((created, key)) if more => Some(PageToken { created: *created, key: key.clone() }),
            _ => None,
        };
        Ok(Page { keys: page.into_iter().map(|(_, key)| key).collect(), next })
    }

    /// Every address holding a value, sorted, from one snapshot.
    pub fn list_all_keys(&self) -> KvResult<Vec<Address>> {
        let range = KeyRange::all();
        let mut created = Unstructured::new(self.inner.db.cursor(CREATED, &range)?, range);
        let mut addresses = Vec::new();
        let namespaces = self.inner.namespaces.read().unwrap_or_else(PoisonError::into_inner);
        while let Some(entry) = created.next_entry() {
            let (key, name) = entry?;
            let key = CreatedKey::from_bytes(key).map_err(Error::from)?;
            // A namespace is registered (and cached) before any key is written into it.
            let (primary, secondary) = namespaces.names.get(&key.namespace).ok_or_else(|| {
                Error::from(StorageError::Corruption(
                    format!("a key of namespace {} which is not registered", key.namespace).into(),
                ))
            })?;
            addresses.push(Address::new(primary.clone(), secondary.clone(), decode_name(name)?));
        }
        addresses.sort_unstable();
        Ok(addresses)
    }

    /// Every registered (primary, secondary) namespace pair, sorted; a pair stays registered
    /// after its last key is removed.
    pub fn namespaces(&self) -> Vec<(String, String)> {
        let namespaces = self.inner.namespaces.read().unwrap_or_else(PoisonError::into_inner);
        let mut pairs: Vec<_> = namespaces.names.values().cloned().collect();
        pairs.sort_unstable();
        pairs
    }

    /// Commits `transaction` through the store's group commit: concurrent writes (to different
    /// keys, which their locks guarantee) are merged into one database write, so one `fsync`
    /// carries all of them. A group is synced if any of its writes asks to be.
    fn commit(&self, transaction: Transaction, durability: Durability) -> KvResult<()> {
        let db = &self.inner.db;
        let result = self.inner.group.commit((transaction, durability), |mut group| {
            let count = group.len();
            let durability = if group.iter().any(|(_, d)| *d == Durability::Sync) {
                Durability::Sync
            } else {
                Durability::Wal
            };
            if let [(transaction, _)] = group.as_slice() {
                db.apply_durable(transaction, durability)?;
            } else {
                let (mut all, _) = group.swap_remove(0);
                for (transaction, _) in group {
                    all.merge(transaction);
                }
                db.apply_durable(&all, durability)?;
            }
            Ok(vec![(); count])
        });
        result.map_err(|shared| match Arc::try_unwrap(shared) {
            Ok(error) => KvError::from(error),
            Err(shared) => KvError::Commit(shared),
        })
    }

    fn check_len(&self, len: usize) -> KvResult<()> {
        let max = self.inner.config.max_value_len;
        if len > max {
            return Err(KvError::ValueTooLarge { len, max });
        }
        Ok(())
    }

    fn namespace_id(&self, primary: &str, secondary: &str) -> Option<u32> {
        let namespaces = self.inner.namespaces.read().unwrap_or_else(PoisonError::into_inner);
        namespaces.ids.get(primary)?.get(secondary).copied()
    }

    /// The namespace's id, registering it first if it is new.
    ///
    /// Registration commits on its own, before the write that needs it: an empty registered
    /// namespace is harmless (it lists no keys), and since the write-ahead log replays a prefix,
    /// no key can outlive its namespace's registration in a crash.
    fn register(&self, primary: &str, secondary: &str) -> KvResult<u32> {
        if let Some(id) = self.namespace_id(primary, secondary) {
            return Ok(id);
        }
        let mut next = lock(&self.inner.registration);
        if let Some(id) = self.namespace_id(primary, secondary) {
            return Ok(id);
        }
        let id = *next;
        let following = id.checked_add(1).ok_or(KvError::NamespacesExhausted)?;
        let mut transaction = Transaction::new();
        let namespace =
            Namespace { primary: Name::padded(primary), secondary: Name::padded(secondary) };
        transaction.put_entry(&namespace, &NamespaceRecord { id }).map_err(Error::from)?;
        transaction
            .put_entry(&NEXT_NAMESPACE, &crate::schema::Counter(u64::from(following)))
            .map_err(Error::from)?;
        // The id is spent whatever the commit's outcome: a commit that reports failure may still
        // have landed (an outcome-unknown error), and reusing its id would merge two namespaces.
        *next = following;
        self.inner.db.apply_durable(&transaction, self.inner.config.durability)?;
        let mut namespaces = self.inner.namespaces.write().unwrap_or_else(PoisonError::into_inner);
        namespaces.insert((primary.to_owned(), secondary.to_owned()), id);
        Ok(id)
    }

    /// The creation number of the key stored at `entry`, if one is. Called under its lock.
    fn created_of(&self, entry: &EntryKey) -> KvResult<Option<u64>> {
        match self.inner.db.get(ENTRIES, entry.as_key().as_bytes())? {
            None => Ok(None),
            Some(stored) => Ok(Some(StoredValue::split(&stored).map_err(Error::from)?.0)),
        }
    }

    /// Adds a write of `value` at `entry` to `transaction`. Called under the entry's lock.
    fn stage_write(
        &self,
        transaction: &mut Transaction,
        entry: &EntryKey,
        key: &str,
        value: &[u8],
    ) -> KvResult<()> {
        let created = if let Some(created) = self.created_of(entry)? {
            created
        } else {
            let created = self.next_creation()?;
            let index = CreatedKey { namespace: entry.namespace, created };
            transaction.put(CREATED, index.as_key().as_bytes(), key.as_bytes());
            created
        };
        transaction.put(ENTRIES, entry.as_key().as_bytes(), StoredValue::encode(created, value));
        Ok(())
    }

    /// Adds a removal of `entry` to `transaction`; whether a value was there. Called under the
    /// entry's lock.
    fn stage_remove(&self, transaction: &mut Transaction, entry: &EntryKey) -> KvResult<bool> {
        transaction.delete(ENTRIES, entry.as_key().as_bytes());
        match self.created_of(entry)? {
            None => Ok(false),
            Some(created) => {
                let index = CreatedKey { namespace: entry.namespace, created };
                transaction.delete(CREATED, index.as_key().as_bytes());
                Ok(true)
            }
        }
    }

    /// A creation number no key of this store has had.
    fn next_creation(&self) -> KvResult<u64> {
        let mut creation = lock(&self.inner.creation);
        if creation.next == creation.reserved {
            let reserved = creation.reserved.saturating_add(CREATION_BLOCK);
            let mut transaction = Transaction::new();
            transaction
                .put_entry(&RESERVED_CREATION, &crate::schema::Counter(reserved))
                .map_err(Error::from)?;
            // Synced whatever the store's durability: a number must never be handed out twice.
            self.inner.db.apply_durable(&transaction, Durability::Sync)?;
            creation.reserved = reserved;
        }
        let created = creation.next;
        creation.next += 1;
        Ok(created)
    }
}

/// Reads the whole namespace registry.
fn load_namespaces<D: Database>(db: &D) -> KvResult<Namespaces> {
    let mut namespaces = Namespaces::default();
    let range = KeyRange::all();
    let mut registry = Unstructured::new(db.cursor(NAMESPACES, &range)?, range);
    while let Some(entry) = registry.next_entry() {
        let (key, value) = entry?;
        let namespace = Namespace::from_bytes(key).map_err(Error::from)?;
        let record = NamespaceRecord::from_lent(value).map_err(Error::from)?;
        let pair = (namespace.primary.as_str().to_owned(), namespace.secondary.as_str().to_owned());
        namespaces.insert(pair, record.id);
    }
    Ok(namespaces)
}

fn read_counter<D: Database>(db: &D, key: &MetaKey) -> KvResult<u64> {
    match db.get(KV_META, key.as_key().as_bytes())? {
        None => Ok(0),
        Some(bytes) => Ok(crate::schema::Counter::from_lent(&bytes).map_err(Error::from)?.0),
    }
}

fn decode_name(bytes: &[u8]) -> KvResult<String> {
    if name::is_name(bytes) {
        // Every byte of a name is ASCII.
        if let Ok(name) = std::str::from_utf8(bytes) {
            return Ok(name.to_owned());
        }
    }
    Err(KvError::Storage(Error::from(StorageError::Corruption(
        format!("a stored key name of {} bytes is not a valid name", bytes.len()).into(),
    ))))
}
