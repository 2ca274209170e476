-- The prompt editor (#23): saved styles, the style each generation was made with, and the Create
-- screen's draft.

-- A style: text put before and after the user's prompt, and optional form defaults.
CREATE TABLE styles (
    name         TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    prefix       TEXT NOT NULL DEFAULT '',
    suffix       TEXT NOT NULL DEFAULT '',
    model        TEXT,
    aspect_ratio TEXT,
    guidance     REAL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- {"name", "prefix", "suffix"} as applied, so Re-run brings the style back even after it changed.
ALTER TABLE generations ADD COLUMN style TEXT CHECK (style IS NULL OR json_valid(style));

-- One row: what the Create screen held last. Prompt text, so the erasures remove it.
CREATE TABLE prompt_draft (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    draft      TEXT NOT NULL CHECK (json_valid(draft)),
    updated_at INTEGER NOT NULL
) STRICT;
