//! Resident memory of a process tree, from /proc (Linux): the app and its WebKit processes, or
//! WebKitGTK's own MiniBrowser for comparison. PSS, so a shared library's pages are counted once
//! across the processes that map it (plain RSS would count WebKit's code three times).

use std::path::Path;

/// (pid, parent pid, PSS in kB) of every readable process.
fn processes() -> Vec<(u32, u32, u64)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let ppid: u32 = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
            let rollup = std::fs::read_to_string(e.path().join("smaps_rollup")).ok()?;
            let kb: u64 = rollup.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, kb))
        })
        .collect()
}

/// PSS (MB) of the processes `is_root` picks and every process below them; prints one line per
/// process to stderr.
fn tree_pss_mb(is_root: impl Fn(u32) -> bool) -> f64 {
    let procs = processes();
    let mut tree: Vec<u32> = procs.iter().filter(|p| is_root(p.0)).map(|p| p.0).collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let mine: Vec<_> = procs.iter().filter(|p| tree.contains(&p.0)).collect();
    for p in &mine {
        let name = std::fs::read_to_string(format!("/proc/{}/comm", p.0)).unwrap_or_default();
        eprintln!("  {:>6} {:<20} {:>6.0} MB", p.0, name.trim(), p.2 as f64 / 1024.0);
    }
    mine.iter().map(|p| p.2).sum::<u64>() as f64 / 1024.0
}

/// The tree under every process running `binary` (the app launched through WebDriver, whose pid
/// the test does not know).
pub fn tree_of_binary_mb(binary: &Path) -> f64 {
    tree_pss_mb(|pid| {
        std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.file_name() == binary.file_name())
    })
}

/// The tree under one process.
pub fn tree_of_pid_mb(root: u32) -> f64 {
    tree_pss_mb(|pid| pid == root)
}

/// Where a process tree's memory is: PSS (MB) by kind of mapping, over every process of the tree
/// under the processes running `binary`, largest first. The kinds: the heap (`[heap]` and
/// anonymous memory), shared memory (WebKit's painted bitmaps travel through `memfd`/`/dev/shm`),
/// code and data of libraries, and other files. Printed to stderr for the README's breakdown.
pub fn breakdown_of_binary(binary: &Path) {
    let procs = processes();
    let mut tree: Vec<u32> = procs
        .iter()
        .filter(|p| {
            std::fs::read_link(format!("/proc/{}/exe", p.0)).is_ok_and(|exe| exe.file_name() == binary.file_name())
        })
        .map(|p| p.0)
        .collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    for pid in tree {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let mut kinds: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else { continue };
        let mut kind = "anonymous";
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                let path = line.split_whitespace().nth(5).unwrap_or("");
                kind = match path {
                    "" | "[heap]" | "[stack]" => "anonymous (heaps, JS, decoded images)",
                    p if p.starts_with("/memfd:") || p.starts_with("/dev/shm") => "shared memory (painted bitmaps)",
                    p if p.contains(".so") => "libraries",
                    p if p.starts_with('[') => "kernel",
                    _ => "other files",
                };
            } else if let Some(kb) = line.strip_prefix("Pss:") {
                *kinds.entry(kind).or_default() += kb.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0);
            }
        }
        let mut kinds: Vec<_> = kinds.into_iter().collect();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
        let text: Vec<String> = kinds.iter().map(|(k, kb)| format!("{k} {:.0}", *kb as f64 / 1024.0)).collect();
        eprintln!("  {:>6} {:<20} {}", pid, name.trim(), text.join(", "));
    }
}
