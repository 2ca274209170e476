//! An automated accessibility check of what the window shows now: axe-core (the UI's devDependency,
//! so its version is pinned by ui/package-lock.json) is put into the page over WebDriver and run
//! with the WCAG 2.0/2.1/2.2 A and AA rules. Only serious and critical violations are returned: the
//! ones that stop someone from using a control (no name, unreadable contrast, broken roles).

use std::path::{Path, PathBuf};

use crate::{App, TestResult};

/// The WCAG levels checked, as axe-core tags them.
const TAGS: [&str; 6] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/// Runs axe on the document and calls back with the serious and critical violations, each reduced
/// to what a fix needs: the rule, its help text and link, and per element its selector and summary.
const RUN: &str = "const done = arguments[arguments.length - 1];
    axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
      .then((r) => done(r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })) }))))
      .catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e), url: '', nodes: [] }]));";

/// One rule broken on one screen, with the elements that break it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub url: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub target: String,
    pub summary: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} ({}): {} <{}>", self.id, self.impact, self.help, self.url)?;
        for node in &self.nodes {
            let summary = node.summary.as_deref().unwrap_or("").replace('\n', " ");
            writeln!(f, "    {} — {}", node.target, summary)?;
        }
        Ok(())
    }
}

fn axe_source_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core/axe.min.js")
}

impl App {
    /// The serious and critical WCAG A/AA violations in the window as it is now.
    pub async fn accessibility_findings(&self) -> TestResult<Vec<Finding>> {
        let loaded = self.js("return typeof window.axe === 'object';").await?;
        if loaded.as_bool() != Some(true) {
            let path = axe_source_path();
            let source = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e} (npm ci in ui/ installs axe-core)", path.display()))?;
            // The script body runs as a function; axe's bundle then sets window.axe.
            self.execute(&format!("{source}\nreturn typeof window.axe;"), vec![]).await?;
        }
        let tags = serde_json::json!(TAGS);
        let found = self.execute_async(RUN, vec![tags]).await?;
        let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        let findings = found.as_array().ok_or("axe answered no list")?;
        Ok(findings
            .iter()
            .map(|v| Finding {
                id: text(v, "id"),
                impact: text(v, "impact"),
                help: text(v, "help"),
                url: text(v, "url"),
                nodes: v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| Node { target: text(n, "target"), summary: n["summary"].as_str().map(String::from) })
                    .collect(),
            })
            .collect())
    }
}
