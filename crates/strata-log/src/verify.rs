//! Signatures: how entries are signed and checked.
//!
//! The store checks every entry a peer sends through a [`Verifier`]. Not checking is a choice an
//! application makes explicitly, with [`NoVerification`]; there is no default. With the `ed25519`
//! feature, [`Ed25519`] checks ed25519 signatures by the author's key and [`Ed25519Signer`] signs
//! a local author's appends.

use crate::entry::Author;

/// Checks that `signature` is `author`'s signature over `message`.
pub trait Verifier: Send + Sync {
    /// Whether the signature is valid.
    fn verify(&self, author: &Author, message: &[u8], signature: &[u8]) -> bool;
}

/// Signs a local author's entries.
pub trait Signer: Send + Sync {
    /// The author (public key) whose entries this signs.
    fn author(&self) -> Author;

    /// The signature over `message`.
    fn sign(&self, message: &[u8]) -> Vec<u8>;
}

/// Accepts every signature. Use it only where entries come from a party already trusted (a test,
/// a single-node deployment whose entries never leave it); it must be chosen explicitly.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVerification;

impl Verifier for NoVerification {
    fn verify(&self, _: &Author, _: &[u8], _: &[u8]) -> bool {
        true
    }
}

/// Signs nothing: entries carry an empty signature. The counterpart of [`NoVerification`], for
/// local authors whose entries are never checked by anyone.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned(pub Author);

impl Signer for Unsigned {
    fn author(&self) -> Author {
        self.0
    }

    fn sign(&self, _: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}

#[cfg(feature = "ed25519")]
pub use ed25519::{Ed25519, Ed25519Signer};

#[cfg(feature = "ed25519")]
mod ed25519 {
    use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

    use super::{Signer, Verifier};
    use crate::entry::Author;

    /// Checks ed25519 signatures: the author is the 32-byte public key, the signature 64 bytes,
    /// verified strictly (no malleable signatures, no small-order keys).
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Ed25519;

    impl Verifier for Ed25519 {
        fn verify(&self, author: &Author, message: &[u8], signature: &[u8]) -> bool {
            let Ok(key) = VerifyingKey::from_bytes(&author.0) else { return false };
            let Ok(signature) = Signature::from_slice(signature) else { return false };
            key.verify_strict(message, &signature).is_ok()
        }
    }

    /// Signs with an ed25519 secret key; the author is its public key. The key is zeroised when
    /// dropped, and `Debug` shows only the author.
    pub struct Ed25519Signer(SigningKey);

    impl Ed25519Signer {
        /// A signer from a 32-byte secret key.
        pub fn from_secret(secret: &[u8; 32]) -> Self {
            Self(SigningKey::from_bytes(secret))
        }
    }

    impl std::fmt::Debug for Ed25519Signer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_tuple("Ed25519Signer").field(&Signer::author(self)).finish()
        }
    }

    impl Signer for Ed25519Signer {
        fn author(&self) -> Author {
            Author(self.0.verifying_key().to_bytes())
        }

        fn sign(&self, message: &[u8]) -> Vec<u8> {
            self.0.sign(message).to_bytes().to_vec()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn signatures_verify_only_for_their_message_and_author() {
            let signer = Ed25519Signer::from_secret(&[7; 32]);
            let other = Ed25519Signer::from_secret(&[8; 32]);
            let signature = signer.sign(b"message");
            assert!(Ed25519.verify(&signer.author(), b"message", &signature));
            assert!(!Ed25519.verify(&signer.author(), b"messagE", &signature));
            assert!(!Ed25519.verify(&other.author(), b"message", &signature));
            assert!(!Ed25519.verify(&signer.author(), b"message", &signature[1..]));
            assert!(!format!("{signer:?}").contains("0707"), "no secret in Debug");
        }
    }
}
