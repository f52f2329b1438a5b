//! [`Views`]: a log store with views kept over it — in step with every commit, or behind it,
//! caught up by a worker — and the registry that makes them crash-safe and rebuildable.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use strata_core::{
    AsKeyParts, Column, Cursor, DataType, Database, Durability, Error, FromKeyParts, Handle,
    KeyRange, ReadOnly, Store, Temporal, Transaction,
};
use strata_log::{Entry, LogConfig, LogStore, Observer, ObserverError, Verifier};

use crate::error::{ViewError, ViewResult};
use crate::schema::{self, Mode, Phase, REGISTRY, ViewKey, ViewRecord};
use crate::view::{Cache, Committed, View, ViewState};

/// Entries one catch-up or rebuild batch reduces (and keys one clearing batch deletes) by default.
pub const DEFAULT_BATCH: usize = 1024;

/// How long the worker sleeps when nothing wakes it, before looking again.
const IDLE: Duration = Duration::from_millis(500);

/// A rebuild's or catch-up's progress, reported after every committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The view.
    pub view: String,
    /// Clearing, rebuilding, or ready (catching up).
    pub phase: Phase,
    /// The view reflects every entry below this arrival offset.
    pub since: u64,
    /// The log's end (next arrival offset) when the batch was read.
    pub end: u64,
}

/// Called with every [`Progress`].
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Where one view stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewStatus {
    /// The view's name.
    pub name: String,
    /// The version of the code that built its state.
    pub version: u32,
    /// In step or behind.
    pub mode: Mode,
    /// Ready, clearing or rebuilding.
    pub phase: Phase,
    /// The view reflects every entry below this arrival offset.
    pub since: u64,
    /// Entries committed to the log that the view does not reflect yet.
    pub lag: u64,
    /// Whether it is in step right now: updated in every commit of the log.
    pub attached: bool,
    /// Why it stopped, if a reduction or the database failed.
    pub error: Option<String>,
}

/// Configures and opens [`Views`].
pub struct ViewsBuilder<D: Database + 'static> {
    views: Vec<(Box<dyn View<D>>, Mode)>,
    batch: usize,
    background: bool,
    progress: Option<ProgressFn>,
}

impl<D: Database + 'static> std::fmt::Debug for ViewsBuilder<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.views.iter().map(|(v, m)| (v.name(), *m)).collect();
        f.debug_struct("ViewsBuilder")
            .field("views", &names)
            .field("batch", &self.batch)
            .field("background", &self.background)
            .finish_non_exhaustive()
    }
}

impl<D: Database + 'static> Default for ViewsBuilder<D> {
    fn default() -> Self {
        Self { views: Vec::new(), batch: DEFAULT_BATCH, background: true, progress: None }
    }
}

