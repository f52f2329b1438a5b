//! The shape of the house: within every crate, no circle of imports between files, so each
//! module can be read after the ones it uses. (A parent and its own submodules may name each
//! other; that is nesting, not a circle.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The source roots checked: every crate of the workspace.
fn roots() -> Vec<PathBuf> {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![top.join("src"), top.join("benches/support/src")];
    for entry in fs::read_dir(top.join("crates")).expect("list crates") {
        roots.push(entry.expect("a crate").path().join("src"));
    }
    roots
}

/// Module path (`layer::merge`, `""` for the crate root) → source, test modules cut off.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("list a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("under the root").with_extension("");
            let mut parts: Vec<String> =
                relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            let source = fs::read_to_string(&path).expect("read a source file");
            let source = source.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
            modules.insert(parts.join("::"), source);
        }
    }
    modules
}

/// The modules `module` names through `crate::` or `super::` paths.
fn imports(module: &str, source: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
    let parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
    let mut found = BTreeSet::new();
    for (anchor, base) in
        [("crate::", Vec::new()), ("super::", parent[..parent.len().saturating_sub(1)].to_vec())]
    {
        for (at, _) in source.match_indices(anchor) {
            let preceded = source[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            if preceded {
                continue;
            }
            let rest = &source[at + anchor.len()..];
            for path in paths(rest) {
                let mut full: Vec<&str> = base.clone();
                full.extend(path.split("::").filter(|p| !p.is_empty()));
                // The longest prefix that is a module of this crate.
                if let Some(target) = (1..=full.len())
                    .rev()
                    .map(|n| full[..n].join("::"))
                    .find(|m| known.contains_key(m))
                {
                    let nested = target.starts_with(&format!("{module}::"))
                        || module.starts_with(&format!("{target}::"));
                    if target != module && !nested {
                        found.insert(target);
                    }
                }
            }
        }
    }
    found
}

/// The paths named at the start of `rest` (what follows `crate::`): one path, or each path of a
/// `{…}` group, nested groups flattened (`{a::X, b::{c, d}}` → `a::X`, `b::c`, `b::d`).
fn paths(rest: &str) -> Vec<String> {
    let head: String =
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let after = &rest[head.len()..];
    if !after.starts_with('{') {
        return vec![head];
    }
    // The group's items, split at its own commas.
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 1);
    for (i, c) in after.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => {
                items.push(&after[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 1 => {
                items.push(&after[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
        .into_iter()
        .flat_map(|item| paths(item.trim()))
        .map(|path| format!("{head}{path}"))
        .collect()
}

/// A circle of imports through `start`, if there is one.
fn circle(start: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in edges.get(&module).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_crate_has_a_circle_of_imports() {
    let mut circles = Vec::new();
    let mut checked = 0;
    for root in roots() {
        let modules = modules(&root);
        checked += modules.len();
        let edges: BTreeMap<String, BTreeSet<String>> = modules
            .iter()
            .map(|(module, source)| (module.clone(), imports(module, source, &modules)))
            .collect();
        for module in modules.keys() {
            if let Some(path) = circle(module, &edges) {
                circles.push(format!("{}: {} -> {module}", root.display(), path.join(" -> ")));
            }
        }
    }
    assert!(checked >= 30, "the check found the sources ({checked} files)");
    assert!(circles.is_empty(), "circles of imports:\n{}", circles.join("\n"));
}

#[test]
fn the_check_finds_a_circle() {
    let modules: BTreeMap<String, String> = [
        ("db".to_owned(), "use crate::cursor::Cursor;".to_owned()),
        ("cursor".to_owned(), "use crate::{config::Config, db::{read_options, Db}};".to_owned()),
        ("config".to_owned(), "use std::path::Path;".to_owned()),
    ]
    .into();
    let edges: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(module, source)| (module.clone(), imports(module, source, &modules)))
        .collect();
    assert_eq!(circle("db", &edges), Some(vec!["db".to_owned(), "cursor".to_owned()]));
    assert_eq!(circle("config", &edges), None);
    assert!(edges["cursor"].contains("config"), "each path of a group is an import");
    assert_eq!(paths("{a::X, b::{c, d}};"), ["a::X", "b::c", "b::d"]);
}
