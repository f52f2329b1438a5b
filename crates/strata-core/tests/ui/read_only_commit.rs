// A `Temporal` over a `ReadOnly` view may buffer writes, but has no way to commit them.
use strata_core::{Column, MemoryDb, ReadOnly, Store, Temporal, WriteLayer};

const C: Column = Column::new("c");

fn main() {
    let store = Store::new(MemoryDb::new([C]));
    let mut scratch = Temporal::new(ReadOnly::new(&store));
    scratch.put(C, b"k", b"v").unwrap();
    scratch.commit().unwrap();
}