impl<D: Database + 'static> ViewsBuilder<D> {
    /// Adds a view kept in step: updated in the same atomic commit as the entries it reduces.
    #[must_use]
    pub fn in_step(mut self, view: impl View<D>) -> Self {
        self.views.push((Box::new(view), Mode::InStep));
        self
    }

    /// Adds a view kept behind: a worker reduces committed entries in bounded batches.
    #[must_use]
    pub fn behind(mut self, view: impl View<D>) -> Self {
        self.views.push((Box::new(view), Mode::Behind));
        self
    }

    /// Entries per catch-up or rebuild batch (and keys per clearing batch); at least 1.
    #[must_use]
    pub fn batch(mut self, entries: usize) -> Self {
        self.batch = entries.max(1);
        self
    }

    /// Whether a background thread keeps the views current (the default). Without it nothing
    /// catches up, rebuilds or joins the log's commits until [`Views::catch_up`] is called.
    #[must_use]
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// Calls `progress` after every batch a rebuild or catch-up commits (from the thread running
    /// it, while it holds the view: `progress` must not call back into these views' `rebuild` or
    /// `catch_up`, which would wait for it).
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Opens the log store in `db` with the views over it.
    ///
    /// `db` must have been opened with the log's, the registry's and every view's columns. Each
    /// view's record is read; a view whose stored version differs from its code's (or that has
    /// no record yet) is set to be rebuilt — its columns cleared, then the log reduced from the
    /// start — and is reported as rebuilding until that is done. Views already at the log's end
    /// join its commits at once; the others once caught up (by the worker, or by
    /// [`Views::catch_up`]).
    ///
    /// # Errors
    ///
    /// An invalid or repeated view name, a column claimed twice, or the database failing.
    pub fn open(
        self,
        db: D,
        verifier: impl Verifier + 'static,
        log_config: LogConfig,
    ) -> ViewResult<Views<D>> {
        let ViewsBuilder { views, batch, background, progress } = self;
        let slots = Self::slots(views)?;
        let mut transaction = Transaction::new();
        let mut records = Vec::with_capacity(slots.len());
        for slot in &slots {
            let stored = read_record(&db, &slot.key)?;
            let wanted = match stored {
                Some(record) if record.version == slot.view.version() => {
                    ViewRecord { mode: slot.mode, ..record }
                }
                // A new view, or another version's state: rebuilt from the start.
                _ => ViewRecord {
                    version: slot.view.version(),
                    mode: slot.mode,
                    phase: Phase::Clearing,
                    since: 0,
                },
            };
            if stored != Some(wanted) {
                transaction.put_entry(&slot.key, &wanted)?;
            }
            records.push(wanted);
        }
        if !transaction.is_empty() {
            db.apply(&transaction)?;
        }
        for (slot, record) in slots.iter().zip(records) {
            lock(&slot.status).record = record;
        }
        let shared = Arc::new(Shared {
            slots,
            batch,
            progress,
            wake: Mutex::new(Wake { generation: 0, stop: false }),
            woken: Condvar::new(),
        });
        let hook: Arc<dyn Observer<D>> = Arc::new(Hook(Arc::clone(&shared)));
        let log = LogStore::with_observer(db, verifier, log_config, hook)?;
        // A record past the log's end reflects offsets that never landed (a commit that failed
        // without landing, then a crash before the log's counter caught up): the log will hand
        // them out again, so the view has not seen them.
        let end = log.next_offset();
        let mut transaction = Transaction::new();
        for slot in &shared.slots {
            let mut status = lock(&slot.status);
            if status.record.since > end {
                status.record.since = end;
                transaction.put_entry(&slot.key, &status.record)?;
            }
        }
        if !transaction.is_empty() {
            log.database().apply(&transaction)?;
        }
        // Views already at the log's end join its commits now.
        for slot in &shared.slots {
            let record = lock(&slot.status).record;
            if slot.mode == Mode::InStep && record.phase == Phase::Ready {
                let _work = lock(&slot.work);
                log.exclusive(|next| {
                    if record.since == next {
                        lock(&slot.status).attached = true;
                    }
                });
            }
        }
        let worker = if background {
            let (log, shared) = (log.clone(), Arc::clone(&shared));
            let handle = std::thread::Builder::new()
                .name("strata-views".into())
                .spawn(move || work(&log, &shared))
                .map_err(|error| Error::Backend(Box::new(error)))?;
            Some(handle)
        } else {
            None
        };
        Ok(Views { inner: Arc::new(Inner { log, shared, worker: Mutex::new(worker) }) })
    }

    fn slots(views: Vec<(Box<dyn View<D>>, Mode)>) -> ViewResult<Vec<Slot<D>>> {
        let mut owners: Vec<(&'static str, String)> = Vec::new();
        for column in strata_log::COLUMNS {
            owners.push((column.name(), "the log store".into()));
        }
        owners.push((REGISTRY.name(), "the view registry".into()));
        let mut slots: Vec<Slot<D>> = Vec::with_capacity(views.len());
        for (view, mode) in views {
            let name = view.name().to_owned();
            let key = view_key(&name)?;
            if slots.iter().any(|slot| slot.view.name() == name) {
                return Err(ViewError::DuplicateName { name });
            }
            let columns = view.columns();
            for column in &columns {
                if let Some((_, owner)) = owners.iter().find(|(c, _)| *c == column.name()) {
                    return Err(ViewError::ColumnClaimed {
                        view: name,
                        column: column.name().into(),
                        owner: owner.clone(),
                    });
                }
                owners.push((column.name(), format!("view {name:?}")));
            }
            let record =
                ViewRecord { version: view.version(), mode, phase: Phase::Clearing, since: 0 };
            slots.push(Slot {
                view,
                mode,
                key,
                columns,
                status: Mutex::new(Status { record, attached: false, error: None }),
                changed: Condvar::new(),
                readers: RwLock::new(()),
                work: Mutex::new(()),
                cache: Mutex::new(Cache::default()),
            });
        }
        Ok(slots)
    }
}

