//! The sealed value: how one value is encrypted and bound to its place.
//!
//! ```text
//! format (1) | key version (4, big-endian) | nonce (12) | ciphertext (len of value) | tag (16)
//! ```
//!
//! The value is encrypted with AES-256-GCM-SIV under the value key of that version, with a
//! fresh random nonce, and with associated data that binds it to where it belongs:
//!
//! ```text
//! "strata/value" | format | key version | len(column) (2, big-endian) | column | key
//! ```
//!
//! A sealed value copied under another key or into another column, or relabelled with another
//! key version, fails its tag: [`Sealer::open`] cannot tell those apart from a flipped bit, and
//! reports each as tampering.

use aes_gcm_siv::aead::{AeadInOut as _, KeyInit as _};
use aes_gcm_siv::{Aes256GcmSiv, Nonce, Tag};
use rand::RngCore as _;
use zeroize::Zeroize as _;

use crate::key::Secret;

/// The format byte this build writes and reads.
pub(crate) const FORMAT: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// Bytes a sealed value takes beyond its plaintext: format, key version, nonce and tag.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

const VALUE_DOMAIN: &[u8] = b"strata/value";
const WRAP_DOMAIN: &[u8] = b"strata/key-ring";

/// The key version a sealed value names, if it is shaped like one this build writes.
pub(crate) fn version_of(sealed: &[u8]) -> Option<u32> {
    if sealed.len() < OVERHEAD || sealed[0] != FORMAT {
        return None;
    }
    Some(u32::from_be_bytes(sealed[1..5].try_into().ok()?))
}

/// One key's cipher, with the version it seals under.
#[derive(Clone)]
pub(crate) struct Sealer {
    version: u32,
    cipher: Aes256GcmSiv,
}

impl Sealer {
    pub(crate) fn new(version: u32, key: &Secret) -> Self {
        let cipher = Aes256GcmSiv::new_from_slice(key.0.as_ref())
            .unwrap_or_else(|_| unreachable!("AES-256 takes a 32-byte key"));
        Self { version, cipher }
    }

    pub(crate) fn version(&self) -> u32 {
        self.version
    }

    /// Seals `value` for `key` in `column`.
    pub(crate) fn seal(&self, column: &str, key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut nonce = Nonce::default();
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(OVERHEAD + value.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(value);
        let tag = with_value_ad(self.version, column, key, |ad| {
            self.cipher.encrypt_inout_detached(&nonce, ad, (&mut out[HEADER_LEN..]).into())
        })
        .unwrap_or_else(|_| unreachable!("values are far below AES-GCM-SIV's 64 GiB limit"));
        out.extend_from_slice(&tag);
        out
    }

    /// Opens `sealed` (which names this sealer's version) as the value of `key` in `column`,
    /// into `out`; `false` when it is not authentic there, with `out` wiped.
    pub(crate) fn open(&self, column: &str, key: &[u8], sealed: &[u8], out: &mut Vec<u8>) -> bool {
        if version_of(sealed) != Some(self.version) {
            return false;
        }
        let nonce = Nonce::try_from(&sealed[5..HEADER_LEN]).expect("12 bytes");
        let (body, tag) = sealed[HEADER_LEN..].split_at(sealed.len() - OVERHEAD);
        let tag = Tag::try_from(tag).expect("16 bytes");
        reserve_wiping(out, body.len());
        out.extend_from_slice(body);
        let opened = with_value_ad(self.version, column, key, |ad| {
            self.cipher.decrypt_inout_detached(&nonce, ad, out.as_mut_slice().into(), &tag)
        });
        if opened.is_ok() {
            true
        } else {
            out.zeroize();
            false
        }
    }

    /// Seals `plain` (the key ring's secrets) under this key for `purpose`.
    pub(crate) fn seal_wrapped(&self, purpose: u8, plain: &[u8]) -> Vec<u8> {
        let mut nonce = Nonce::default();
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let ad = wrap_ad(purpose);
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce, &ad, (&mut out[NONCE_LEN..]).into())
            .unwrap_or_else(|_| unreachable!("a key ring is far below the limit"));
        out.extend_from_slice(&tag);
        // The ciphertext is not secret; the plaintext copied in was encrypted in place.
        out
    }

