//! Forwarding helpers: [`forward_read_layer!`](crate::forward_read_layer) and
//! [`forward_write_layer!`](crate::forward_write_layer) write the [`ReadLayer`](crate::ReadLayer)
//! and [`WriteLayer`](crate::WriteLayer) methods a layer merely passes through to the layer it
//! sits on.
//!
//! Most layers change one or two operations and pass the rest through unchanged. Each macro is
//! invoked inside the layer's own `impl` block, next to the methods the layer writes itself:
//!
//! - with no arguments it writes every item of its trait — `forward_read_layer!()` writes
//!   `type Cursor`, `has`, `get` and `cursor`; `forward_write_layer!()` writes `put`, `delete`
//!   and `apply`;
//! - with a list it writes only those items, by their names in the trait —
//!   `forward_read_layer!(Cursor, cursor)`, `forward_write_layer!(put)` — and the layer writes
//!   the others. A name the trait does not have is a compile error naming the ones it does.
//!
//! Each forwarded item calls the same method on [`Layer::base`](crate::Layer::base) (or
//! [`Layer::base_mut`](crate::Layer::base_mut)), and `type Cursor` is the base layer's cursor
//! type, so a layer that uses the macros implements [`Layer`](crate::Layer) — as every layer
//! should, so that a stack can reach what it sits on.
//!
//! ```
//! use strata_core::{
//!     forward_read_layer, forward_write_layer, Column, Layer, MemoryDb, ReadLayer,
//!     StorageResult, Store, WriteLayer,
//! };
//!
//! /// Counts the values written through it; everything else passes straight through.
//! struct Counting<L> {
//!     inner: L,
//!     puts: usize,
//! }
//!
//! impl<L> Layer for Counting<L> {
//!     type Base = L;
//!     fn base(&self) -> &L { &self.inner }
//!     fn base_mut(&mut self) -> &mut L { &mut self.inner }
//!     fn into_base(self) -> L { self.inner }
//! }
//!
//! impl<L: ReadLayer> ReadLayer for Counting<L> {
//!     forward_read_layer!();
//! }
//!
//! impl<L: WriteLayer> WriteLayer for Counting<L> {
//!     fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> StorageResult<()> {
//!         self.inner.put(column, key, value)?;
//!         self.puts += 1;
//!         Ok(())
//!     }
//!
//!     forward_write_layer!(delete, apply);
//! }
//!
//! const C: Column = Column::new("c");
//! let mut layer = Counting { inner: Store::new(MemoryDb::new([C])), puts: 0 };
//! layer.put(C, b"a", b"1")?;
//! layer.put(C, b"b", b"2")?;
//! layer.delete(C, b"a")?;
//! assert_eq!(layer.puts, 2);
//! assert_eq!(layer.iter(C, ..)?.count(), 1);
//! assert!(layer.has(C, b"b")?);
//! # Ok::<(), strata_core::StorageError>(())
//! ```
//!
//! # Why macros
//!
//! - **Only what is passed through is written.** Rust has no specialization, so a blanket
//!   `impl<T: Forward> ReadLayer for T` would forward all or nothing; the macros let a layer
//!   write any subset of the methods itself and forward the rest.
//! - **Coherence.** Such a blanket impl would also overlap the impls for `&L` and `&mut L`
//!   (nothing stops another crate from implementing the helper trait for a reference), so the
//!   compiler rejects it.
//! - **The traits stay as they are.** Forwarding by default methods would need `ReadLayer` to
//!   know about a base layer, which [`Store`](crate::Store) (over a database) and
//!   [`Tee`](crate::Tee) (over two layers) do not have.
//! - **Nothing to learn.** The expansion is exactly the methods a layer author would write by
//!   hand — `self.base().get(column, key)` — with the same signatures, so compile errors point
//!   at familiar code and the generated code is as fast as the hand-written one.
//!
//! Paths in the expansion go through `$crate`, so the macros work from any crate, including
//! through the `strata` facade (`strata::forward_read_layer!()`).

