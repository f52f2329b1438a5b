//! # Strata views: versioned, persisted reductions of the log that rebuild themselves
//!
//! In flumedb everything an application queries is a *view* over one append-only log: a named
//! reduction with a version, persisted with the log offset it has seen. This crate builds that on
//! Strata's log store ([`strata_log`]) — and makes it atomic with the log and crash-safe:
//!
//! - a [`View`] is a name, a version, the columns it owns, and a reducer turning one entry into
//!   writes (reading its own state through a write buffer); its state lives in ordinary Strata
//!   columns, queried with the typed API and iterators through a [`ViewReader`];
//! - **in step**: the view is updated inside the same atomic commit as the append or peer insert
//!   (through the log store's [`Observer`](strata_log::Observer)), so the two never disagree;
//! - **behind**: a worker reduces committed entries in bounded batches, each batch committed with
//!   the view's new `since`; [`Views::wait_for`] gives read-your-writes and [`Views::lag`] says
//!   how far behind it is;
//! - a view whose stored version differs from its code's is cleared and rebuilt from the start,
//!   resumably (each batch commits its progress), and readers get
//!   [`ViewError::Rebuilding`] until it is done — never a half-built view;
//! - the registry ([`schema`]) records each view's version, mode, phase and `since`;
//! - [`builtin`] views: entry counts per author and log, the latest entry per (topic, author),
//!   and a user-keyed "latest value per key" index.
//!
//! A view reflects the entries it was given in arrival order. Entries pruned from the log stay
//! reflected in views that saw them; a view that reaches them only later (behind, or
//! rebuilding) never sees them.
//!
//! ```
//! use std::time::Duration;
//! use strata_core::MemoryDb;
//! use strata_log::{Author, LogConfig, NoVerification, Unsigned};
//! use strata_views::{Views, builtin::{EntryCounts, LatestByTopic}};
//!
//! let columns = [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &strata_views::builtin::COLUMNS]
//!     .concat();
//! let views = Views::builder()
//!     .in_step(EntryCounts)                 // in every commit of the log
//!     .behind(LatestByTopic::default())     // caught up by a background worker
//!     .open(MemoryDb::new(columns), NoVerification, LogConfig::default())?;
//!
//! let alice = Unsigned(Author([1; 32]));
//! let appended = views.log().append_with(&alice, 0, b"hi", vec![7; 32], None)?;
//! views.wait_for("latest_by_topic", appended.offset, Duration::from_secs(5))?; // read your write
//!
//! let reader = views.reader("latest_by_topic")?;
//! let latest = LatestByTopic::latest(&reader, &strata_log::Topic([7; 32]), &alice.0)?.unwrap();
//! assert_eq!(latest.seq, 0);
//!
//! views.catch_up()?; // everything current (the worker does this too, in the background)
//! assert_eq!(views.lag("entry_counts")?, 0);
//! let reader = views.reader("entry_counts")?;
//! assert_eq!(EntryCounts::author(&reader, &alice.0)?.unwrap().entries, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod builtin;
mod error;
pub mod schema;
mod view;
mod views;

pub use error::{ViewError, ViewResult};
pub use schema::{COLUMNS, Mode, Phase, SCHEMA, ViewRecord};
pub use view::{Committed, Versioned, View, ViewState};
pub use views::{
    DEFAULT_BATCH, Progress, ProgressFn, ViewReader, ViewStatus, Views, ViewsBuilder,
    mark_for_rebuild, registry,
};
