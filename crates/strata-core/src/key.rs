//! Typed, fixed-length, composite keys.
//!
//! A key is a sequence of [`KeyComponent`]s, each with a length known at compile time. Tuples of
//! components are [`KeyComponents`] whose length is the sum of theirs, also at compile time, and a
//! [`Key<T>`] is exactly that many bytes. Components encode so that **byte order is value order**:
//! integers are big-endian (signed ones with the sign bit flipped), so iterating a column in byte
//! order walks its keys in numeric order.
//!
//! Applications declare key types with the [`key!`](crate::key!) macro, which implements
//! [`AsKeyParts`] (column and bytes) and [`FromKeyParts`] (bytes back to the typed key):
//!
//! ```
//! use strata_core::{key, Column, AsKeyParts, FromKeyParts};
//!
//! const BLOCKS: Column = Column::new("blocks");
//!
//! key! {
//!     /// A block of one chain, by height.
//!     pub struct BlockKey in BLOCKS {
//!         chain: [u8; 4],
//!         height: u64,
//!     }
//! }
//!
//! let key = BlockKey { chain: *b"main", height: 7 };
//! let bytes = key.as_key();
//! assert_eq!(bytes.as_bytes(), b"main\0\0\0\0\0\0\0\x07");
//! assert_eq!(BlockKey::from_bytes(bytes.as_bytes()).unwrap(), key);
//! assert!(BlockKey::from_bytes(b"short").is_err());
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Add;

use generic_array::{ArrayLength, GenericArray};
use typenum::{Const, Sum, ToUInt, U, Unsigned};

use crate::column::Column;
use crate::error::KeyError;

/// One fixed-length piece of a key.
///
/// `Len` is the encoded length as a `typenum` number. `write_to` always receives exactly `Len`
/// bytes, and so does `read_from`; `read_from` may still reject bytes that are not a valid value.
pub trait KeyComponent: Sized {
    /// The encoded length in bytes.
    type Len: ArrayLength;

    /// Writes the component into `out`, which is exactly `Len` bytes long.
    fn write_to(&self, out: &mut [u8]);

    /// Reads the component back from exactly `Len` bytes.
    fn read_from(bytes: &[u8]) -> Result<Self, KeyError>;
}

/// A sequence of components: a tuple of [`KeyComponent`]s, with its total length at compile time.
pub trait KeyComponents: Sized {
    /// The summed length of all components.
    type Len: ArrayLength;

    /// Writes every component, in order, into `out` (exactly `Len` bytes).
    fn write_to(&self, out: &mut [u8]);

    /// Reads every component back from exactly `Len` bytes.
    fn read_from(bytes: &[u8]) -> Result<Self, KeyError>;
}

/// The encoded length of a component sequence, in bytes.
pub const fn len_of<T: KeyComponents>() -> usize {
    T::Len::USIZE
}

impl<const N: usize> KeyComponent for [u8; N]
where
    Const<N>: ToUInt,
    U<N>: ArrayLength,
{
    type Len = U<N>;

    fn write_to(&self, out: &mut [u8]) {
        out.copy_from_slice(self);
    }

    fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
        <[u8; N]>::try_from(bytes).map_err(|_| KeyError::InvalidComponent {
            component: std::any::type_name::<Self>(),
            reason: format!("expected {N} bytes, got {}", bytes.len()),
        })
    }
}

macro_rules! unsigned_component {
    ($($int:ty => $len:ty),* $(,)?) => {$(
        /// Big-endian, so byte order is numeric order.
        impl KeyComponent for $int {
            type Len = $len;

            fn write_to(&self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_be_bytes());
            }

            fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
                let array = <[u8; <$len as Unsigned>::USIZE]>::read_from(bytes)?;
                Ok(<$int>::from_be_bytes(array))
            }
        }
    )*};
}

unsigned_component!(u8 => typenum::U1, u16 => typenum::U2, u32 => typenum::U4, u64 => typenum::U8, u128 => typenum::U16);

