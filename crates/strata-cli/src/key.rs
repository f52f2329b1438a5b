//! Where the CLI gets an encrypted database's key: `STRATA_KEY` (64 hex digits, 32 bytes) or
//! `STRATA_PASSPHRASE`; else, when stdin is a terminal, a prompt that does not echo; else none.
//! A new key (`strata rekey`) comes from `STRATA_NEW_KEY` or `STRATA_NEW_PASSPHRASE`, or a
//! prompt asked twice.
//!
//! No key or passphrase is ever printed: errors name the variable, never its value. What was read
//! is handed to [`UnlockKey`], which wipes it when dropped; the copies made on the way are wiped
//! here.

use std::io::IsTerminal as _;

use strata::encryption::{Encrypted, EncryptedDb, KEY_LEN, UnlockKey};
use strata::{Database, Either, Store};

use crate::error::CliError;

/// Whether the database has a key ring: its values are sealed.
pub(crate) fn is_encrypted<D: Database>(store: &Store<D>) -> Result<bool, CliError> {
    let versions = strata::versions::VERSIONS.name();
    Ok(store.db().columns().iter().any(|c| c.name() == versions) && Encrypted::is_encrypted(store)?)
}

/// A database as the commands that read and write its values (`kv`, `log`, `views`, `migrate`)
/// use it: as stored when it is plaintext, through [`EncryptedDb`] when it is encrypted, so
/// values read are opened and values written are sealed.
pub(crate) type Unlocked<D> = Either<D, EncryptedDb<D>>;

/// The key `db` needs, checked against its key ring: `None` when it is not encrypted; else the
/// current key, which the command cannot do without ([`CliError::NoKey`] when none is given,
/// `WrongKey` when it does not unlock the database). `what` names the database for the prompt.
pub(crate) fn for_database<D: Database>(db: &D, what: &str) -> Result<Option<UnlockKey>, CliError> {
    if !is_encrypted(&Store::new(db))? {
        return Ok(None);
    }
    let key = required(what)?;
    EncryptedDb::open(db, &key)?;
    Ok(Some(key))
}

/// `db` with `key` ([`for_database`]'s answer): through [`EncryptedDb`] when there is one.
pub(crate) fn unlock_with<D: Database>(
    db: D,
    key: Option<&UnlockKey>,
) -> Result<Unlocked<D>, CliError> {
    Ok(match key {
        Some(key) => Either::Right(EncryptedDb::open(db, key)?),
        None => Either::Left(db),
    })
}

/// `db`, through [`EncryptedDb`] with its key when it is encrypted (see [`for_database`]).
pub(crate) fn unlock<D: Database>(db: D, what: &str) -> Result<Unlocked<D>, CliError> {
    if !is_encrypted(&Store::new(&db))? {
        return Ok(Either::Left(db));
    }
    Ok(Either::Right(EncryptedDb::open(db, &required(what)?)?))
}

/// The current key, as 64 hex digits.
pub(crate) const KEY_VARIABLE: &str = "STRATA_KEY";
/// The current passphrase.
pub(crate) const PASSPHRASE_VARIABLE: &str = "STRATA_PASSPHRASE";
/// The new key of `strata rekey`, as 64 hex digits.
pub(crate) const NEW_KEY_VARIABLE: &str = "STRATA_NEW_KEY";
/// The new passphrase of `strata rekey`.
pub(crate) const NEW_PASSPHRASE_VARIABLE: &str = "STRATA_NEW_PASSPHRASE";

/// The variables that give one key: its 64 hex digits, or a passphrase.
#[derive(Clone, Copy)]
struct Variables {
    key: &'static str,
    passphrase: &'static str,
}

const CURRENT: Variables = Variables { key: KEY_VARIABLE, passphrase: PASSPHRASE_VARIABLE };
const NEW: Variables = Variables { key: NEW_KEY_VARIABLE, passphrase: NEW_PASSPHRASE_VARIABLE };

/// The current key of the database `what` names, if one is given. `optional`: the command
/// works without one (the inspector shows sizes instead of values), so an empty answer to the
/// prompt means none.
pub(crate) fn current(what: &str, optional: bool) -> Result<Option<UnlockKey>, CliError> {
    if let Some(key) = from_environment(CURRENT)? {
        return Ok(Some(key));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let hint = if optional { "; empty to read without it" } else { "" };
    let answer = prompt(&format!("key for {what} (passphrase, or 64 hex digits{hint}): "))?;
    if answer.is_empty() {
        return if optional { Ok(None) } else { Err(CliError::NoKey { variables: CURRENT_NAMES }) };
    }
    parse_answer(answer).map(Some)
}

/// The current key of the database `what` names: a command that cannot do without it.
pub(crate) fn required(what: &str) -> Result<UnlockKey, CliError> {
    current(what, false)?.ok_or(CliError::NoKey { variables: CURRENT_NAMES })
}

/// A key for a database that has none yet (`strata encrypt`) or the new key of `strata rekey`,
/// from `variables`, or asked twice on a terminal.
fn fresh(variables: Variables, names: &'static str, what: &str) -> Result<UnlockKey, CliError> {
    if let Some(key) = from_environment(variables)? {
        return Ok(key);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::NoKey { variables: names });
    }
    let first = prompt(&format!("{what} (passphrase, or 64 hex digits): "))?;
    if first.is_empty() {
        return Err(CliError::NoKey { variables: names });
    }
    let second = prompt("again, to confirm: ")?;
    let same = first == second;
    wipe(second);
    if !same {
        wipe(first);
        return Err(CliError::KeysDiffer);
    }
    parse_answer(first)
}

