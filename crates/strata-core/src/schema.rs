//! Schema descriptors: what a schema crate tells tools about its columns.
//!
//! The engine keeps no list of application columns, so a tool that opens any database (the
//! `strata` inspector) sees bytes. A schema crate closes the gap by exporting a [`Schema`]: its
//! name and, per column, a [`ColumnDescriptor`] with the [`Column`], each key component's name
//! and width (the key's [layout](crate::AsKeyParts::LAYOUT)) and two renderers that decode a key
//! or a value with the real types and show it as text — or say, with a typed error, why the
//! bytes do not decode.
//!
//! Declaring one is a line per column, built from the column's [`Entry`] type:
//! [`ColumnDescriptor::of`] shows values through their `Debug` form,
//! [`ColumnDescriptor::of_raw`] shows raw-byte values as hex. Everything is `const`, so the
//! schema is a constant:
//!
//! ```
//! use borsh::{BorshDeserialize, BorshSerialize};
//! use strata_core::{key, BorshValue, Column, ColumnDescriptor, Entry, Schema, Slice};
//!
//! const ACCOUNTS: Column = Column::new("accounts").with_prefix_len(8);
//! const NOTES: Column = Column::new("notes");
//!
//! key! { pub struct Account in ACCOUNTS { bank: u64, number: u32 } }
//! key! { pub struct Note in NOTES { id: u64 } }
//!
//! #[derive(Debug, BorshSerialize, BorshDeserialize)]
//! pub struct Balance(i64);
//! impl BorshValue for Balance {}
//! impl Entry for Account { type Value<'a> = Balance; }
//! impl Entry for Note { type Value<'a> = Slice<'a>; }
//!
//! /// What tools need to show this application's data.
//! pub const SCHEMA: Schema = Schema::new("bank", &[
//!     ColumnDescriptor::of::<Account>(),
//!     ColumnDescriptor::of_raw::<Note>(),
//! ]);
//!
//! // A tool finds the column by name and renders what it reads.
//! let accounts = SCHEMA.column("accounts").unwrap();
//! assert_eq!(accounts.key_len(), 12);
//! assert_eq!(accounts.layout_text(), "bank: 8 bytes, number: 4 bytes");
//! let key = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7];
//! assert_eq!(accounts.render_key(&key)?, "Account { bank: 1, number: 7 }");
//! assert_eq!(accounts.render_value(&90_i64.to_le_bytes())?, "Balance(90)");
//! assert!(accounts.render_value(b"short").is_err());
//! assert!(accounts.render_key(&[0]).is_err());
//!
//! assert_eq!(SCHEMA.column("notes").unwrap().render_value(b"hi")?, "6869");
//! assert!(SCHEMA.column("elsewhere").is_none());
//! # Ok::<(), strata_core::Error>(())
//! ```
//!
//! A tool built with several schemas keeps them in one list (`&[node::SCHEMA, kv::SCHEMA]`) and
//! asks each in turn; a column no schema claims is shown as raw hex.

use std::fmt::{self, Debug};

use crate::column::Column;
use crate::error::{DecodeError, KeyError};
use crate::key::{FromKeyParts, KeyField, len_of};
use crate::migrate::step::Step;
use crate::value::{DataType, Entry, Slice};

/// Decodes a column's key bytes and shows them as text; a typed [`KeyError`] when they do not
/// form a key of the column (wrong length, invalid component).
pub type KeyRenderer = fn(&[u8]) -> Result<String, KeyError>;

/// Decodes a column's value bytes and shows them as text; a typed [`DecodeError`] when they do
/// not decode as the column's value type.
pub type ValueRenderer = fn(&[u8]) -> Result<String, DecodeError>;