macro_rules! signed_component {
    ($($int:ty as $uint:ty),* $(,)?) => {$(
        /// Big-endian with the sign bit flipped, so byte order is numeric order (negatives first).
        impl KeyComponent for $int {
            type Len = <$uint as KeyComponent>::Len;

            fn write_to(&self, out: &mut [u8]) {
                #[expect(clippy::cast_sign_loss, reason = "the sign bit is flipped on purpose: order-preserving")]
                let flipped = (*self as $uint) ^ (1 << (<$uint>::BITS - 1));
                flipped.write_to(out);
            }

            fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
                let flipped = <$uint>::read_from(bytes)?;
                #[expect(clippy::cast_possible_wrap, reason = "undoes the sign-bit flip of `write_to`")]
                Ok((flipped ^ (1 << (<$uint>::BITS - 1))) as $int)
            }
        }
    )*};
}

signed_component!(i8 as u8, i16 as u16, i32 as u32, i64 as u64, i128 as u128);

macro_rules! tuple_components {
    ($(($($name:ident),+) => $len:ty where [$($bound:tt)*];)+) => {$(
        impl<$($name: KeyComponent),+> KeyComponents for ($($name,)+)
        where
            $($bound)*
            $len: ArrayLength,
        {
            type Len = $len;

            #[expect(non_snake_case, reason = "bindings are named after the type parameters")]
            fn write_to(&self, out: &mut [u8]) {
                let ($($name,)+) = self;
                let mut at = 0;
                $(
                    let n = <$name::Len as Unsigned>::USIZE;
                    $name.write_to(&mut out[at..at + n]);
                    at += n;
                )+
                debug_assert_eq!(at, out.len());
            }

            #[expect(unused_assignments, reason = "the offset after the last component is never read")]
            fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
                let mut at = 0;
                Ok(($({
                    let n = <$name::Len as Unsigned>::USIZE;
                    let component = $name::read_from(&bytes[at..at + n])?;
                    at += n;
                    component
                },)+))
            }
        }
    )+};
}

// Each arity states that its running sums exist (`X: Add<Y>`); typenum implements `Add` for all
// unsigned numbers, so the bounds always hold for real components.
tuple_components! {
    (A) => A::Len where [];
    (A, B) => Sum<A::Len, B::Len> where [A::Len: Add<B::Len>,];
    (A, B, C) => Sum<Sum<A::Len, B::Len>, C::Len> where [
        A::Len: Add<B::Len>,
        Sum<A::Len, B::Len>: Add<C::Len>,
    ];
    (A, B, C, D) => Sum<Sum<Sum<A::Len, B::Len>, C::Len>, D::Len> where [
        A::Len: Add<B::Len>,
        Sum<A::Len, B::Len>: Add<C::Len>,
        Sum<Sum<A::Len, B::Len>, C::Len>: Add<D::Len>,
    ];
    (A, B, C, D, E) => Sum<Sum<Sum<Sum<A::Len, B::Len>, C::Len>, D::Len>, E::Len> where [
        A::Len: Add<B::Len>,
        Sum<A::Len, B::Len>: Add<C::Len>,
        Sum<Sum<A::Len, B::Len>, C::Len>: Add<D::Len>,
        Sum<Sum<Sum<A::Len, B::Len>, C::Len>, D::Len>: Add<E::Len>,
    ];
}

/// The encoded bytes of a key made of the components `T`: exactly `len_of::<T>()` bytes.
pub struct Key<T: KeyComponents> {
    bytes: GenericArray<u8, T::Len>,
    _components: PhantomData<fn() -> T>,
}

impl<T: KeyComponents> Key<T> {
    /// Encodes `components`.
    pub fn new(components: &T) -> Self {
        let mut bytes = GenericArray::default();
        components.write_to(&mut bytes);
        Self { bytes, _components: PhantomData }
    }

    /// Builds a key by letting `write` fill its bytes (exactly `len_of::<T>()` of them, zeroed).
    ///
    /// This is how [`key!`](crate::key!) encodes struct fields without building a tuple first.
    pub fn encode_with(write: impl FnOnce(&mut [u8])) -> Self {
        let mut bytes = GenericArray::default();
        write(&mut bytes);
        Self { bytes, _components: PhantomData }
    }

