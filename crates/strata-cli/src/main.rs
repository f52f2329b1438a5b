//! `strata`: run the node-runtime demo, or look inside any Strata database.
#![forbid(unsafe_code)]

mod copy;
mod demo;
mod encrypt;
mod error;
mod etcd;
mod inspect;
mod key;
mod kv;
mod ledger;
mod location;
mod log;
mod migrate;
mod output;
mod schema;
mod views;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;
use crate::output::Output;

const EXAMPLES: &str = "\
Examples:
  strata demo                                   run the node-runtime demo in ./strata-data
  strata demo --contexts 50 --calls 200 --reset start over with a bigger run
  strata stats --db strata-data                 columns, approximate keys and bytes
  strata scan state --db strata-data --prefix 0a1b --limit 10
  strata get meta 0a1b…(32 bytes of hex) --db strata-data
  strata check --db strata-data --json
  strata kv ls --db strata-data                 KV namespaces (LDK persistence) and key counts
  strata kv ls monitors --db strata-data        the keys of one namespace, sorted
  strata kv get '' '' manager --hex             one value (raw bytes to stdout without --hex)
  echo -n v | strata kv put payments '' p1      write a value from stdin (or give it as VALUE)
  strata kv import ~/.ldk/data                  copy an LDK FilesystemStore in, verified
  strata log authors --db strata-data           every author's logs: heights, entries, bytes
  strata log show AUTHOR 0 --reverse --limit 5  a log's newest entries (AUTHOR: 64 hex digits)
  strata log topics                             each topic and the logs it names
  strata log verify --ed25519                   walk every hash chain (and check signatures)
  strata views --db strata-data                 every view over the log: version, mode, lag, state
  strata views rebuild entry_counts             rebuild a view from the start of the log
  strata migrate --dry-run                      what migrating to this build's schemas would change
  strata migrate                                run the missing migration steps, resumably
  strata copy strata-data /backup/strata        copy every column from one snapshot, verified
  strata copy strata-data etcd://127.0.0.1:2379/node-1   the same, into a root on etcd
  strata stats --etcd 127.0.0.1:2379 --root node-1      inspect a database on etcd
  strata etcd-dev                               a local three-member etcd cluster to try Strata on
  STRATA_KEY=<64 hex digits> strata encrypt strata-data    encrypt a database, resumably
  STRATA_KEY=… strata scan state --db strata-data          read an encrypted database's values
  STRATA_KEY=… STRATA_NEW_PASSPHRASE=… strata rekey strata-data --rotate   new key, new value key

Keys: an encrypted database's key comes from STRATA_KEY (64 hex digits) or STRATA_PASSPHRASE, or
is asked for (not echoed) when stdin is a terminal; a new one (`rekey`) from STRATA_NEW_KEY or
STRATA_NEW_PASSPHRASE, or asked for twice. Without a key, `scan` and `get` show each value's size
only and `check` checks keys only.

Exit codes: 0 success, 1 internal error, 2 usage error, 3 database cannot be opened
(missing, locked, corrupt, a wrong key), 4 bad input (hex, column, key length, a checkpoint path
that exists or has no parent directory, an invalid KV name, an author that is not 32 bytes, an
invalid view name, a key that is missing or not 64 hex digits), 5 problems found (a check, a
verification, a broken log, a value that fails authentication), 6 not found (a key, a log, a
view, or no KV, log or views data at all).";

const LOG_EXIT_CODES: &str = "\
Exit codes: 0 success, 1 internal error, 2 usage error, 3 database cannot be opened, 4 bad
input (an author that is not 32 bytes of hex), 5 `log verify` found a broken log, 6 the
database holds no log data, or `log show` names a log that has no entries.";

const MIGRATE_EXIT_CODES: &str = "\
Exit codes: 0 success (migrated, or nothing to migrate), 1 internal error (a step failed on an
entry or the database failed: what was committed stays, and running it again resumes), 2 usage
error, 3 the database cannot be opened (or the key does not unlock an encrypted one) or this
build cannot migrate it (a newer version: upgrade; a version with no step to this one), 4 the
database is encrypted and no key was given (STRATA_KEY or STRATA_PASSPHRASE), or it is not 64
hex digits.";

