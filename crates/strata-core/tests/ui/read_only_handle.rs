// A typed handle over a `ReadOnly` view reads but cannot write.
use strata_core::{Column, Entry, Handle, MemoryDb, ReadOnly, Store, key};

const C: Column = Column::new("c");
key! { struct K in C { id: u8 } }
impl Entry for K {
    type Value<'a> = Vec<u8>;
}

fn main() {
    let store = Store::new(MemoryDb::new([C]));
    let mut handle = Handle::new(ReadOnly::new(&store));
    let _ = handle.get(&K { id: 1 });
    handle.put(&K { id: 1 }, &vec![1]).unwrap();
}