/// A log store and the views kept over it. Cheap to clone; `Send + Sync`.
///
/// Dropping the last clone stops the worker (after its current batch).
pub struct Views<D: Database + 'static> {
    inner: Arc<Inner<D>>,
}

impl<D: Database + 'static> Clone for Views<D> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<D: Database + 'static> std::fmt::Debug for Views<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.inner.shared.slots.iter().map(|s| s.view.name()).collect();
        f.debug_struct("Views").field("views", &names).finish_non_exhaustive()
    }
}

struct Inner<D: Database + 'static> {
    log: LogStore<D>,
    shared: Arc<Shared<D>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl<D: Database + 'static> Drop for Inner<D> {
    fn drop(&mut self) {
        {
            let mut wake = lock(&self.shared.wake);
            wake.stop = true;
        }
        self.shared.woken.notify_all();
        if let Some(worker) = lock(&self.worker).take() {
            // A worker that panicked has nothing left to clean up.
            let _ = worker.join();
        }
    }
}

/// What every view shares with the log store's observer and the worker.
struct Shared<D> {
    slots: Vec<Slot<D>>,
    batch: usize,
    progress: Option<ProgressFn>,
    wake: Mutex<Wake>,
    woken: Condvar,
}

struct Wake {
    /// Bumped by every commit of the log, and by rebuild requests.
    generation: u64,
    stop: bool,
}

/// One view and where it stands.
///
/// Locks are taken in this order: `readers`, `work`, the log's commit lock
/// ([`LogStore::exclusive`], also held while the observer runs), `status`.
struct Slot<D> {
    view: Box<dyn View<D>>,
    mode: Mode,
    key: ViewKey,
    columns: Vec<Column>,
    status: Mutex<Status>,
    /// Notified whenever `status` changes.
    changed: Condvar,
    /// Readers hold it shared; a rebuild takes it exclusively to start.
    readers: RwLock<()>,
    /// Held by whoever advances the view outside the log's commits (the worker, a rebuild).
    work: Mutex<()>,
    /// The committed values a view in step has read and written (used only while joined).
    cache: Mutex<Cache>,
}

