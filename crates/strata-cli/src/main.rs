//! `strata`: run the node-runtime demo, or look inside any Strata database.
#![forbid(unsafe_code)]

mod demo;
mod error;
mod inspect;
mod output;
mod schema;

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

Exit codes: 0 success, 1 internal error, 2 usage error, 3 database cannot be opened
(missing, locked, corrupt), 4 bad input (hex, column, key length, a checkpoint path that
exists or has no parent directory), 5 problems found, 6 key not found.";

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
    },
    /// Columns with approximate key counts and sizes.
    Stats {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Entries of a column within a key range.
    Scan {
        /// Column name.
        column: String,
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
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
    Get {
        /// Column name.
        column: String,
        /// Key, in hex.
        key: String,
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Verify that every key has a length its column's schema allows and every value decodes.
    Check {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Write a consistent copy of the database to a new directory.
    Checkpoint {
        /// Directory to create (it must not exist yet).
        dir: PathBuf,
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
    /// Compact every column.
    Compact {
        /// Database directory.
        #[arg(long, default_value = "strata-data")]
        db: PathBuf,
    },
}

fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output { json: cli.json };
    match cli.command {
        Command::Demo { db, contexts, calls, reset } => {
            demo::run(&demo::DemoArgs { db, contexts, calls, reset }, &out)
        }
        Command::Stats { db } => inspect::stats(&db, &out),
        Command::Scan { column, db, prefix, from, to, reverse, limit } => {
            let args = inspect::ScanArgs {
                column: &column,
                prefix: prefix.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                reverse,
                limit,
            };
            inspect::scan(&db, &args, &out)
        }
        Command::Get { column, key, db } => inspect::get(&db, &column, &key, &out),
        Command::Check { db } => inspect::check(&db, &out),
        Command::Checkpoint { dir, db } => inspect::checkpoint(&db, &dir, &out),
        Command::Compact { db } => inspect::compact(&db, &out),
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