    /// Takes key bytes read from `column`, checking their length.
    pub fn try_from_slice(column: Column, bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes = GenericArray::try_from_slice(bytes).map_err(|_| KeyError::WrongLength {
            column: column.name(),
            expected: len_of::<T>(),
            actual: bytes.len(),
        })?;
        Ok(Self { bytes: bytes.clone(), _components: PhantomData })
    }

    /// Decodes the components back.
    pub fn components(&self) -> Result<T, KeyError> {
        T::read_from(&self.bytes)
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T: KeyComponents> Clone for Key<T> {
    fn clone(&self) -> Self {
        Self { bytes: self.bytes.clone(), _components: PhantomData }
    }
}

impl<T: KeyComponents> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T: KeyComponents> Eq for Key<T> {}

impl<T: KeyComponents> PartialOrd for Key<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: KeyComponents> Ord for Key<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<T: KeyComponents> Hash for Key<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<T: KeyComponents> AsRef<[u8]> for Key<T> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<T: KeyComponents> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(")?;
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// One component of a key's layout, as [`AsKeyParts::LAYOUT`] lists them: the field's name, its
/// type as written in the key's declaration, and its encoded width in bytes.
///
/// Tools use the layout to explain a key (`context_id: 32 bytes, state_key: 32 bytes`) without
/// knowing its Rust type; [`key!`](crate::key!) generates it.
///
/// ```
/// use strata_core::{key, AsKeyParts, Column};
/// use strata_core::key::KeyField;
///
/// const BLOCKS: Column = Column::new("blocks");
/// key! { pub struct BlockKey in BLOCKS { chain: [u8; 4], height: u64 } }
///
/// assert_eq!(
///     BlockKey::LAYOUT,
///     &[KeyField::new("chain", "[u8; 4]", 4), KeyField::new("height", "u64", 8)],
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyField {
    name: &'static str,
    type_name: &'static str,
    width: usize,
}

impl KeyField {
    /// Describes a component named `name`, of the type written `type_name`, `width` bytes wide.
    pub const fn new(name: &'static str, type_name: &'static str, width: usize) -> Self {
        Self { name, type_name, width }
    }

    /// The component's field name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The component's type, as written in the key's declaration.
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The component's encoded width in bytes.
    pub const fn width(&self) -> usize {
        self.width
    }
}

impl fmt::Display for KeyField {
    /// `name: width bytes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} bytes", self.name, self.width)
    }
}

/// A typed key: which column it lives in and what its bytes are.
pub trait AsKeyParts: Sized {
    /// The components the key is made of.
    type Components: KeyComponents;

    /// The column every key of this type lives in.
    const COLUMN: Column;

    /// The key's components in order, with their names and widths: its layout for tools and
    /// schema descriptors. [`key!`](crate::key!) fills it in; a hand-written implementation may
    /// leave it empty (the default), which only means tools cannot name the components.
    const LAYOUT: &'static [KeyField] = &[];

    /// The encoded key.
    fn as_key(&self) -> Key<Self::Components>;

    /// The column and the encoded key together.
    fn parts(&self) -> (Column, Key<Self::Components>) {
        (Self::COLUMN, self.as_key())
    }

    /// The encoded length of every key of this type.
    fn key_len() -> usize {
        len_of::<Self::Components>()
    }
}

/// A typed key that can be decoded from its bytes.
pub trait FromKeyParts: AsKeyParts {
    /// Builds the key from its decoded components.
    fn from_key(key: &Key<Self::Components>) -> Result<Self, KeyError>;

    /// Decodes a key read from [`AsKeyParts::COLUMN`], checking the length first.
    fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::from_key(&Key::try_from_slice(Self::COLUMN, bytes)?)
    }
}

/// A key type whose leading bytes are the encoding of a `P`, so that all keys sharing one `P` can
/// be walked as a prefix. [`key!`](crate::key!) implements it for a key's first field.
pub trait HasPrefix<P: KeyComponent>: AsKeyParts {}

/// Encodes a single component, for use as a prefix or a standalone key.
pub fn encode_component<P: KeyComponent>(component: &P) -> GenericArray<u8, P::Len> {
    let mut out = GenericArray::default();
    component.write_to(&mut out);
    out
}

/// Declares a typed key: a struct whose fields are key components, stored in a column.
///
/// The struct gets `Debug`, `Clone`, `PartialEq`, `Eq`, `PartialOrd`, `Ord` and `Hash`;
/// [`AsKeyParts`] (with its [`LAYOUT`](AsKeyParts::LAYOUT): each field's name and width) and
/// [`FromKeyParts`]; and [`HasPrefix`] for its first field's type. Fields are encoded in
/// declaration order, so keys sort by the first field, then the second, and so on.
///
/// ```
/// use strata_core::{key, Column};
///
/// const EVENTS: Column = Column::new("events").with_prefix_len(16);
///
/// key! {
///     /// One event of a session.
///     pub struct EventKey in EVENTS {
///         session: [u8; 16],
///         sequence: u32,
///     }
/// }
///
/// use strata_core::AsKeyParts;
/// let widths: Vec<_> = EventKey::LAYOUT.iter().map(|f| (f.name(), f.width())).collect();
/// assert_eq!(widths, [("session", 16), ("sequence", 4)]);
/// ```
#[macro_export]
macro_rules! key {
    (@write $self:ident, $out:ident, $at:ident, $($field:ident : $ty:ty),+) => {
        $(
            let n = <<$ty as $crate::KeyComponent>::Len as $crate::typenum::Unsigned>::USIZE;
            $crate::KeyComponent::write_to(&$self.$field, &mut $out[$at..$at + n]);
            $at += n;
        )+
    };
    (@field $field:ident : $ty:ty) => {
        $crate::key::KeyField::new(
            ::core::stringify!($field),
            ::core::stringify!($ty),
            <<$ty as $crate::KeyComponent>::Len as $crate::typenum::Unsigned>::USIZE,
        )
    };
    (@read $bytes:ident, $at:ident, $ty:ty) => {{
        let n = <<$ty as $crate::KeyComponent>::Len as $crate::typenum::Unsigned>::USIZE;
        let component = <$ty as $crate::KeyComponent>::read_from(&$bytes[$at..$at + n])?;
        $at += n;
        component
    }};
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident in $column:path {
            $(#[$first_meta:meta])* $first_vis:vis $first:ident : $first_ty:ty
            $(, $(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis struct $name {
            $(#[$first_meta])* $first_vis $first: $first_ty,
            $($(#[$field_meta])* $field_vis $field: $ty,)*
        }

        impl $crate::AsKeyParts for $name {
            type Components = ($first_ty, $($ty,)*);

            const COLUMN: $crate::Column = $column;

            const LAYOUT: &'static [$crate::key::KeyField] = &[
                $crate::key!(@field $first: $first_ty),
                $($crate::key!(@field $field: $ty),)*
            ];

            fn as_key(&self) -> $crate::Key<Self::Components> {
                $crate::Key::encode_with(|out| {
                    let mut at = 0;
                    $crate::key!(@write self, out, at, $first: $first_ty $(, $field: $ty)*);
                    let _ = at;
                })
            }
        }

        impl $crate::FromKeyParts for $name {
            fn from_key(
                key: &$crate::Key<Self::Components>,
            ) -> ::core::result::Result<Self, $crate::KeyError> {
                let bytes = key.as_bytes();
                let mut at = 0;
                let value = Self {
                    $first: $crate::key!(@read bytes, at, $first_ty),
                    $($field: $crate::key!(@read bytes, at, $ty),)*
                };
                let _ = at;
                Ok(value)
            }
        }

        impl $crate::HasPrefix<$first_ty> for $name {}
    };
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use typenum::{U12, U16, U32, U40};

    use super::*;

    const THINGS: Column = Column::new("things");

    crate::key! {
        /// A key with three components.
        struct Thing in THINGS {
            group: [u8; 4],
            serial: u64,
            delta: i32,
        }
    }

    fn same_type<A, B>()
    where
        A: Unsigned,
        B: Unsigned,
    {
        assert_eq!(A::USIZE, B::USIZE);
    }

    #[test]
    fn lengths_are_summed_at_compile_time() {
        same_type::<<([u8; 32], u64) as KeyComponents>::Len, U40>();
        same_type::<<(u64, u32) as KeyComponents>::Len, U12>();
        same_type::<<([u8; 16],) as KeyComponents>::Len, U16>();
        same_type::<<([u8; 8], u128, [u8; 8]) as KeyComponents>::Len, U32>();
        assert_eq!(Thing::key_len(), 16);
        assert_eq!(len_of::<(u8, u16, u32, u64, u128)>(), 31);
    }

    #[test]
    fn tuples_round_trip() {
        let key = Key::new(&(*b"ab", 258_u16, -1_i8));
        assert_eq!(key.as_bytes(), &[b'a', b'b', 1, 2, 0x7f]);
        assert_eq!(key.components().unwrap(), (*b"ab", 258, -1));
    }

    #[test]
    fn struct_keys_round_trip_and_report_their_column() {
        let thing = Thing { group: *b"grp1", serial: 42, delta: -3 };
        let (column, key) = thing.parts();
        assert_eq!(column, THINGS);
        assert_eq!(Thing::from_bytes(key.as_bytes()).unwrap(), thing);
    }

    #[test]
    fn the_macro_records_each_fields_name_type_and_width() {
        assert_eq!(
            Thing::LAYOUT,
            &[
                KeyField::new("group", "[u8; 4]", 4),
                KeyField::new("serial", "u64", 8),
                KeyField::new("delta", "i32", 4),
            ]
        );
        assert_eq!(Thing::LAYOUT.iter().map(KeyField::width).sum::<usize>(), Thing::key_len());
        assert_eq!(Thing::LAYOUT[1].to_string(), "serial: 8 bytes");
    }

    #[test]
    fn wrong_length_is_a_typed_error() {
        let err = Thing::from_bytes(&[0; 15]).unwrap_err();
        assert_eq!(err, KeyError::WrongLength { column: "things", expected: 16, actual: 15 });
        assert!(err.to_string().contains("must be 16 bytes long, got 15"));
        assert!(Thing::from_bytes(&[0; 17]).is_err());
        assert!(Thing::from_bytes(&[]).is_err());
    }

    proptest! {
        #[test]
        fn byte_order_is_numeric_order_for_unsigned(a: u64, b: u64, c: u16, d: u16) {
            let (x, y) = (Key::new(&(a, c)), Key::new(&(b, d)));
            prop_assert_eq!(x.as_bytes().cmp(y.as_bytes()), (a, c).cmp(&(b, d)));
        }

        #[test]
        fn byte_order_is_numeric_order_for_signed(a: i64, b: i64, c: i8, d: i8) {
            let (x, y) = (Key::new(&(a, c)), Key::new(&(b, d)));
            prop_assert_eq!(x.as_bytes().cmp(y.as_bytes()), (a, c).cmp(&(b, d)));
            prop_assert_eq!(x.components().unwrap(), (a, c));
        }

        #[test]
        fn struct_keys_sort_like_their_fields(
            a in (any::<[u8; 4]>(), any::<u64>(), any::<i32>()),
            b in (any::<[u8; 4]>(), any::<u64>(), any::<i32>()),
        ) {
            let x = Thing { group: a.0, serial: a.1, delta: a.2 };
            let y = Thing { group: b.0, serial: b.1, delta: b.2 };
            prop_assert_eq!(x.as_key().as_bytes().cmp(y.as_key().as_bytes()), x.cmp(&y));
            prop_assert_eq!(Thing::from_bytes(x.as_key().as_bytes()).unwrap(), x);
        }

        #[test]
        fn any_bytes_decode_to_a_key_or_a_typed_error(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            match Thing::from_bytes(&bytes) {
                Ok(thing) => prop_assert_eq!(thing.as_key().as_bytes().to_vec(), bytes),
                Err(KeyError::WrongLength { actual, .. }) => prop_assert_eq!(actual, bytes.len()),
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
        }
    }
}