#[derive(Clone)]
struct Status {
    record: ViewRecord,
    /// In step and joined to the log's commits: the observer updates it.
    attached: bool,
    /// Why the view stopped.
    error: Option<Arc<ViewError>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry key of the view named `name`, or [`ViewError::InvalidName`].
fn view_key(name: &str) -> ViewResult<ViewKey> {
    schema::key_of(name).ok_or_else(|| ViewError::InvalidName { name: name.to_owned() })
}

fn read_record<D: Database>(db: &D, key: &ViewKey) -> ViewResult<Option<ViewRecord>> {
    match db.get(REGISTRY, key.as_key().as_bytes())? {
        None => Ok(None),
        Some(bytes) => Ok(Some(ViewRecord::from_lent(&bytes).map_err(Error::from)?)),
    }
}

/// Every view's record in `db`, by name: what the registry holds, without the views' code.
///
/// # Errors
///
/// The database failing, or a record that does not decode.
pub fn registry<D: Database>(db: &D) -> ViewResult<Vec<(String, ViewRecord)>> {
    let range = KeyRange::all();
    let mut cursor = db.cursor(REGISTRY, &range)?;
    let mut records = Vec::new();
    cursor.seek_to_first();
    while let Some((key, value)) = cursor.item() {
        let key = ViewKey::from_bytes(key).map_err(Error::from)?;
        let record = ViewRecord::from_lent(value).map_err(Error::from)?;
        records.push((key.name(), record));
        cursor.next();
    }
    cursor.status()?;
    Ok(records)
}

/// Marks the view `name` in `db` to be rebuilt from the start the next time it is opened with
/// its code (for tools that do not have the view's code). Returns whether it was registered.
///
/// # Errors
///
/// An invalid name or the database failing.
pub fn mark_for_rebuild<D: Database>(db: &D, name: &str) -> ViewResult<bool> {
    let key = view_key(name)?;
    let Some(record) = read_record(db, &key)? else { return Ok(false) };
    let mut transaction = Transaction::new();
    transaction.put_entry(&key, &ViewRecord { phase: Phase::Clearing, since: 0, ..record })?;
    db.apply_durable(&transaction, Durability::Sync)?;
    Ok(true)
}

/// A view's state, open for reading: the view is ready (not rebuilding) and stays so while this
/// is held.
pub struct ViewReader<'a, D: Database + 'static> {
    db: &'a D,
    record: ViewRecord,
    _ready: RwLockReadGuard<'a, ()>,
}

impl<D: Database + 'static> std::fmt::Debug for ViewReader<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewReader").field("record", &self.record).finish_non_exhaustive()
    }
}

impl<'a, D: Database + 'static> ViewReader<'a, D> {
    /// The view reflects every entry below this arrival offset (at the time it was opened for
    /// reading; a view in step or behind may have moved on since).
    pub fn since(&self) -> u64 {
        self.record.since
    }

    /// The typed API over the database, read-only: `reader.handle().get(&key)`.
    pub fn handle(&self) -> Handle<ReadOnly<Store<&'a D>>> {
        Handle::new(ReadOnly::new(Store::new(self.db)))
    }

    /// The database itself, for raw reads and cursors over the view's columns.
    pub fn database(&self) -> &'a D {
        self.db
    }
}