    /// Opens what [`Sealer::seal_wrapped`] made for `purpose` into `out`; `false` when this is
    /// not the key that sealed it, or the bytes were altered.
    pub(crate) fn open_wrapped(&self, purpose: u8, sealed: &[u8], out: &mut Vec<u8>) -> bool {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return false;
        }
        let nonce = Nonce::try_from(&sealed[..NONCE_LEN]).expect("12 bytes");
        let (body, tag) = sealed[NONCE_LEN..].split_at(sealed.len() - NONCE_LEN - TAG_LEN);
        let tag = Tag::try_from(tag).expect("16 bytes");
        reserve_wiping(out, body.len());
        out.extend_from_slice(body);
        let ad = wrap_ad(purpose);
        if self.cipher.decrypt_inout_detached(&nonce, &ad, out.as_mut_slice().into(), &tag).is_ok()
        {
            true
        } else {
            out.zeroize();
            false
        }
    }
}

/// Calls `f` with a value's associated data, built on the stack when it fits (column names and
/// keys are short; a scan builds one per entry).
fn with_value_ad<T>(version: u32, column: &str, key: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    const STACK: usize = 256;
    let column_len = u16::try_from(column.len()).expect("column names are short");
    let parts: [&[u8]; 6] = [
        VALUE_DOMAIN,
        &[FORMAT],
        &version.to_be_bytes(),
        &column_len.to_be_bytes(),
        column.as_bytes(),
        key,
    ];
    let len: usize = parts.iter().map(|part| part.len()).sum();
    if len <= STACK {
        let mut buffer = [0; STACK];
        let mut at = 0;
        for part in parts {
            buffer[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        f(&buffer[..len])
    } else {
        f(&parts.concat())
    }
}

fn wrap_ad(purpose: u8) -> Vec<u8> {
    let mut ad = WRAP_DOMAIN.to_vec();
    ad.push(FORMAT);
    ad.push(purpose);
    ad
}

/// Clears `out` and makes room for `len` bytes; a buffer too small is wiped before it is
/// given back to the allocator, so no plaintext stays behind in freed memory.
pub(crate) fn reserve_wiping(out: &mut Vec<u8>, len: usize) {
    if out.capacity() < len {
        out.zeroize();
        *out = Vec::with_capacity(len);
    } else {
        out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(version: u32) -> Sealer {
        Sealer::new(version, &Secret::random())
    }

    #[test]
    fn a_value_opens_only_where_it_was_sealed() {
        let s = sealer(3);
        let sealed = s.seal("c", b"k", b"secret");
        assert_eq!(sealed.len(), OVERHEAD + 6);
        assert_eq!(version_of(&sealed), Some(3));
        let mut out = Vec::new();
        assert!(s.open("c", b"k", &sealed, &mut out));
        assert_eq!(out, b"secret");
        assert!(!s.open("c", b"k2", &sealed, &mut out), "another key");
        assert!(!s.open("d", b"k", &sealed, &mut out), "another column");
        assert!(out.is_empty(), "a failed open leaves nothing behind");
        // The column's length is in the associated data: ("ab", "c…") is not ("a", "bc…").
        let split = s.seal("ab", b"ck", b"v");
        assert!(!s.open("a", b"bck", &split, &mut out));
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let s = sealer(1);
        let sealed = s.seal("c", b"k", b"value bytes");
        let mut out = Vec::new();
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!s.open("c", b"k", &bad, &mut out), "bit {bit}");
        }
    }

    #[test]
    fn nonces_are_fresh_and_other_keys_fail() {
        let s = sealer(1);
        assert_ne!(s.seal("c", b"k", b"v"), s.seal("c", b"k", b"v"));
        let other = sealer(1);
        let mut out = Vec::new();
        assert!(!other.open("c", b"k", &s.seal("c", b"k", b"v"), &mut out));
        // A relabelled version fails too: the version is in the associated data.
        let mut relabelled = s.seal("c", b"k", b"v");
        relabelled[1..5].copy_from_slice(&2_u32.to_be_bytes());
        assert!(!sealer(2).open("c", b"k", &relabelled, &mut out));
    }

    #[test]
    fn a_wrapped_secret_opens_only_with_its_key_and_purpose() {
        let kek = sealer(0);
        let wrapped = kek.seal_wrapped(1, b"ring");
        let mut out = Vec::new();
        assert!(kek.open_wrapped(1, &wrapped, &mut out));
        assert_eq!(out, b"ring");
        assert!(!kek.open_wrapped(2, &wrapped, &mut out));
        assert!(!sealer(0).open_wrapped(1, &wrapped, &mut out));
        assert!(!kek.open_wrapped(1, &wrapped[..10], &mut out));
    }
}