/// What a schema crate exports: its name and a descriptor of every column it declares.
///
/// Build it as a constant with [`Schema::new`]; see the [module documentation](self) for a
/// complete example, and `strata_node::SCHEMA` for a real one.
///
/// ```
/// use strata_core::{key, Column, ColumnDescriptor, Entry, Schema, Slice};
///
/// const BLOBS: Column = Column::new("blobs");
/// key! { pub struct Blob in BLOBS { id: u64 } }
/// impl Entry for Blob { type Value<'a> = Slice<'a>; }
///
/// pub const SCHEMA: Schema = Schema::new("blobs", &[ColumnDescriptor::of_raw::<Blob>()]);
///
/// assert_eq!(SCHEMA.name(), "blobs");
/// assert_eq!(SCHEMA.column_set().collect::<Vec<_>>(), [BLOBS]);
/// let blob = SCHEMA.column("blobs").unwrap();
/// assert_eq!(blob.render_key(&[0, 0, 0, 0, 0, 0, 0, 42])?, "Blob { id: 42 }");
/// # Ok::<(), strata_core::KeyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    name: &'static str,
    columns: &'static [ColumnDescriptor],
    version: u32,
    migrations: &'static [Step],
}

impl Schema {
    /// A schema named `name` (shown by tools next to the columns it owns) with `columns`, at
    /// version 1.
    pub const fn new(name: &'static str, columns: &'static [ColumnDescriptor]) -> Self {
        Self { name, columns, version: 1, migrations: &[] }
    }

    /// The same schema at `version`: the layout version of its columns, recorded in a database
    /// on its first use and checked by every later open (see the `versions` module). Raise it
    /// when the stored layout changes.
    #[must_use]
    pub const fn with_version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// The same schema with the `steps` that bring an older database up to its version: one
    /// step from each older version (`1 → 2`, `2 → 3`, …), in any order. A database recorded at
    /// a version with no path of steps to this one is refused when it is migrated.
    #[must_use]
    pub const fn with_migrations(mut self, steps: &'static [Step]) -> Self {
        self.migrations = steps;
        self
    }

    /// The steps declared with [`Schema::with_migrations`].
    pub const fn migrations(&self) -> &'static [Step] {
        self.migrations
    }

    /// Every column the schema's migrations name that its current columns do not: the columns
    /// a database must also be opened with while an older version is migrated.
    pub fn migration_columns(&self) -> Vec<Column> {
        let mut columns: Vec<Column> = Vec::new();
        for change in self.migrations.iter().flat_map(Step::changes) {
            for column in [Some(change.source()), change.destination()].into_iter().flatten() {
                let known = self.column(column.name()).is_some()
                    || columns.iter().any(|c| c.name() == column.name());
                if !known {
                    columns.push(column);
                }
            }
        }
        columns
    }

    /// The schema's version (1 unless set with [`Schema::with_version`]).
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The schema's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Every column's descriptor, in declaration order.
    pub const fn columns(&self) -> &'static [ColumnDescriptor] {
        self.columns
    }

    /// The descriptor of the column named `name`, if this schema declares it.
    pub fn column(&self, name: &str) -> Option<&'static ColumnDescriptor> {
        self.columns.iter().find(|descriptor| descriptor.column.name() == name)
    }

    /// The schema's columns, for opening a database with them.
    pub fn column_set(&self) -> impl Iterator<Item = Column> + 'static {
        self.columns.iter().map(ColumnDescriptor::column)
    }
}