impl<D: Database + 'static> Views<D> {
    /// Starts configuring views.
    pub fn builder() -> ViewsBuilder<D> {
        ViewsBuilder::default()
    }

    /// The log store the views are kept over: append and insert through it.
    pub fn log(&self) -> &LogStore<D> {
        &self.inner.log
    }

    fn slot(&self, name: &str) -> ViewResult<&Slot<D>> {
        self.inner
            .shared
            .slots
            .iter()
            .find(|slot| slot.view.name() == name)
            .ok_or_else(|| ViewError::UnknownView { name: name.to_owned() })
    }

    /// Where every view stands, in the order they were added.
    pub fn statuses(&self) -> Vec<ViewStatus> {
        let end = self.inner.log.next_offset();
        self.inner.shared.slots.iter().map(|slot| status_of(slot, end)).collect()
    }

    /// Where the view `name` stands.
    ///
    /// # Errors
    ///
    /// [`ViewError::UnknownView`].
    pub fn status(&self, name: &str) -> ViewResult<ViewStatus> {
        let slot = self.slot(name)?;
        Ok(status_of(slot, self.inner.log.next_offset()))
    }

    /// How many committed entries the view `name` does not reflect yet.
    ///
    /// # Errors
    ///
    /// [`ViewError::UnknownView`].
    pub fn lag(&self, name: &str) -> ViewResult<u64> {
        Ok(self.status(name)?.lag)
    }

    /// Opens the view `name` for reading. While the reader is held the view cannot start a
    /// rebuild. Do not open a second reader of the same view on a thread that holds one while
    /// another thread may call [`Views::rebuild`] on it: the waiting rebuild holds new readers
    /// back (the lock prefers writers), and the thread would wait for itself.
    ///
    /// # Errors
    ///
    /// [`ViewError::Rebuilding`] while the view is being rebuilt (its state is incomplete), or
    /// [`ViewError::UnknownView`].
    pub fn reader(&self, name: &str) -> ViewResult<ViewReader<'_, D>> {
        let slot = self.slot(name)?;
        let ready = slot.readers.read().unwrap_or_else(PoisonError::into_inner);
        let record = lock(&slot.status).record;
        if record.phase != Phase::Ready {
            return Err(ViewError::Rebuilding {
                view: name.to_owned(),
                phase: record.phase,
                since: record.since,
                end: self.inner.log.next_offset(),
            });
        }
        Ok(ViewReader { db: self.inner.log.database(), record, _ready: ready })
    }

    /// Waits until the view `name` reflects the entry at arrival `offset` (read-your-writes: pass
    /// the offset an append returned), at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`ViewError::Timeout`] when time runs out; the view's own error if it stopped.
    pub fn wait_for(&self, name: &str, offset: u64, timeout: Duration) -> ViewResult<()> {
        let slot = self.slot(name)?;
        // A timeout too long to represent is no deadline at all.
        let deadline = Instant::now().checked_add(timeout);
        let mut status = lock(&slot.status);
        loop {
            if let Some(error) = &status.error {
                return Err(ViewError::Stopped {
                    view: name.to_owned(),
                    source: Arc::clone(error),
                });
            }
            if status.record.phase == Phase::Ready && status.record.since > offset {
                return Ok(());
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Err(ViewError::Timeout {
                    view: name.to_owned(),
                    offset,
                    since: status.record.since,
                });
            }
            let wait = deadline.map_or(IDLE, |deadline| deadline - now);
            status =
                slot.changed.wait_timeout(status, wait).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Brings every view up to the log's end in the calling thread: clears and rebuilds what
    /// needs it, catches up what is behind, joins views kept in step to the log's commits. For
    /// views opened without the background worker (with it, this runs alongside it).
    ///
    /// # Errors
    ///
    /// The first view that fails (its reducer or the database); the others still advance.
    pub fn catch_up(&self) -> ViewResult<()> {
        let shared = &self.inner.shared;
        let mut first_error = None;
        loop {
            let mut advanced = false;
            for slot in &shared.slots {
                match advance(&self.inner.log, shared, slot) {
                    Ok(moved) => advanced |= moved,
                    Err(error) => {
                        first_error.get_or_insert((slot.view.name().to_owned(), error));
                    }
                }
            }
            if !advanced {
                break;
            }
        }
        // A view stopped earlier (by the worker, or an earlier call) is reported too.
        let stopped = || {
            shared.slots.iter().find_map(|slot| {
                let error = lock(&slot.status).error.clone()?;
                Some((slot.view.name().to_owned(), error))
            })
        };
        match first_error.or_else(stopped) {
            None => Ok(()),
            Some((view, source)) => Err(ViewError::Stopped { view, source }),
        }
    }

    /// Throws the view `name`'s state away and rebuilds it from the start of the log: from here
    /// until the rebuild ends, readers get [`ViewError::Rebuilding`]. Waits for readers of the
    /// view to finish first. The worker (or [`Views::catch_up`]) does the rebuilding.
    ///
    /// # Errors
    ///
    /// [`ViewError::UnknownView`], or the database failing.
    pub fn rebuild(&self, name: &str) -> ViewResult<()> {
        let slot = self.slot(name)?;
        let _no_readers = slot.readers.write().unwrap_or_else(PoisonError::into_inner);
        let _work = lock(&slot.work);
        let db = self.inner.log.database();
        let start = |status: &mut Status| -> ViewResult<()> {
            let record = ViewRecord { phase: Phase::Clearing, since: 0, ..status.record };
            let mut transaction = Transaction::new();
            transaction.put_entry(&slot.key, &record)?;
            db.apply_durable(&transaction, Durability::Sync)?;
            *status = Status { record, attached: false, error: None };
            Cache::clear(&slot.cache);
            Ok(())
        };
        // Detached under the commit lock, so no commit updates it after its record says clearing.
        self.inner.log.exclusive(|_| start(&mut lock(&slot.status)))?;
        slot.changed.notify_all();
        self.inner.shared.kick();
        Ok(())
    }
}

fn status_of<D: Database + 'static>(slot: &Slot<D>, end: u64) -> ViewStatus {
    let status = lock(&slot.status).clone();
    ViewStatus {
        name: slot.view.name().to_owned(),
        version: status.record.version,
        mode: slot.mode,
        phase: status.record.phase,
        since: status.record.since,
        lag: end.saturating_sub(status.record.since),
        attached: status.attached,
        error: status.error.map(|error| error.to_string()),
    }
}