/// The key `strata encrypt` seals a plaintext database under: `STRATA_KEY` or
/// `STRATA_PASSPHRASE`, or asked twice.
pub(crate) fn for_new_database(what: &str) -> Result<UnlockKey, CliError> {
    fresh(CURRENT, CURRENT_NAMES, &format!("key to encrypt {what} with"))
}

/// The new key of `strata rekey`: `STRATA_NEW_KEY` or `STRATA_NEW_PASSPHRASE`, or asked twice.
pub(crate) fn new_key(what: &str) -> Result<UnlockKey, CliError> {
    fresh(NEW, NEW_NAMES, &format!("new key for {what}"))
}

/// How the current key's variables are named in messages.
const CURRENT_NAMES: &str = "STRATA_KEY (64 hex digits) or STRATA_PASSPHRASE";
/// How the new key's variables are named in messages.
const NEW_NAMES: &str = "STRATA_NEW_KEY (64 hex digits) or STRATA_NEW_PASSPHRASE";

/// The key `variables` give, if they give one; a variable set to nothing counts as unset.
fn from_environment(variables: Variables) -> Result<Option<UnlockKey>, CliError> {
    let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (read(variables.key), read(variables.passphrase)) {
        (Some(key), Some(passphrase)) => {
            wipe(key);
            wipe(passphrase);
            Err(CliError::BadKey {
                origin: variables.key,
                reason: format!("{} is set too: give one of them", variables.passphrase),
            })
        }
        (Some(key), None) => parse_hex_key(key, variables.key).map(Some),
        (None, Some(passphrase)) => Ok(Some(UnlockKey::passphrase(passphrase))),
        (None, None) => Ok(None),
    }
}

/// 64 hex digits as a 32-byte key; `source` names where they came from, for the error (which
/// never quotes them).
fn parse_hex_key(text: String, source: &'static str) -> Result<UnlockKey, CliError> {
    let mut bytes = [0_u8; KEY_LEN];
    let digits = text.trim();
    let digits = digits.strip_prefix("0x").unwrap_or(digits);
    let parsed = hex::decode_to_slice(digits, &mut bytes);
    wipe(text);
    match parsed {
        Ok(()) => {
            let key = UnlockKey::from_bytes(bytes);
            bytes.fill(0);
            std::hint::black_box(&bytes);
            Ok(key)
        }
        Err(_) => Err(CliError::BadKey {
            origin: source,
            reason: format!("it must be {} hex digits ({KEY_LEN} bytes)", KEY_LEN * 2),
        }),
    }
}

/// An answer typed at the prompt: 64 hex digits are a 32-byte key, anything else a passphrase.
fn parse_answer(answer: String) -> Result<UnlockKey, CliError> {
    let digits = answer.strip_prefix("0x").unwrap_or(&answer);
    if digits.len() == KEY_LEN * 2 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        parse_hex_key(answer, "the prompt")
    } else {
        Ok(UnlockKey::passphrase(answer))
    }
}

/// Asks on the terminal without echoing.
fn prompt(text: &str) -> Result<String, CliError> {
    rpassword::prompt_password(text).map_err(CliError::io("the terminal"))
}

/// Overwrites a secret's bytes before its memory is freed (best effort: the allocator may
/// have moved it before).
fn wipe(secret: String) {
    let mut bytes = secret.into_bytes();
    bytes.fill(0);
    std::hint::black_box(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hex_key_must_be_32_bytes_and_is_never_quoted() {
        assert!(parse_hex_key("ab".repeat(32), KEY_VARIABLE).is_ok());
        assert!(parse_hex_key(format!("0x{}", "AB".repeat(32)), KEY_VARIABLE).is_ok());
        for bad in ["ab".repeat(31), "zz".repeat(32), "ab".repeat(33)] {
            let error = parse_hex_key(bad.clone(), KEY_VARIABLE).err().unwrap().to_string();
            assert!(error.contains("STRATA_KEY") && error.contains("64 hex digits"), "{error}");
            assert!(!error.contains(&bad), "{error}");
        }
    }

    #[test]
    fn a_prompted_answer_of_64_hex_digits_is_a_key() {
        let key = parse_answer("cd".repeat(32)).unwrap();
        assert_eq!(format!("{key:?}"), "UnlockKey::Bytes(<redacted>)");
        let passphrase = parse_answer("correct horse".to_owned()).unwrap();
        assert!(format!("{passphrase:?}").starts_with("UnlockKey::Passphrase(<redacted>"));
    }
}