/// How one column's keys and values look: its [`Column`], its key layout and length, and the
/// renderers that decode its bytes for display.
///
/// Built from the column's [`Entry`] type with [`of`](Self::of) (values shown through `Debug`)
/// or [`of_raw`](Self::of_raw) (values shown as hex), optionally with a custom value renderer
/// ([`with_value_renderer`](Self::with_value_renderer)).
///
/// ```
/// use strata_core::{key, Column, ColumnDescriptor, Entry, KeyError};
///
/// const NAMES: Column = Column::new("names");
/// key! { pub struct Name in NAMES { id: u32 } }
/// impl Entry for Name { type Value<'a> = String; }
///
/// const DESCRIPTOR: ColumnDescriptor = ColumnDescriptor::of::<Name>();
/// assert_eq!(DESCRIPTOR.column(), NAMES);
/// assert_eq!(DESCRIPTOR.key_len(), 4);
/// assert_eq!(DESCRIPTOR.render_key(&[0, 0, 1, 0]).unwrap(), "Name { id: 256 }");
/// assert_eq!(DESCRIPTOR.render_value(b"Ada").unwrap(), "\"Ada\"");
/// assert!(DESCRIPTOR.render_value(&[0xff]).is_err()); // not UTF-8
/// assert_eq!(
///     DESCRIPTOR.render_key(&[1]).unwrap_err(),
///     KeyError::WrongLength { column: "names", expected: 4, actual: 1 },
/// );
/// ```
#[derive(Clone, Copy)]
pub struct ColumnDescriptor {
    column: Column,
    layout: &'static [KeyField],
    key_len: usize,
    key: KeyRenderer,
    value: ValueRenderer,
}

impl ColumnDescriptor {
    /// Describes the column of entry type `E`: keys and values decoded with `E`'s types and
    /// shown through their `Debug` form.
    pub const fn of<E>() -> Self
    where
        E: Entry + Debug,
        for<'a> E::Value<'a>: Debug,
    {
        Self::of_raw::<E>().with_value_renderer(render_value::<E>)
    }

    /// Describes the column of entry type `E` whose values are raw bytes: keys decoded with
    /// `E`'s key type, values shown as lowercase hex (they always "decode").
    pub const fn of_raw<E>() -> Self
    where
        E: Entry + Debug,
    {
        Self {
            column: E::COLUMN,
            layout: E::LAYOUT,
            key_len: len_of::<E::Components>(),
            key: render_key::<E>,
            value: render_hex,
        }
    }

    /// The same descriptor, with values shown by `render` instead.
    #[must_use]
    pub const fn with_value_renderer(mut self, render: ValueRenderer) -> Self {
        self.value = render;
        self
    }

    /// The column.
    pub const fn column(&self) -> Column {
        self.column
    }

    /// The key's components in order, with names and widths; empty when the key type was not
    /// declared with [`key!`](crate::key!) (its
    /// [`AsKeyParts::LAYOUT`](crate::AsKeyParts::LAYOUT) is empty).
    pub const fn key_layout(&self) -> &'static [KeyField] {
        self.layout
    }

    /// The only key length the column's key type accepts, in bytes.
    pub const fn key_len(&self) -> usize {
        self.key_len
    }

    /// The layout as text, `name: width bytes` per component (`context_id: 32 bytes, state_key:
    /// 32 bytes`); empty when the layout is unknown.
    pub fn layout_text(&self) -> String {
        let fields: Vec<String> = self.layout.iter().map(ToString::to_string).collect();
        fields.join(", ")
    }

    /// Decodes key bytes of this column and shows them as text.
    pub fn render_key(&self, bytes: &[u8]) -> Result<String, KeyError> {
        (self.key)(bytes)
    }

    /// Decodes value bytes of this column and shows them as text.
    pub fn render_value(&self, bytes: &[u8]) -> Result<String, DecodeError> {
        (self.value)(bytes)
    }
}

impl fmt::Debug for ColumnDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ColumnDescriptor")
            .field("column", &self.column)
            .field("layout", &self.layout)
            .field("key_len", &self.key_len)
            .finish_non_exhaustive()
    }
}

fn render_key<E: FromKeyParts + Debug>(bytes: &[u8]) -> Result<String, KeyError> {
    E::from_bytes(bytes).map(|key| format!("{key:?}"))
}