fn stop_view<D>(slot: &Slot<D>, error: &Arc<ViewError>) {
    lock(&slot.status).error = Some(Arc::clone(error));
    slot.changed.notify_all();
}

impl<D> Shared<D> {
    fn kick(&self) {
        lock(&self.wake).generation += 1;
        self.woken.notify_all();
    }

    fn report(&self, view: &str, record: &ViewRecord, end: u64) {
        if let Some(progress) = &self.progress {
            progress(&Progress {
                view: view.to_owned(),
                phase: record.phase,
                since: record.since,
                end,
            });
        }
    }
}

/// The worker: advances every view until none can move, then sleeps until a commit or a
/// rebuild request wakes it.
fn work<D: Database + 'static>(log: &LogStore<D>, shared: &Shared<D>) {
    loop {
        let generation = {
            let wake = lock(&shared.wake);
            if wake.stop {
                return;
            }
            wake.generation
        };
        let mut advanced = false;
        for slot in &shared.slots {
            if lock(&shared.wake).stop {
                return;
            }
            if lock(&slot.status).error.is_some() {
                continue;
            }
            // An error stopped the view (it is in its status); the others go on.
            if let Ok(moved) = advance(log, shared, slot) {
                advanced |= moved;
            }
        }
        if !advanced {
            let wake = lock(&shared.wake);
            if wake.generation == generation && !wake.stop {
                drop(shared.woken.wait_timeout(wake, IDLE).unwrap_or_else(PoisonError::into_inner));
            }
        }
    }
}

/// Moves one view forward by one step (outside the log's commits): a clearing pass, one batch,
/// or joining the commits. Whether it moved. A failure — an error, or a panic in the view's code
/// — stops the view, recorded in its status before anyone else can advance or rebuild it.
fn advance<D: Database + 'static>(
    log: &LogStore<D>,
    shared: &Shared<D>,
    slot: &Slot<D>,
) -> Result<bool, Arc<ViewError>> {
    let _work = lock(&slot.work);
    let status = lock(&slot.status).clone();
    if status.attached || status.error.is_some() {
        return Ok(false);
    }
    let stepped = std::panic::catch_unwind(AssertUnwindSafe(|| step(log, shared, slot, &status)));
    let error = match stepped {
        Ok(Ok(moved)) => return Ok(moved),
        Ok(Err(error)) => error,
        Err(panic) => ViewError::Panicked {
            view: slot.view.name().to_owned(),
            message: panic_message(panic.as_ref()),
        },
    };
    let error = Arc::new(error);
    stop_view(slot, &error);
    Err(error)
}

