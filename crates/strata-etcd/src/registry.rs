//! The column registry each root keeps: one record per column, naming it and its prefix length,
//! so that a tool opens a database on etcd without knowing its schema (`EtcdDb::open_existing`)
//! and an application cannot reopen a column with another prefix length.
//!
//! Column `c`'s record is stored at `root ‖ 0x00 ‖ 0x00 ‖ c`. No column name is empty, so no data
//! key (`root ‖ 0x00 ‖ c ‖ 0x00 ‖ k`) starts with `root ‖ 0x00 ‖ 0x00`, and every key of the root,
//! records included, starts with `root ‖ 0x00`. A record's value is text, readable with
//! `etcdctl`: `strata column; prefix_len=8`, or `…prefix_len=none`.

/// The text every record starts with.
const TAG: &str = "strata column; prefix_len=";

/// The first key of `root`'s registry, and the first key after it.
pub(crate) fn range(root: &[u8]) -> (Vec<u8>, Vec<u8>) {
    ([root, &[0, 0]].concat(), [root, &[0, 1]].concat())
}

/// The key of `column`'s record under `root`.
pub(crate) fn key(root: &[u8], column: &str) -> Vec<u8> {
    [root, &[0, 0], column.as_bytes()].concat()
}

/// Every key stored under `root`: the first, and the first key after them.
pub(crate) fn root_range(root: &[u8]) -> (Vec<u8>, Vec<u8>) {
    ([root, &[0]].concat(), [root, &[1]].concat())
}

/// A record's value for a column with `prefix_len`.
pub(crate) fn encode(prefix_len: Option<usize>) -> Vec<u8> {
    match prefix_len {
        Some(len) => format!("{TAG}{len}"),
        None => format!("{TAG}none"),
    }
    .into_bytes()
}

/// The column name and prefix length a record at `key` (under `root`) holds, or why it is not a
/// record this build can read.
pub(crate) fn decode(
    root: &[u8],
    key: &[u8],
    value: &[u8],
) -> Result<(String, Option<usize>), String> {
    let name = key
        .strip_prefix(range(root).0.as_slice())
        .and_then(|name| std::str::from_utf8(name).ok())
        .filter(|name| strata_core::column::is_valid_name(name))
        .ok_or_else(|| {
            format!("`{}` does not name a valid column", String::from_utf8_lossy(key))
        })?;
    let text = std::str::from_utf8(value).ok().and_then(|text| text.strip_prefix(TAG));
    let prefix_len = match text {
        Some("none") => None,
        Some(len) => match len.parse::<usize>() {
            Ok(len) if len > 0 => Some(len),
            _ => return Err(unreadable(name, value)),
        },
        None => return Err(unreadable(name, value)),
    };
    Ok((name.to_owned(), prefix_len))
}

fn unreadable(name: &str, value: &[u8]) -> String {
    format!(
        "column `{name}`'s record `{}` is not one this build reads",
        String::from_utf8_lossy(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_ones_are_refused() {
        for prefix_len in [None, Some(1), Some(32)] {
            let decoded = decode(b"r", &key(b"r", "state"), &encode(prefix_len));
            assert_eq!(decoded, Ok(("state".to_owned(), prefix_len)));
        }
        assert!(decode(b"r", &key(b"r", "state"), b"strata column; prefix_len=0").is_err());
        assert!(decode(b"r", &key(b"r", "state"), b"prefix_len=8").is_err());
        assert!(decode(b"r", &key(b"r", "not valid"), &encode(None)).is_err());
        assert!(decode(b"r", &key(b"r", ""), &encode(None)).is_err());
    }

    #[test]
    fn the_registry_lies_inside_the_root_and_outside_every_column() {
        let (start, end) = range(b"root");
        let (root_start, root_end) = root_range(b"root");
        assert!(root_start <= start && end <= root_end);
        // The smallest and largest data keys of the first and last possible columns.
        for column in ["-", "0", "zzzz"] {
            let data = [b"root".as_slice(), &[0], column.as_bytes(), &[0]].concat();
            assert!(data >= end && data < root_end, "{column}");
        }
    }
}
