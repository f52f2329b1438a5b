// A `ReadOnly` view has no write methods: `put` does not exist on it.
use strata_core::{Column, MemoryDb, ReadOnly, Store, WriteLayer};

const C: Column = Column::new("c");

fn main() {
    let mut view = ReadOnly::new(Store::new(MemoryDb::new([C])));
    view.put(C, b"k", b"v").unwrap();
}