/// What a panic said, if it said it with a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// [`advance`]'s step, with the view's `work` held and its status read.
fn step<D: Database + 'static>(
    log: &LogStore<D>,
    shared: &Shared<D>,
    slot: &Slot<D>,
    status: &Status,
) -> ViewResult<bool> {
    let db = log.database();
    let name = slot.view.name();
    match status.record.phase {
        Phase::Clearing => {
            clear(db, shared, slot, status.record, log.next_offset())?;
            Ok(true)
        }
        Phase::Rebuilding | Phase::Ready => {
            let end = log.next_offset();
            let mut record = status.record;
            if record.since < end {
                let mut state = Temporal::new(Committed::new(db));
                record.since =
                    reduce_from(log, slot, &mut state, record.since, end, Some(shared.batch))?;
                // A view kept behind is ready once a batch reaches the end; one kept in step,
                // once it has joined the commits.
                if slot.mode == Mode::Behind && record.since >= end {
                    record.phase = Phase::Ready;
                }
                commit(db, slot, &mut state, record)?;
                set_record(slot, record);
                shared.report(name, &record, end);
                return Ok(true);
            }
            match slot.mode {
                Mode::Behind if record.phase == Phase::Rebuilding => {
                    record.phase = Phase::Ready;
                    commit(db, slot, &mut Temporal::new(Committed::new(db)), record)?;
                    set_record(slot, record);
                    shared.report(name, &record, end);
                    Ok(true)
                }
                Mode::Behind => Ok(false),
                Mode::InStep => {
                    // Join the commits: reduce what arrived since the batch above under the
                    // commit lock, so that no entry lands between the last batch and the join.
                    log.exclusive(|next| -> ViewResult<()> {
                        let mut state = Temporal::new(Committed::new(db));
                        reduce_from(log, slot, &mut state, record.since, next, None)?;
                        record = ViewRecord { phase: Phase::Ready, since: next, ..record };
                        commit(db, slot, &mut state, record)?;
                        Cache::clear(&slot.cache);
                        let mut status = lock(&slot.status);
                        status.record = record;
                        status.attached = true;
                        Ok(())
                    })?;
                    slot.changed.notify_all();
                    shared.report(name, &record, record.since);
                    Ok(true)
                }
            }
        }
    }
}

/// Reduces the entries from arrival offset `since` on into `state`, at most `limit` of them.
/// Returns the offset below which every entry the log held has been reduced: one past the last
/// entry reduced, or at least `end` (the log's end, read before) when the log had no more.
fn reduce_from<D: Database + 'static>(
    log: &LogStore<D>,
    slot: &Slot<D>,
    state: &mut ViewState<'_, D>,
    since: u64,
    end: u64,
    limit: Option<usize>,
) -> ViewResult<u64> {
    let mut reached = since;
    let mut stream = log.stream(since.checked_sub(1))?;
    let mut taken = 0;
    while limit.is_none_or(|limit| taken < limit) {
        let Some(item) = stream.next() else {
            // Entries below `end` that the stream no longer holds were pruned before the view
            // reached them: nothing is left below `end` to reduce.
            return Ok(reached.max(end));
        };
        let (offset, entry) = item?;
        reduce(slot, state, offset, &entry)?;
        reached = offset + 1;
        taken += 1;
    }
    Ok(reached)
}

fn reduce<D: Database + 'static>(
    slot: &Slot<D>,
    state: &mut ViewState<'_, D>,
    offset: u64,
    entry: &Entry,
) -> ViewResult<()> {
    slot.view.reduce(state, offset, entry).map_err(|source| ViewError::Reduce {
        view: slot.view.name().to_owned(),
        offset,
        source: Arc::new(source),
    })
}

/// Commits `state`'s writes and `record` atomically (not synced: a view is derived from the log,
/// and after a crash its state and `since` are those of one commit).
fn commit<D: Database + 'static>(
    db: &D,
    slot: &Slot<D>,
    state: &mut ViewState<'_, D>,
    record: ViewRecord,
) -> ViewResult<()> {
    let mut transaction = state.take_shadow();
    transaction.put_entry(&slot.key, &record)?;
    db.apply_durable(&transaction, Durability::Wal)?;
    Ok(())
}

