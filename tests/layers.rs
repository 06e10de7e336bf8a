//! The module layers README's Architecture table names, checked from the sources: each module
//! uses only modules of its own layer or below, no two modules use each other (directly or round
//! a longer loop), and SQL is written only in the repository modules. Reads `src/` as text, so it
//! needs no feature and runs with a plain `cargo test`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Layer by layer, bottom to top; a module of `shipments` that drives the others
/// (`shipments::sender`) sits above its own module's layer and is named on its own.
const LAYERS: &[&[&str]] = &[
    &["error", "ids", "ndjson", "metrics", "secrets", "db"],
    &["organizations", "users", "audit", "api_tokens", "auth", "operators", "records", "leases", "jobs", "credentials"],
    &["platforms"],
    &["stores", "shipments", "queue", "drift"],
    &["progress", "webhooks", "sync", "shipments::sender"],
    &["state", "api", "http_api", "ui"],
    &["server", "cli"],
];

/// Files that may write SQL: the repositories, the pool (`db`) and the lease columns' own.
fn may_write_sql(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_str().unwrap();
    name == "repo.rs" || path.ends_with("src/db.rs") || path.ends_with("src/leases.rs")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without its comments, so a doc link is not a use.
fn code(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

/// The top-level modules `code` names: `crate::x` anywhere, and each item of a
/// `use crate::{x, y::z}` group.
fn used(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // Items of the group at its top level: a name, then `::`, `,` or the group's end.
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.extend(first_word(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.extend(first_word(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.extend(first_word(after));
        }
        rest = after;
    }
    names.remove("self");
    names
}

fn first_word(text: &str) -> Option<String> {
    let word: String = text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!word.is_empty()).then_some(word)
}

/// The module a file belongs to, as [`LAYERS`] names them.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts = relative.components().map(|c| c.as_os_str().to_str().unwrap().trim_end_matches(".rs").to_owned());
    let top = parts.next()?;
    if top == "lib" || top == "main" {
        return None;
    }
    let sub = parts.next();
    let named = sub.map(|sub| format!("{top}::{sub}")).filter(|name| layer_of(name).is_some());
    Some(named.unwrap_or(top))
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn modules_use_only_their_own_layer_or_those_below_without_cycles_and_sql_stays_in_repositories() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = code(&std::fs::read_to_string(file).unwrap());
        if (text.contains("sqlx::query") || text.contains("QueryBuilder")) && !may_write_sql(file) {
            problems.push(format!("{} writes SQL outside a repository module", file.display()));
        }
        let Some(module) = module_of(&src, file) else { continue };
        let Some(layer) = layer_of(&module) else {
            problems.push(format!("{module} ({}) is in no layer: add it to LAYERS and README", file.display()));
            continue;
        };
        let top = module.split("::").next().unwrap().to_owned();
        for dependency in used(&text) {
            if dependency == top || dependency == "db_run" {
                continue;
            }
            match layer_of(&dependency) {
                Some(theirs) if theirs <= layer => {}
                Some(theirs) => problems.push(format!(
                    "{} (layer {}) uses {dependency} (layer {})",
                    file.display(),
                    layer + 1,
                    theirs + 1
                )),
                None => problems.push(format!("{} uses {dependency}, which is in no layer", file.display())),
            }
            graph.entry(top.clone()).or_default().insert(dependency);
        }
    }
    // A cycle: a module that reaches itself.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&String> = graph[start].iter().collect();
        while let Some(module) = next.pop() {
            if module == start {
                problems.push(format!("{start} reaches itself through the modules it uses"));
                break;
            }
            if seen.insert(module) {
                next.extend(graph.get(module).into_iter().flatten());
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(graph.contains_key("server") && graph.len() > 15, "the sources were read: {graph:?}");
}

#[test]
fn the_checker_reads_uses_as_the_compiler_does() {
    let sample = "use crate::{a, b::{c, d}, e::f as g};\nlet x = crate::h::y(); // crate::not_this";
    let found: Vec<String> = used(&code(sample)).into_iter().collect();
    assert_eq!(found, ["a", "b", "e", "h"]);
}

/// Each platform is one module behind the registry (`src/platforms/mod.rs` and its own files):
/// no other module, and no other platform, names a platform's module.
#[test]
fn only_the_registry_reaches_a_platforms_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let platforms_dir = src.join("platforms");
    let platforms: Vec<String> = std::fs::read_dir(&platforms_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert!(platforms.contains(&"shopify".to_owned()), "the platforms were found: {platforms:?}");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let text = code(&std::fs::read_to_string(file).unwrap());
        let own = platforms.iter().find(|p| file.starts_with(platforms_dir.join(p)));
        let registry = file.parent() == Some(platforms_dir.as_path());
        for platform in &platforms {
            let named =
                [format!("platforms::{platform}"), format!("platforms::{{{platform}"), format!("super::{platform}")]
                    .iter()
                    .any(|path| text.contains(path.as_str()));
            let mentions = named || (text.contains("platforms::{") && text.contains(&format!(" {platform},")));
            if mentions && !registry && own != Some(platform) {
                problems.push(format!("{} reaches the {platform} module", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The reads that cross organizations: for background work that started from a row of its own
/// (a sync job's store, a shipment's, a webhook delivery's) and for the installation's metrics,
/// never for what a request names.
const UNSCOPED: &[&str] = &[
    "stores::repo::load(",
    "stores::repo::all(",
    "stores::repo::ids(",
    "stores::repo::of_enabled_organizations(",
    "shipments::repo::get(",
    "shipments::repo::get_in(",
    "users::repo::get_active(",
];

/// Organizations are sealed in one place: what requests reach (`src/api`, `src/http_api`,
/// `src/ui`) never calls a read that crosses organizations, and every server function given a
/// `store_id` reads that store through its caller's organization (`Caller::store`) before
/// anything else is done with it. `tests/api/cross_org.rs` tries every route with another
/// organization's ids; this keeps the rule visible in the code.
#[test]
fn requests_read_and_write_within_their_organization() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["api", "http_api", "ui"] {
        rust_files(&src.join(dir), &mut files);
    }
    let mut problems = Vec::new();
    let mut server_functions = 0;
    for file in &files {
        let text = code(&std::fs::read_to_string(file).unwrap());
        for call in UNSCOPED {
            if text.contains(call) {
                problems.push(format!("{} calls {call}…), which crosses organizations", file.display()));
            }
        }
        // The stores a caller sees may be fewer than the organization's (a standard user an
        // administrator limited, an API token of theirs): lists come through `stores::seen`.
        if text.contains("stores::repo::list(") {
            problems.push(format!("{} lists the organization's stores, not those its caller sees", file.display()));
        }
        // Each server function: from its attribute to the next one's.
        for function in text.split("#[server(").skip(1) {
            server_functions += 1;
            let signature = &function[..function.find('{').unwrap_or(function.len())];
            let named = signature.contains("store_id: StoreId");
            let resolved =
                ["caller.store(store_id)", "of_store(&caller, store_id"].iter().any(|r| function.contains(r));
            if named && !resolved {
                let name = signature.split("fn ").nth(1).and_then(|s| s.split('(').next()).unwrap_or("?");
                problems.push(format!("{}: {name} uses its store_id without Caller::store", file.display()));
            }
        }
    }
    assert!(server_functions > 30, "the server functions were found: {server_functions}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
