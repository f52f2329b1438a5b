//! [`ReadOnly`]: a view with no way to write.

use crate::layer::{Layer, ReadLayer};

/// A read-only view of a layer. It implements [`ReadLayer`] and nothing else, so code holding a
/// `ReadOnly` cannot write — the compiler rejects it:
///
/// ```compile_fail
/// use strata_core::{Column, MemoryDb, ReadOnly, Store, WriteLayer};
///
/// const C: Column = Column::new("c");
/// let mut view = ReadOnly::new(Store::new(MemoryDb::new([C])));
/// view.put(C, b"k", b"v"); // error: `ReadOnly` is not a `WriteLayer`
/// ```
#[derive(Debug)]
pub struct ReadOnly<L> {
    inner: L,
}

impl<L> ReadOnly<L> {
    /// A read-only view of `inner`.
    pub fn new(inner: L) -> Self {
        Self { inner }
    }
}

impl<L> Layer for ReadOnly<L> {
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

/// Every read goes to the inner layer unchanged.
impl<L: ReadLayer> ReadLayer for ReadOnly<L> {
    crate::forward_read_layer!();
}