const VIEWS_EXIT_CODES: &str = "\
Exit codes: 0 success (a view the CLI has no code for is marked for rebuild), 1 internal error
(a view failed to rebuild), 2 usage error, 3 database cannot be opened, 4 bad input (a view
name that is not 1 to 64 characters of A-Z a-z 0-9 _ . -), 6 the database holds no views, or
`views rebuild` names a view it does not hold.";

/// Strata: a layered, typed key-value storage engine over RocksDB.
#[derive(Parser)]
#[command(name = "strata", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play a node runtime: contexts, calls in Temporal layers, atomic commits, then verify.
    Demo {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
        /// Contexts to create.
        #[arg(long, default_value_t = 100)]
        contexts: u32,
        /// Calls to execute per context.
        #[arg(long, default_value_t = 200)]
        calls: u32,
        /// Delete the database directory first.
        #[arg(long)]
        reset: bool,
        /// Skip the last step, which starts a local etcd cluster and copies the database there.
        #[arg(long)]
        no_etcd: bool,
    },
    /// Columns with approximate key counts and sizes.
    Stats {
        #[command(flatten)]
        at: At,
    },
    /// Entries of a column within a key range.
    ///
    /// On an encrypted database, values are shown with its key (`STRATA_KEY` or
    /// `STRATA_PASSPHRASE`, or asked for on a terminal), each one that fails authentication as an
    /// error of its own (exit code 5 once the scan is done), and by size alone without the key.
    Scan {
        /// Column name.
        column: String,
        #[command(flatten)]
        at: At,
        /// Only keys starting with these hex bytes.
        #[arg(long)]
        prefix: Option<String>,
        /// From this hex key (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// To this hex key (exclusive).
        #[arg(long)]
        to: Option<String>,
        /// Largest keys first.
        #[arg(long)]
        reverse: bool,
        /// At most this many entries.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One entry by its hex key.
    ///
    /// On an encrypted database, the value is shown with its key (`STRATA_KEY` or
    /// `STRATA_PASSPHRASE`, or asked for on a terminal), and by size alone without it.
    Get {
        /// Column name.
        column: String,
        /// Key, in hex.
        key: String,
        #[command(flatten)]
        at: At,
    },
    /// Verify that every key has a length its column's schema allows and every value decodes.
    ///
    /// On an encrypted database, values are opened with its key (`STRATA_KEY` or
    /// `STRATA_PASSPHRASE`, or asked for on a terminal; one that fails authentication is a
    /// problem); without the key, only keys are checked.
    Check {
        #[command(flatten)]
        at: At,
    },
    /// Write a consistent copy of the database to a new directory.
    Checkpoint {
        /// Directory to create (it must not exist yet).
        dir: PathBuf,
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Copy every column of the database at SRC into a new database at DST, from one snapshot
    /// (a directory is opened read-only; on etcd, every read is at one revision), then re-read
    /// both and compare each column's entries, bytes and hash.
    ///
    /// SRC and DST are directories, or roots on etcd written `etcd://HOST:PORT[,HOST:PORT…]/ROOT`
    /// (credentials, if the cluster wants them: `STRATA_ETCD_USER=name:password`). DST must be a new
    /// or empty directory, or a root nothing is stored under; it gets the same columns and prefix
    /// lengths. Writes go in atomic batches (at most 10 000 entries / 16 MiB each; on etcd, within
    /// the cluster's transaction limits), the last one synced.
    #[command(after_help = copy::EXIT_CODES)]
    Copy {
        /// The database to copy: a directory, or etcd://HOST:PORT[,…]/ROOT.
        src: String,
        /// Where to create the copy: a new or empty directory, or an unused etcd root.
        dst: String,
    },
    /// Bring every schema this build knows up to its version: run each schema's missing
    /// migration steps in order, in bounded batches that each commit their progress (a killed
    /// migration resumes where it stopped), then remove the column families they emptied.
    ///
    /// `--dry-run` opens the database read-only and reports what each step would read, write and
    /// delete per column, writing nothing. Column families no schema of this build claims are
    /// reported and kept.
    #[command(after_help = MIGRATE_EXIT_CODES)]
    Migrate {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Start a local etcd cluster (from the `etcd` binary) on free loopback ports, to try Strata
    /// on etcd; print its endpoints and run until interrupted, when the members stop too.
    EtcdDev {
        /// Directory for the members' data.
        #[arg(long, default_value = "strata-etcd-dev")]
        dir: PathBuf,
        /// Members of the cluster.
        #[arg(long, default_value_t = 3)]
        members: usize,
    },
    /// Encrypt an existing plaintext database in place: every value of every column is sealed
    /// (AES-256-GCM-SIV) under a new value key, itself wrapped under the key given
    /// (`STRATA_KEY`, 64 hex digits, or `STRATA_PASSPHRASE`; asked twice on a terminal).
    ///
    /// Works in committed batches, each recording how far it got: a run that is stopped resumes
    /// where it was when run again, with the same key; a database already encrypted is reported
    /// as such. Then every column is compacted, so that the plaintext leaves the table files.
    /// Nothing else may use the database meanwhile. Keep the key: without it the values cannot
    /// be read.
    #[command(after_help = encrypt::ENCRYPT_EXIT_CODES)]
    Encrypt {
        /// Database directory.
        dir: PathBuf,
    },
    /// Put an encrypted database under a new key: its keys are rewrapped under the new key in
    /// one write, after which the old key no longer opens it. The current key comes from
    /// `STRATA_KEY` or `STRATA_PASSPHRASE`, the new one from `STRATA_NEW_KEY` (64 hex digits) or
    /// `STRATA_NEW_PASSPHRASE` (each asked for on a terminal, the new one twice).
    ///
    /// With --rotate, the value key is replaced first: every value is resealed under a new one,
    /// in committed batches that resume where a stopped run was. Then every column is compacted,
    /// so that the old key's wrapping (and the values sealed under the old value key) leave the
    /// table files.
    #[command(after_help = encrypt::REKEY_EXIT_CODES)]
    Rekey {
        /// Database directory.
        dir: PathBuf,
        /// Also replace the value key, resealing every value.
        #[arg(long)]
        rotate: bool,
    },
    /// Compact every column.
    Compact {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Namespaced blobs as LDK persists them: list, read, write, remove, import and export.
    ///
    /// A value lives at PRIMARY/SECONDARY/KEY. Names use the characters A-Z a-z 0-9 _ -, at most
    /// 120 of them; namespaces may be empty ('' on the command line), keys may not, and a
    /// secondary namespace needs a primary one.
    Kv {
        /// Database directory.
        #[arg(long, global = true, default_value = "strata-data")]
        db: PathBuf,
        #[command(subcommand)]
        command: KvCommand,
    },
    /// Append-only, hash-linked logs per author, as the log store keeps them: authors, entries,
    /// topics, and a verification of every chain. Only reads.
    ///
    /// An author is its 32-byte public key, given and shown as 64 hex digits; each author has
    /// logs numbered by a u64, each log entries from seq 0, every one linked to the hash of the
    /// one before.
    #[command(after_help = LOG_EXIT_CODES)]
    Log {
        /// Database directory.
        #[arg(long, global = true, default_value = "strata-data")]
        db: PathBuf,
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Views over the log, as `strata::views` keeps them: every registered view with its
    /// version, mode (in step or behind), since (it reflects every entry below this arrival
    /// offset), lag (entries it does not reflect yet) and state (ready, rebuilding, rebuilding
    /// (clearing)).
    ///
    /// Listing reads the registry, which any application's views are in. `views rebuild NAME`
    /// rebuilds one of the demo's views (`entry_counts`, `latest_by_topic`, `settings`) from the
    /// start of the log here; any other view it marks, to be rebuilt by its application the next
    /// time that opens its views.
    #[command(after_help = VIEWS_EXIT_CODES)]
    Views {
        /// Database directory.
        #[arg(long, global = true, default_value = "strata-data")]
        db: PathBuf,
        #[command(subcommand)]
        command: Option<ViewsCommand>,
    },
}

/// Where an inspector command's database is: a directory, or a root on etcd.
#[derive(clap::Args)]
struct At {
    /// Database directory.
    #[arg(long, default_value = "strata-data")]
    db: PathBuf,
    /// Read a database on etcd instead: the cluster's endpoints, HOST:PORT or URLs,
    /// comma-separated (credentials, if the cluster wants them: `STRATA_ETCD_USER=name:password`).
    #[arg(long, value_name = "ENDPOINTS", requires = "root", conflicts_with = "db")]
    etcd: Option<String>,
    /// With --etcd: the root the database is stored under.
    #[arg(long, value_name = "NAME", requires = "etcd")]
    root: Option<String>,
}

impl At {
    fn location(self) -> Result<location::Location, CliError> {
        match (self.etcd, self.root) {
            (Some(endpoints), Some(root)) => {
                location::Location::etcd(location::endpoint_list(&endpoints), root)
            }
            _ => Ok(location::Location::Dir(self.db)),
        }
    }
}

/// `strata views …`: the views of `strata::views` in a database.
#[derive(Subcommand)]
enum ViewsCommand {
    /// Rebuild a view from the start of the log, with a progress bar, and print where it stands;
    /// a view this CLI has no code for is marked, for its application to rebuild.
    #[command(after_help = VIEWS_EXIT_CODES)]
    Rebuild {
        /// The view's name, as `strata views` lists it.
        name: String,
    },
}

/// `strata log …`: the logs of `strata::log` in a database.
#[derive(Subcommand)]
enum LogCommand {
    /// Every author (hex) with its logs: first seq, height (latest seq), entries and bytes.
    Authors,
    /// One log's entries: seq, hash, backlink, timestamp, payload size and payload preview.
    ///
    /// The preview is the payload's text when it is printable UTF-8, else hex, or "(payload
    /// dropped)" when the store kept only the header. Tables shorten hashes; --json gives them
    /// whole.
    #[command(after_help = LOG_EXIT_CODES)]
    Show {
        /// The author: its public key, 64 hex digits.
        author: String,
        /// The log id.
        log: u64,
        /// Only entries with a seq above this one.
        #[arg(long)]
        after: Option<u64>,
        /// At most this many entries.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Newest first.
        #[arg(long)]
        reverse: bool,
    },
    /// Every topic (hex) with the (author, log) pairs it names.
    Topics,
    /// Walk every log of every author and report each broken one (exit code 5).
    ///
    /// A log is sound when each header decodes, seqs have no gaps, each backlink is the previous
    /// entry's hash, the hash index and payloads match their headers and the log's recorded
    /// state agrees with what it holds.
    #[command(after_help = LOG_EXIT_CODES)]
    Verify {
        /// Also check every entry's signature as an ed25519 signature by its author.
        #[arg(long)]
        ed25519: bool,
    },
}

fn run_log(db: &std::path::Path, command: LogCommand, out: &Output) -> Result<(), CliError> {
    match command {
        LogCommand::Authors => log::authors(db, out),
        LogCommand::Show { author, log, after, limit, reverse } => {
            let args = log::ShowArgs { author: &author, log_id: log, after, limit, reverse };
            log::show(db, &args, out)
        }
        LogCommand::Topics => log::topics(db, out),
        LogCommand::Verify { ed25519 } => log::verify(db, ed25519, out),
    }
}

/// `strata kv …`: values at PRIMARY/SECONDARY/KEY.
#[derive(Subcommand)]
enum KvCommand {
    /// Without arguments: every namespace with its key count. With PRIMARY [SECONDARY]: the
    /// keys of that namespace, sorted.
    Ls {
        /// Primary namespace (`''` for the empty one).
        primary: Option<String>,
        /// Secondary namespace (default: empty).
        secondary: Option<String>,
        /// Without a namespace: also list every PRIMARY/SECONDARY/KEY.
        #[arg(long)]
        all: bool,
    },
    /// Print a value: its raw bytes to stdout, or hex with --hex.
    Get {
        /// Primary namespace.
        primary: String,
        /// Secondary namespace.
        secondary: String,
        /// Key.
        key: String,
        /// Print the value as hex.
        #[arg(long)]
        hex: bool,
    },
    /// Write a value (synced before the command returns), replacing any earlier one.
    Put {
        /// Primary namespace.
        primary: String,
        /// Secondary namespace.
        secondary: String,
        /// Key.
        key: String,
        /// The value; read from stdin when absent or `-`.
        value: Option<String>,
        /// The value (argument or stdin) is hex.
        #[arg(long)]
        hex: bool,
    },
    /// Remove a value; removing an absent key is not an error.
    Rm {
        /// Primary namespace.
        primary: String,
        /// Secondary namespace.
        secondary: String,
        /// Key.
        key: String,
        /// LDK's lazy remove: visible at once, durable with the next synced write.
        #[arg(long)]
        lazy: bool,
    },
    /// Copy every key of a directory of LDK's filesystem store (lightning-persister) into the
    /// database, in atomic batches (at most 1000 keys / 64 MiB each), then re-read both sides
    /// and compare every value.
    Import {
        /// The filesystem store's data directory.
        dir: PathBuf,
    },
    /// Copy every key of the database into a new directory of LDK's filesystem store
    /// (lightning-persister), then re-read both sides and compare every value.
    Export {
        /// Directory to write the filesystem store into (new or empty).
        dir: PathBuf,
    },
}

fn run_kv(db: &std::path::Path, command: KvCommand, out: &Output) -> Result<(), CliError> {
    use strata::kv::Address;
    match command {
        KvCommand::Ls { primary: None, all, .. } => kv::ls_namespaces(db, all, out),
        KvCommand::Ls { primary: Some(primary), secondary, .. } => {
            kv::ls_keys(db, &primary, secondary.as_deref().unwrap_or_default(), out)
        }
        KvCommand::Get { primary, secondary, key, hex } => {
            kv::get(db, &Address::new(primary, secondary, key), hex, out)
        }
        KvCommand::Put { primary, secondary, key, value, hex } => {
            kv::put(db, &Address::new(primary, secondary, key), value.as_deref(), hex, out)
        }
        KvCommand::Rm { primary, secondary, key, lazy } => {
            kv::rm(db, &Address::new(primary, secondary, key), lazy, out)
        }
        KvCommand::Import { dir } => kv::import(db, &dir, out),
        KvCommand::Export { dir } => kv::export(db, &dir, out),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output { json: cli.json };
    match cli.command {
        Command::Demo { db, contexts, calls, reset, no_etcd } => {
            demo::run(&demo::DemoArgs { db, contexts, calls, reset, etcd: !no_etcd }, &out)
        }
        Command::Stats { at } => inspect::stats(&at.location()?, &out),
        Command::Scan { column, at, prefix, from, to, reverse, limit } => {
            let args = inspect::ScanArgs {
                column: &column,
                prefix: prefix.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                reverse,
                limit,
            };
            inspect::scan(&at.location()?, &args, &out)
        }
        Command::Get { column, key, at } => inspect::get(&at.location()?, &column, &key, &out),
        Command::Check { at } => inspect::check(&at.location()?, &out),
        Command::Checkpoint { dir, db } => inspect::checkpoint(&db, &dir, &out),
        Command::Copy { src, dst } => {
            copy::copy(&location::Location::parse(&src)?, &location::Location::parse(&dst)?, &out)
        }
        Command::EtcdDev { dir, members } => etcd::dev(&dir, members, &out),
        Command::Migrate { db, dry_run } => {
            migrate::migrate(&db, dry_run, !out.json).map(|(text, json)| out.done(&text, &json))
        }
        Command::Compact { db } => inspect::compact(&db, &out),
        Command::Encrypt { dir } => encrypt::encrypt(&dir, &out),
        Command::Rekey { dir, rotate } => encrypt::rekey(&dir, rotate, &out),
        Command::Kv { db, command } => run_kv(&db, command, &out),
        Command::Log { db, command } => run_log(&db, command, &out),
        Command::Views { db, command: None } => views::list(&db, &out),
        Command::Views { db, command: Some(ViewsCommand::Rebuild { name }) } => {
            views::rebuild(&db, &name, &out)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(error.exit_code())
        }
    }
}