fn render_value<E>(bytes: &[u8]) -> Result<String, DecodeError>
where
    E: Entry,
    for<'a> E::Value<'a>: Debug,
{
    E::Value::from_slice(Slice::from(bytes)).map(|value| format!("{value:?}"))
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "shaped like every value renderer: raw bytes always decode"
)]
fn render_hex(bytes: &[u8]) -> Result<String, DecodeError> {
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use borsh::{BorshDeserialize, BorshSerialize};

    use super::*;
    use crate::key::AsKeyParts;
    use crate::value::BorshValue;

    const PAIRS: Column = Column::new("pairs").with_prefix_len(2);
    const BLOBS: Column = Column::new("blobs");

    crate::key! {
        /// A key with two components.
        struct PairKey in PAIRS { left: u16, right: [u8; 3] }
    }
    crate::key! {
        /// A key with one component.
        struct BlobKey in BLOBS { id: i8 }
    }

    #[derive(Debug, BorshSerialize, BorshDeserialize)]
    struct Pair {
        count: u32,
    }
    impl BorshValue for Pair {}
    impl Entry for PairKey {
        type Value<'a> = Pair;
    }
    impl Entry for BlobKey {
        type Value<'a> = Slice<'a>;
    }

    static SCHEMA: Schema = Schema::new(
        "test",
        &[ColumnDescriptor::of::<PairKey>(), ColumnDescriptor::of_raw::<BlobKey>()],
    );

    #[test]
    fn descriptors_carry_column_layout_and_length() {
        let pairs = SCHEMA.column("pairs").unwrap();
        assert_eq!(pairs.column(), PAIRS);
        assert_eq!(pairs.key_len(), 5);
        assert_eq!(
            pairs.key_layout(),
            &[KeyField::new("left", "u16", 2), KeyField::new("right", "[u8; 3]", 3)]
        );
        assert_eq!(pairs.layout_text(), "left: 2 bytes, right: 3 bytes");
        assert_eq!(SCHEMA.column_set().map(|c| c.name()).collect::<Vec<_>>(), ["pairs", "blobs"]);
        assert_eq!(SCHEMA.columns().len(), 2);
        assert!(format!("{pairs:?}").contains("key_len: 5"));
    }

    #[test]
    fn renderers_decode_or_return_typed_errors() {
        let pairs = SCHEMA.column("pairs").unwrap();
        assert_eq!(
            pairs.render_key(&[0, 1, b'a', b'b', b'c']).unwrap(),
            "PairKey { left: 1, right: [97, 98, 99] }"
        );
        assert_eq!(
            pairs.render_key(&[0; 4]).unwrap_err(),
            KeyError::WrongLength { column: "pairs", expected: 5, actual: 4 }
        );
        assert_eq!(pairs.render_value(&7_u32.to_le_bytes()).unwrap(), "Pair { count: 7 }");
        let error = pairs.render_value(&[1, 2]).unwrap_err();
        assert_eq!(error.len, 2);
        assert!(error.type_name.ends_with("Pair"));

        let blobs = SCHEMA.column("blobs").unwrap();
        assert_eq!(blobs.render_key(&[0x7f]).unwrap(), "BlobKey { id: -1 }");
        assert_eq!(blobs.render_value(&[0x00, 0xab, 0xff]).unwrap(), "00abff");
        assert_eq!(blobs.render_value(&[]).unwrap(), "");
    }

    #[test]
    fn a_custom_value_renderer_replaces_the_default() {
        fn utf8(bytes: &[u8]) -> Result<String, DecodeError> {
            std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| DecodeError::new::<str>(bytes.len(), e))
        }
        const TEXT: ColumnDescriptor =
            ColumnDescriptor::of_raw::<BlobKey>().with_value_renderer(utf8);
        assert_eq!(TEXT.render_value(b"hi").unwrap(), "hi");
        assert!(TEXT.render_value(&[0xff]).is_err());
    }

    #[test]
    fn hand_written_keys_have_an_empty_layout() {
        struct Plain;
        impl AsKeyParts for Plain {
            type Components = (u8,);
            const COLUMN: Column = BLOBS;
            fn as_key(&self) -> crate::Key<(u8,)> {
                crate::Key::new(&(0,))
            }
        }
        assert!(Plain::LAYOUT.is_empty());
    }
}