/// Writes the [`ReadLayer`](crate::ReadLayer) items a layer passes through to its
/// [`Layer::base`](crate::Layer::base): with no arguments `type Cursor`, `has`, `get` and
/// `cursor`; with a list (`Cursor`, `has`, `get`, `cursor`) only those.
///
/// Invoke it inside `impl ReadLayer for YourLayer { … }`; the layer must implement
/// [`Layer`](crate::Layer), and its `Base` must be a `ReadLayer`. Forwarding `cursor` needs
/// `Cursor` forwarded too (the cursor *is* the base layer's). A layer that changes what is
/// visible writes `has`, `get` and `cursor` together, since they must agree; forwarding only
/// some of them suits layers that observe (count, log, time) rather than change. See the
/// [module documentation](crate::layer::forward) for a complete example.
///
/// ```
/// use strata_core::{forward_read_layer, Column, Layer, ReadLayer, StorageResult};
///
/// use std::cell::Cell;
///
/// /// Counts the point reads that reach it; everything else passes through.
/// struct CountedReads<L> { inner: L, gets: Cell<u64> }
///
/// impl<L> Layer for CountedReads<L> {
///     type Base = L;
///     fn base(&self) -> &L { &self.inner }
///     fn base_mut(&mut self) -> &mut L { &mut self.inner }
///     fn into_base(self) -> L { self.inner }
/// }
///
/// impl<L: ReadLayer> ReadLayer for CountedReads<L> {
///     fn get(&self, column: Column, key: &[u8]) -> StorageResult<Option<strata_core::Slice<'_>>> {
///         self.gets.set(self.gets.get() + 1);
///         self.inner.get(column, key)
///     }
///
///     forward_read_layer!(Cursor, has, cursor);
/// }
/// ```
#[macro_export]
macro_rules! forward_read_layer {
    () => {
        $crate::forward_read_layer!(Cursor, has, get, cursor);
    };
    ($($item:ident),+ $(,)?) => {
        $($crate::forward_read_layer!(@item $item);)+
    };
    (@item Cursor) => {
        type Cursor<'a>
            = <<Self as $crate::Layer>::Base as $crate::ReadLayer>::Cursor<'a>
        where
            Self: 'a;
    };
    (@item has) => {
        fn has(&self, column: $crate::Column, key: &[u8]) -> $crate::StorageResult<bool> {
            $crate::ReadLayer::has($crate::Layer::base(self), column, key)
        }
    };
    (@item get) => {
        fn get(
            &self,
            column: $crate::Column,
            key: &[u8],
        ) -> $crate::StorageResult<::core::option::Option<$crate::Slice<'_>>> {
            $crate::ReadLayer::get($crate::Layer::base(self), column, key)
        }
    };
    (@item cursor) => {
        fn cursor(
            &self,
            column: $crate::Column,
            range: &$crate::KeyRange,
        ) -> $crate::StorageResult<Self::Cursor<'_>> {
            $crate::ReadLayer::cursor($crate::Layer::base(self), column, range)
        }
    };
    (@item $other:ident) => {
        ::core::compile_error!(::core::concat!(
            "forward_read_layer! forwards `Cursor`, `has`, `get` and `cursor`, not `",
            ::core::stringify!($other),
            "`",
        ));
    };
}

/// Writes the [`WriteLayer`](crate::WriteLayer) methods a layer passes through to its
/// [`Layer::base_mut`](crate::Layer::base_mut): with no arguments `put`, `delete` and `apply`;
/// with a list (`put`, `delete`, `apply`) only those.
///
/// Invoke it inside `impl WriteLayer for YourLayer { … }`; the layer must implement
/// [`Layer`](crate::Layer), and its `Base` must be a `WriteLayer`. A forwarded `apply` hands the
/// whole transaction to the base in one call, so the layer is exactly as atomic as its base. See
/// the [module documentation](crate::layer::forward) for a complete example.
///
/// ```compile_fail
/// use strata_core::{forward_write_layer, Layer, ReadLayer, WriteLayer};
/// # struct Wrap<L>(L);
/// # impl<L> Layer for Wrap<L> {
/// #     type Base = L;
/// #     fn base(&self) -> &L { &self.0 }
/// #     fn base_mut(&mut self) -> &mut L { &mut self.0 }
/// #     fn into_base(self) -> L { self.0 }
/// # }
/// # impl<L: ReadLayer> ReadLayer for Wrap<L> { strata_core::forward_read_layer!(); }
///
/// impl<L: WriteLayer> WriteLayer for Wrap<L> {
///     forward_write_layer!(put, delete, apply, commit); // error: `commit` is no `WriteLayer` method
/// }
/// ```
#[macro_export]
macro_rules! forward_write_layer {
    () => {
        $crate::forward_write_layer!(put, delete, apply);
    };
    ($($item:ident),+ $(,)?) => {
        $($crate::forward_write_layer!(@item $item);)+
    };
    (@item put) => {
        fn put(
            &mut self,
            column: $crate::Column,
            key: &[u8],
            value: &[u8],
        ) -> $crate::StorageResult<()> {
            $crate::WriteLayer::put($crate::Layer::base_mut(self), column, key, value)
        }
    };
    (@item delete) => {
        fn delete(&mut self, column: $crate::Column, key: &[u8]) -> $crate::StorageResult<()> {
            $crate::WriteLayer::delete($crate::Layer::base_mut(self), column, key)
        }
    };
    (@item apply) => {
        fn apply(&mut self, transaction: &$crate::Transaction) -> $crate::StorageResult<()> {
            $crate::WriteLayer::apply($crate::Layer::base_mut(self), transaction)
        }
    };
    (@item $other:ident) => {
        ::core::compile_error!(::core::concat!(
            "forward_write_layer! forwards `put`, `delete` and `apply`, not `",
            ::core::stringify!($other),
            "`",
        ));
    };
}

