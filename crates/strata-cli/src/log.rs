//! `strata log`: the append-only, hash-linked logs of `strata::log` in a database — authors and
//! their logs, one log's entries, topics, and a walk that verifies every chain.
//!
//! Every command here only reads. Nothing is inserted, so the store is opened with
//! [`NoVerification`]: a verifier only judges entries on their way in, and none come in.

use std::path::Path;

use strata::Database;
use strata::log::{Author, Ed25519, Entry, LogState, LogStore, NoVerification, Verifier as _};
use strata::rocksdb::{RocksConfig, RocksDb};

use crate::error::{CliError, parse_hex};
use crate::key::{self, Unlocked};
use crate::output::{LogEntryView, LogSummary, LogVerdict, Output, TopicView};

/// Whether the database was opened with every column of the log store.
fn has_log_columns(db: &impl Database) -> bool {
    let columns = db.columns();
    strata::log::COLUMNS.iter().all(|column| columns.contains(column))
}

/// Opens the log store of an existing database for reading: [`CliError::NoLogData`] when the
/// database has no log columns (nothing is created). An encrypted database is read with its key.
fn open_read(path: &Path) -> Result<LogStore<Db>, CliError> {
    let db = RocksDb::open_existing(&RocksConfig::new(path))?;
    if !has_log_columns(&db) {
        return Err(CliError::NoLogData(path.to_owned()));
    }
    // Read-only inspection: nothing is inserted, so no signature is ever checked through the
    // store's verifier. `log verify --ed25519` checks signatures itself, entry by entry.
    Ok(LogStore::open(key::unlock(db, &path.display().to_string())?, NoVerification)?)
}

/// The database under the log store: as stored, or through its encryption.
type Db = Unlocked<RocksDb>;

/// Parses an author argument: 32 bytes of hex.
fn parse_author(input: &str) -> Result<Author, CliError> {
    let bytes = parse_hex(input)?;
    let len = bytes.len();
    let key: [u8; 32] =
        bytes.try_into().map_err(|_| CliError::BadAuthor { input: input.to_owned(), len })?;
    Ok(Author(key))
}

/// A log's state as output shows it.
fn summary(author: &Author, log_id: u64, state: &LogState) -> LogSummary {
    LogSummary {
        author: author.to_string(),
        log_id,
        first_seq: state.first_seq,
        height: state.latest_seq,
        entries: state.count,
        bytes: state.bytes,
        latest_hash: hex::encode(state.latest_hash),
    }
}

/// Every log of every author, with its state, in author then log order.
fn summaries(store: &LogStore<Db>) -> Result<Vec<(Author, LogSummary)>, CliError> {
    let mut logs = Vec::new();
    for author in store.authors()? {
        for log_id in store.logs(&author)? {
            if let Some(state) = store.log_state(&author, log_id)? {
                logs.push((author, summary(&author, log_id, &state)));
            }
        }
    }
    Ok(logs)
}

/// `log authors`: every author with its logs, heights, entry counts and bytes.
pub(crate) fn authors(path: &Path, out: &Output) -> Result<(), CliError> {
    let store = open_read(path)?;
    let logs: Vec<LogSummary> = summaries(&store)?.into_iter().map(|(_, log)| log).collect();
    out.log_authors(&logs);
    Ok(())
}

/// What `log show` prints.
pub(crate) struct ShowArgs<'a> {
    /// The author, in hex.
    pub(crate) author: &'a str,
    /// The log.
    pub(crate) log_id: u64,
    /// Only entries with a seq above this one.
    pub(crate) after: Option<u64>,
    /// At most this many entries.
    pub(crate) limit: usize,
    /// Newest first.
    pub(crate) reverse: bool,
}

/// How many payload characters an entry's preview shows, when the payload is text.
const PREVIEW_CHARS: usize = 32;
/// How many payload bytes an entry's preview shows as hex, when the payload is not text.
const PREVIEW_BYTES: usize = 12;

/// A payload as a short preview: its text when it is printable UTF-8, else hex.
fn preview(payload: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(payload) {
        Ok(text) if !text.chars().any(char::is_control) => {
            let mut shown: String = text.chars().take(PREVIEW_CHARS).collect();
            if text.chars().count() > PREVIEW_CHARS {
                shown.push('…');
            }
            (shown, "utf8")
        }
        _ => {
            let mut shown = hex::encode(&payload[..payload.len().min(PREVIEW_BYTES)]);
            if payload.len() > PREVIEW_BYTES {
                shown.push('…');
            }
            (shown, "hex")
        }
    }
}