fn set_record<D>(slot: &Slot<D>, record: ViewRecord) {
    lock(&slot.status).record = record;
    slot.changed.notify_all();
}

/// Deletes every key of the view's columns, a batch per commit, then moves the view to
/// rebuilding from offset 0. Each batch commits with the record still clearing, so a clearing
/// killed half-way starts again and deletes what is left.
fn clear<D: Database + 'static>(
    db: &D,
    shared: &Shared<D>,
    slot: &Slot<D>,
    record: ViewRecord,
    end: u64,
) -> ViewResult<()> {
    let range = KeyRange::all();
    for column in &slot.columns {
        // One cursor per column for the whole pass: it never steps over its own tombstones.
        let mut cursor = db.cursor(*column, &range)?;
        cursor.seek_to_first();
        loop {
            let mut transaction = Transaction::new();
            while let Some(key) = cursor.key() {
                transaction.delete(*column, key);
                cursor.next();
                if transaction.len() == shared.batch {
                    break;
                }
            }
            cursor.status()?;
            if transaction.is_empty() {
                break;
            }
            db.apply_durable(&transaction, Durability::Wal)?;
            shared.report(slot.view.name(), &record, end);
            if lock(&shared.wake).stop {
                // The views are being closed: the record still says clearing, so the next open
                // deletes what is left.
                return Ok(());
            }
        }
    }
    let rebuilding = ViewRecord { phase: Phase::Rebuilding, since: 0, ..record };
    let mut transaction = Transaction::new();
    transaction.put_entry(&slot.key, &rebuilding)?;
    db.apply_durable(&transaction, Durability::Wal)?;
    set_record(slot, rebuilding);
    shared.report(slot.view.name(), &rebuilding, end);
    Ok(())
}

/// The log store's observer: reduces every committed group into the views joined to the commits.
struct Hook<D>(Arc<Shared<D>>);

impl<D: Database + 'static> Observer<D> for Hook<D> {
    fn stage(
        &self,
        db: &D,
        arrived: &[(u64, &Entry)],
        transaction: &mut Transaction,
    ) -> Result<(), ObserverError> {
        // Writes still pending are from a commit that did not report landing (it may have
        // landed): every joined view starts this one with nothing cached.
        for slot in &self.0.slots {
            if lock(&slot.status).attached {
                Cache::begin(&slot.cache);
            }
        }
        let Some((last, _)) = arrived.last() else { return Ok(()) };
        let next = last + 1;
        for slot in &self.0.slots {
            let record = {
                let status = lock(&slot.status);
                if !status.attached {
                    continue;
                }
                status.record
            };
            let refuse = |offset: u64, source| ObserverError {
                observer: format!("view {:?}", slot.view.name()),
                offset,
                source,
            };
            let mut state = Temporal::new(Committed::cached(db, &slot.cache, &slot.columns));
            for (offset, entry) in arrived {
                slot.view
                    .reduce(&mut state, *offset, entry)
                    .map_err(|source| refuse(*offset, source))?;
            }
            let writes = state.take_shadow();
            Cache::stage(&slot.cache, &writes);
            transaction.merge(writes);
            transaction
                .put_entry(&slot.key, &ViewRecord { since: next, ..record })
                .map_err(|error| refuse(next - 1, Box::new(error)))?;
        }
        Ok(())
    }

    fn committed(&self, next_offset: u64) {
        for slot in &self.0.slots {
            let mut status = lock(&slot.status);
            if status.attached {
                Cache::landed(&slot.cache);
            }
            if status.attached && status.record.since < next_offset {
                status.record.since = next_offset;
                drop(status);
                slot.changed.notify_all();
            }
        }
        self.0.kick();
    }
}