#[cfg(test)]
mod tests {
    use crate::{
        Column, Layer, MemoryDb, ReadLayer, ReadOnly, StorageResult, Store, Temporal, Transaction,
        WriteLayer,
    };

    const C: Column = Column::new("c");

    /// Forwards everything, through a tuple-struct field.
    struct Pass<L>(L);

    impl<L> Layer for Pass<L> {
        type Base = L;

        fn base(&self) -> &L {
            &self.0
        }

        fn base_mut(&mut self) -> &mut L {
            &mut self.0
        }

        fn into_base(self) -> L {
            self.0
        }
    }

    impl<L: ReadLayer> ReadLayer for Pass<L> {
        crate::forward_read_layer!();
    }

    impl<L: WriteLayer> WriteLayer for Pass<L> {
        crate::forward_write_layer!();
    }

    /// Counts `get`s and `delete`s itself, forwards the rest, with a trailing comma in the lists.
    struct Partial<L> {
        inner: L,
        gets: std::cell::Cell<usize>,
        deletes: usize,
    }

    impl<L> Layer for Partial<L> {
        type Base = L;

        fn base(&self) -> &L {
            &self.inner
        }

        fn base_mut(&mut self) -> &mut L {
            &mut self.inner
        }

        fn into_base(self) -> L {
            self.inner
        }
    }

    impl<L: ReadLayer> ReadLayer for Partial<L> {
        fn get(&self, column: Column, key: &[u8]) -> StorageResult<Option<crate::Slice<'_>>> {
            self.gets.set(self.gets.get() + 1);
            self.inner.get(column, key)
        }

        crate::forward_read_layer!(Cursor, has, cursor,);
    }

    impl<L: WriteLayer> WriteLayer for Partial<L> {
        fn delete(&mut self, column: Column, key: &[u8]) -> StorageResult<()> {
            self.deletes += 1;
            self.inner.delete(column, key)
        }

        crate::forward_write_layer!(put, apply,);
    }

    #[test]
    fn a_forwarding_layer_behaves_as_its_base() -> StorageResult<()> {
        let mut layer = Pass(Temporal::new(Store::new(MemoryDb::new([C]))));
        layer.put(C, b"a", b"1")?;
        let mut tx = Transaction::new();
        tx.put(C, b"b", b"2");
        tx.delete(C, b"a");
        layer.apply(&tx)?;
        layer.put(C, b"c", b"3")?;
        layer.delete(C, b"c")?;
        assert!(!layer.has(C, b"a")?);
        assert_eq!(layer.get(C, b"b")?.unwrap(), b"2"[..]);
        let keys: Vec<_> =
            layer.iter(C, ..)?.map(|e| e.map(|(k, _)| k)).collect::<Result<_, _>>()?;
        assert_eq!(keys, [b"b".to_vec().into_boxed_slice()]);
        // The writes went to the base: its buffer holds them until it commits.
        assert_eq!(layer.base().shadow().len(), 3);
        layer.base_mut().commit()?;
        assert_eq!(layer.into_base().into_base().get(C, b"b")?.unwrap(), b"2"[..]);
        // An unknown column is the base's error, passed through unchanged.
        let mut plain = Pass(Store::new(MemoryDb::new([C])));
        assert!(matches!(
            plain.put(Column::new("other"), b"k", b"v"),
            Err(crate::StorageError::UnknownColumn(_))
        ));
        Ok(())
    }

    #[test]
    fn a_layer_overrides_some_methods_and_forwards_the_rest() -> StorageResult<()> {
        let mut layer =
            Partial { inner: Store::new(MemoryDb::new([C])), gets: 0.into(), deletes: 0 };
        layer.put(C, b"hidden", b"1")?;
        layer.put(C, b"seen", b"2")?;
        assert_eq!(layer.get(C, b"hidden")?.unwrap(), b"1"[..]);
        assert!(layer.has(C, b"hidden")?); // `has` is forwarded: it reaches the base directly
        assert_eq!(layer.gets.get(), 1);
        assert_eq!(layer.iter(C, ..)?.count(), 2);
        layer.delete(C, b"seen")?;
        let mut tx = Transaction::new();
        tx.delete(C, b"hidden");
        layer.apply(&tx)?;
        assert_eq!(layer.deletes, 1);
        assert_eq!(layer.iter(C, ..)?.count(), 0);
        // Forwarding layers stack like any other, under a read-only view too.
        let view = ReadOnly::new(Pass(&layer));
        assert_eq!(view.iter(C, ..)?.count(), 0);
        Ok(())
    }
}