fn entry_view(entry: &Entry) -> LogEntryView {
    let header = &entry.header;
    LogEntryView {
        seq: header.seq,
        hash: entry.hash().to_string(),
        backlink: header.backlink.map(|hash| hash.to_string()),
        timestamp: header.timestamp,
        payload_size: header.payload_size,
        payload: entry.payload.as_deref().map(preview),
    }
}

/// `log show`: one log's entries, oldest first (newest first with `reverse`).
pub(crate) fn show(path: &Path, args: &ShowArgs<'_>, out: &Output) -> Result<(), CliError> {
    let author = parse_author(args.author)?;
    let store = open_read(path)?;
    let state = store
        .log_state(&author, args.log_id)?
        .ok_or_else(|| CliError::NoSuchLog { author: author.to_string(), log_id: args.log_id })?;
    let entries = store.entries(&author, args.log_id, args.after, None)?;
    let entries: Box<dyn Iterator<Item = _>> =
        if args.reverse { Box::new(entries.rev()) } else { Box::new(entries) };
    let mut views = Vec::new();
    for entry in entries.take(args.limit) {
        views.push(entry_view(&entry?));
    }
    out.log_entries(&summary(&author, args.log_id, &state), &views);
    Ok(())
}

/// `log topics`: every topic with the logs it names.
pub(crate) fn topics(path: &Path, out: &Output) -> Result<(), CliError> {
    let store = open_read(path)?;
    let mut topics = Vec::new();
    for topic in store.topics()? {
        let logs = store
            .resolve_topic(&topic)?
            .into_iter()
            .map(|(author, log_id)| (author.to_string(), log_id))
            .collect();
        topics.push(TopicView { topic: topic.to_string(), logs });
    }
    out.log_topics(&topics);
    Ok(())
}

/// `log verify`: walks every log of every author with `verify_log` (and, with `ed25519`, checks
/// every entry's signature as ed25519 by its author); fails when any log is broken.
pub(crate) fn verify(path: &Path, ed25519: bool, out: &Output) -> Result<(), CliError> {
    let store = open_read(path)?;
    let mut verdicts = Vec::new();
    for (author, log) in summaries(&store)? {
        let mut problems: Vec<(Option<u64>, String)> = match store.verify_log(&author, log.log_id) {
            Ok(broken) => broken.into_iter().map(|b| (Some(b.seq), b.problem)).collect(),
            // A log that cannot be walked to the end is broken too; the others are still walked.
            Err(error) => vec![(None, format!("the log cannot be walked: {error}"))],
        };
        if ed25519 {
            problems.extend(signature_problems(&store, &author, log.log_id));
        }
        verdicts.push(LogVerdict { log, problems });
    }
    out.log_verify(&verdicts, ed25519);
    let broken = verdicts.iter().filter(|v| !v.problems.is_empty()).count();
    if broken == 0 { Ok(()) } else { Err(CliError::LogsBroken { broken, logs: verdicts.len() }) }
}

/// Every entry of a log whose signature is not its author's ed25519 signature over its header.
fn signature_problems(
    store: &LogStore<Db>,
    author: &Author,
    log_id: u64,
) -> Vec<(Option<u64>, String)> {
    let mut problems = Vec::new();
    let Ok(entries) = store.entries(author, log_id, None, None) else { return problems };
    for item in entries {
        // What does not decode, `verify_log` has reported already.
        let Ok(entry) = item else { break };
        let header = &entry.header;
        if !Ed25519.verify(&header.author, &header.signing_bytes(), &header.signature) {
            problems.push((Some(header.seq), "the signature is not the author's (ed25519)".into()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_show_text_or_hex_and_say_when_they_are_cut() {
        assert_eq!(preview(b"hello"), ("hello".to_owned(), "utf8"));
        assert_eq!(preview(b"\x00\xff"), ("00ff".to_owned(), "hex"));
        assert_eq!(preview(b"line\n"), ("6c696e650a".to_owned(), "hex"));
        let (long, encoding) = preview("é".repeat(50).as_bytes());
        assert_eq!((long.chars().count(), encoding), (PREVIEW_CHARS + 1, "utf8"));
        assert!(long.ends_with('…'));
        let (bytes, _) = preview(&[0; 30]);
        assert_eq!(bytes, format!("{}…", "00".repeat(PREVIEW_BYTES)));
    }

    #[test]
    fn authors_are_32_bytes_of_hex() {
        assert_eq!(parse_author(&"ab".repeat(32)).unwrap(), Author([0xab; 32]));
        let error = parse_author("abcd").unwrap_err();
        assert_eq!(error.exit_code(), 4);
        assert!(error.to_string().contains("2 bytes"), "{error}");
        assert_eq!(parse_author("xyz").unwrap_err().exit_code(), 4);
    }
}
