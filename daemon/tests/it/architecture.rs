//! Architecture invariants checked on the source itself: no import cycle between modules, at
//! any level of either crate, and the plugin never names the daemon, SQL or Asterisk's links.
//!
//! Every `crate::`, `super::` and `self::` path in non-test code is an edge from the module that
//! writes it to the deepest module the path names. An edge is lifted to the two sibling modules
//! under the modules' nearest common ancestor (`store::wakeups -> schedule::rule` is the edge
//! `store -> schedule` inside the crate root), so a cycle anywhere shows up as a cycle among
//! siblings. Edges between a module and its own ancestors or descendants are containment, not
//! dependency, and are left out. Test modules (`#[cfg(test)]`) are left out too: they may reach
//! anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

type ModPath = Vec<String>;

/// The module tree of one crate and every dependency edge between its modules.
struct CrateGraph {
    name: &'static str,
    modules: BTreeSet<ModPath>,
    /// (from, to) module paths with the file that wrote the edge, for the failure message.
    edges: Vec<(ModPath, ModPath, PathBuf)>,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn crate_graph(name: &'static str, src: &Path) -> CrateGraph {
    let mut graph = CrateGraph {
        name,
        modules: BTreeSet::new(),
        edges: Vec::new(),
    };
    let root = src.join("lib.rs");
    load_module(&mut graph, &root, Vec::new());
    graph
}

/// Where the file of `mod child;` declared in `file` (whose module is `module`) lives.
fn child_file(file: &Path, child: &str) -> Option<PathBuf> {
    let dir = file.parent()?;
    let stem = file.file_stem()?.to_str()?;
    let base = if matches!(stem, "lib" | "main" | "mod") {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    [
        base.join(format!("{child}.rs")),
        base.join(child).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn load_module(graph: &mut CrateGraph, file: &Path, module: ModPath) {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", file.display()));
    graph.modules.insert(module.clone());
    let mut collector = Collector {
        module: module.clone(),
        file_module: module.clone(),
        out: Vec::new(),
        files: Vec::new(),
    };
    collector.visit_file(&ast);
    for (child_module, declared_in) in collector.files {
        let child = child_module.last().cloned().unwrap_or_default();
        let parent_file = if declared_in.is_empty() {
            file.to_path_buf()
        } else {
            // `mod a { mod b; }` inline: b lives under the folder named after a.
            let mut p = file.with_extension("");
            for d in &declared_in {
                p = p.join(d);
            }
            p.join("x.rs")
        };
        let found = child_file(&parent_file, &child)
            .unwrap_or_else(|| panic!("{}: no file for `mod {child};`", file.display()));
        load_module(graph, &found, child_module);
    }
    for (from, to) in collector.out {
        graph.edges.push((from, to, file.to_path_buf()));
    }
}

struct Collector {
    /// The module whose code is being visited (inline `mod`s push onto it).
    module: ModPath,
    /// The module of the file itself.
    file_module: ModPath,
    out: Vec<(ModPath, ModPath)>,
    /// Out-of-line `mod x;` declarations: the child's module path and the inline modules the
    /// declaration sits in, relative to the file.
    files: Vec<(ModPath, Vec<String>)>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl Collector {
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        let mut base: ModPath;
        let mut rest = segments;
        match segments.first().map(String::as_str) {
            Some("crate") => {
                base = Vec::new();
                rest = &segments[1..];
            }
            Some("super") => {
                base = self.module.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            Some("self") => {
                base = self.module.clone();
                rest = &segments[1..];
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn add_path(&mut self, segments: Vec<String>) {
        if let Some(target) = self.resolve(&segments) {
            self.out.push((self.module.clone(), target));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                self.add_path(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                self.add_path(full);
            }
            syn::UseTree::Glob(_) => self.add_path(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_cfg_test(&m.attrs) {
            return;
        }
        let mut child = self.module.clone();
        child.push(m.ident.to_string());
        match &m.content {
            None => {
                let inline = self.module[self.file_module.len()..].to_vec();
                self.files.push((child, inline));
            }
            Some(_) => {
                let saved = std::mem::replace(&mut self.module, child);
                syn::visit::visit_item_mod(self, m);
                self.module = saved;
            }
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_cfg_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if !is_cfg_test(&u.attrs) {
            self.use_tree(&mut Vec::new(), &u.tree);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.add_path(segments);
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`matches!`, `format!` arguments) are still code.
        let text = m.tokens.to_string();
        for start in ["crate ::", "super ::"] {
            let mut from = 0;
            while let Some(i) = text[from..].find(start) {
                let at = from + i;
                let segments: Vec<String> = text[at..]
                    .split(" :: ")
                    .map(|s| {
                        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or("")
                    })
                    .take_while(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                self.add_path(segments);
                from = at + start.len();
            }
        }
        syn::visit::visit_macro(self, m);
    }
}

/// The deepest known module that `path` starts with.
fn owning_module(modules: &BTreeSet<ModPath>, path: &ModPath) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// Per parent module: the dependency edges among its children, with an example file each.
fn sibling_edges(graph: &CrateGraph) -> BTreeMap<ModPath, BTreeMap<(String, String), PathBuf>> {
    let mut levels: BTreeMap<ModPath, BTreeMap<(String, String), PathBuf>> = BTreeMap::new();
    for (from, to, file) in &graph.edges {
        let to = owning_module(&graph.modules, to);
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue; // ancestor or descendant
        }
        levels
            .entry(from[..common].to_vec())
            .or_default()
            .entry((from[common].clone(), to[common].clone()))
            .or_insert_with(|| file.clone());
    }
    levels
}

/// Every strongly connected group of more than one module, as the modules' names.
fn cycles(edges: &BTreeMap<(String, String), PathBuf>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |start: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for n in &nodes {
        if placed.contains(*n) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|m| reachable[*n].contains(**m) && reachable[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if group.len() > 1 {
            placed.extend(group.iter().cloned());
            groups.push(group);
        }
    }
    groups
}

fn describe_cycles(graph: &CrateGraph) -> Vec<String> {
    let mut found = Vec::new();
    for (parent, edges) in sibling_edges(graph) {
        for group in cycles(&edges) {
            let at = if parent.is_empty() {
                graph.name.to_string()
            } else {
                format!("{}::{}", graph.name, parent.join("::"))
            };
            let detail: Vec<String> = edges
                .iter()
                .filter(|((a, b), _)| group.contains(a) && group.contains(b))
                .map(|((a, b), file)| format!("{a} -> {b} ({})", file.display()))
                .collect();
            found.push(format!(
                "in {at}: {{{}}}: {}",
                group.join(", "),
                detail.join("; ")
            ));
        }
    }
    found
}

#[test]
fn daemon_modules_have_no_import_cycle() {
    let graph = crate_graph("ringside", &manifest_dir().join("src"));
    assert!(
        graph.modules.len() > 50,
        "the module tree was not read: {:?}",
        graph.modules
    );
    let found = describe_cycles(&graph);
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

#[test]
fn plugin_modules_have_no_import_cycle() {
    let graph = crate_graph("ringside_portal", &manifest_dir().join("../plugin/src"));
    assert!(
        graph.modules.len() > 20,
        "the module tree was not read: {:?}",
        graph.modules
    );
    let found = describe_cycles(&graph);
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

#[test]
fn cycle_check_finds_a_planted_cycle() {
    let mut edges = BTreeMap::new();
    edges.insert(("a".to_string(), "b".to_string()), PathBuf::from("a.rs"));
    edges.insert(("b".to_string(), "c".to_string()), PathBuf::from("b.rs"));
    edges.insert(("c".to_string(), "a".to_string()), PathBuf::from("c.rs"));
    edges.insert(("c".to_string(), "d".to_string()), PathBuf::from("c.rs"));
    assert_eq!(
        cycles(&edges),
        vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]
    );
}

#[test]
fn plugin_never_names_sql_or_asterisk_links() {
    let mut offenders = Vec::new();
    let src = manifest_dir().join("../plugin");
    let toml = std::fs::read_to_string(src.join("Cargo.toml")).expect("plugin Cargo.toml");
    for forbidden in ["sqlx", "tokio-tungstenite", "reqwest", "ringside ="] {
        if toml.contains(forbidden) {
            offenders.push(format!("plugin/Cargo.toml depends on {forbidden}"));
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}
