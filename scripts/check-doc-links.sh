#!/usr/bin/env bash
# Every citation of a project doc points at a file (and a section) that exists in this repository.
#
# Fails (exit 1), naming file:line, when a file in the repository (node_modules, target, .git and
# ui/dist left out):
#   - cites `docs/<doc>.md` and that file does not exist;
#   - cites a section of it that is not one of its headings: `docs/<doc>.md §Word` (or `§4.1`)
#     needs a heading whose first word is that word (or number); `docs/<doc>.md: "Heading"` (or
#     `, "Heading"`, `§"Heading"`) needs that exact heading;
#   - has a Markdown link to a `.md` file (relative to the linking file) that does not exist, or to an
#     anchor (`file.md#anchor`) that is not one of its headings;
#   - names one of the design notes this project's docs replaced without the `docs/` prefix, or
#     cites them where they used to live outside the repository (`shared/docs/…`).
# Inside docs/ a bare name is a relative link and must exist there. Applied migrations cannot be
# edited (sqlx checks their checksums), so their bare citations are read as docs/<name>.md and must
# still name an existing file and section.
#
# Usage: scripts/check-doc-links.sh        (from anywhere; no arguments, no network, no build)
set -euo pipefail
cd "$(dirname "$0")/.."

exec python3 - <<'PY'
import os, re, sys

ROOT = "."
SKIP_DIRS = {"node_modules", "target", ".git"}
SKIP_PATHS = {os.path.join(".", "ui", "dist")}
MAX_BYTES = 2_000_000
# The design notes that docs/ replaced, by stem: spelled without their extension here, so this
# script does not cite them itself.
OUTSIDE = ["architecture", "build-notes", "external-apis", "platform-api", "platform-service",
           "flux-models", "privacy-promises"]

outside_re = re.compile(r"(?<![\w.-])((?:[\w.-]+/)*)(" + "|".join(map(re.escape, OUTSIDE)) + r")\.md\b")
doc_re = re.compile(r'(?<![\w.-])docs/([\w./-]+?\.md)\b(?:\s*(?:§\s*"([^"]+)"|[:,]\s*"([^"]+)"|§\s*([\w.-]+)))?')
bare_section_re = re.compile(r'\s*(?:§\s*"([^"]+)"|[:,]\s*"([^"]+)"|§\s*([\w.-]+))')
link_re = re.compile(r"\]\(([^)\s]+?\.md)(#[^)\s]*)?\)")

problems = []
heading_cache = {}

def slug(text):
    text = re.sub(r"[`*]", "", text.strip().lower())
    return "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")

def headings(path):
    if path not in heading_cache:
        found, slugs, counts = [], set(), {}
        try:
            with open(path, encoding="utf-8") as f:
                in_code = False
                for line in f:
                    if line.startswith("```"):
                        in_code = not in_code
                    m = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                    if m:
                        found.append(m.group(1))
                        s = slug(m.group(1))
                        n = counts.get(s, 0)
                        counts[s] = n + 1
                        slugs.add(s if n == 0 else f"{s}-{n}")
        except OSError:
            pass
        heading_cache[path] = (found, slugs)
    return heading_cache[path]

def first_word(text):
    words = text.split()
    return words[0].rstrip(".:,;)").lower() if words else ""

def section_exists(doc, quoted, word):
    titles, _ = headings(doc)
    if quoted:
        want = quoted.strip().lower()
        return any(t.strip().lower().replace("`", "") == want.replace("`", "") for t in titles)
    want = word.rstrip(".:,;)").lower()
    return any(first_word(t.replace("`", "")) == want for t in titles)

def check_doc_citation(where, doc_rel, quoted, word):
    doc = os.path.normpath(os.path.join("docs", doc_rel))
    if not os.path.isfile(doc):
        problems.append(f"{where}: cites docs/{doc_rel}, which does not exist")
    elif (quoted or word) and not section_exists(doc, quoted, word):
        problems.append(f"{where}: cites docs/{doc_rel} §{quoted or word}, which is not a heading there")

def scan(path):
    rel = os.path.relpath(path, ROOT)
    in_docs = rel.split(os.sep)[0] == "docs"
    migration = os.sep + "migrations" + os.sep in os.sep + rel and rel.endswith(".sql")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return
    if len(data) > MAX_BYTES or b"\0" in data:
        return
    text = data.decode("utf-8", errors="replace")
    for no, line in enumerate(text.splitlines(), 1):
        where = f"{rel}:{no}"
        for m in doc_re.finditer(line):
            check_doc_citation(where, m.group(1), m.group(2) or m.group(3), m.group(4))
        for m in outside_re.finditer(line):
            prefix, name = m.group(1), m.group(2) + ".md"
            if "shared/" in prefix:
                problems.append(f"{where}: cites {prefix}{name} outside the repository; cite docs/ instead")
            elif prefix.endswith("docs/"):
                continue  # a docs/ citation, checked above
            elif in_docs and not prefix and os.path.isfile(os.path.join("docs", name)):
                continue  # a relative name inside docs/
            elif migration and not prefix:
                s = bare_section_re.match(line, m.end())
                check_doc_citation(where, name, s and (s.group(1) or s.group(2)), s and s.group(3))
            else:
                problems.append(f"{where}: cites {prefix}{name} without the docs/ prefix")
        if path.endswith(".md"):
            for m in link_re.finditer(line):
                target, anchor = m.group(1), m.group(2)
                if re.match(r"[a-z]+:", target):
                    continue
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
                if not os.path.isfile(resolved):
                    problems.append(f"{where}: links to {target}, which does not exist")
                elif anchor and anchor[1:] not in headings(resolved)[1]:
                    problems.append(f"{where}: links to {target}{anchor}, which is not a heading there")

for dirpath, dirnames, filenames in os.walk(ROOT):
    dirnames[:] = sorted(d for d in dirnames
                         if d not in SKIP_DIRS and os.path.join(dirpath, d) not in SKIP_PATHS)
    for name in sorted(filenames):
        scan(os.path.join(dirpath, name))

for p in problems:
    print(p, file=sys.stderr)
if problems:
    print(f"check-doc-links: {len(problems)} citation(s) to fix", file=sys.stderr)
    sys.exit(1)
print("check-doc-links: every doc citation points inside the repository")
PY
