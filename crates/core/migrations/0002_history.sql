-- The local history: every generation (the job journal too), its image files, full-text search
-- over prompts, user collections and the retention policy. Times are unix milliseconds.

CREATE TABLE generations (
    -- AUTOINCREMENT: an id the UI still holds must never come back as a different item.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    provider         TEXT NOT NULL CHECK (provider IN ('replicate', 'platform', 'synthetic')),
    model            TEXT NOT NULL,
    inputs           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(inputs)),
    prompt           TEXT NOT NULL DEFAULT '',
    seed             INTEGER,
    status           TEXT NOT NULL
                     CHECK (status IN ('queued', 'submitted', 'running', 'downloading', 'done', 'failed', 'canceled')),
    error            TEXT,
    prediction_id    TEXT,
    -- Own-key runs record an estimate in USD, platform runs the credits charged.
    cost_usd         REAL,
    cost_credits     INTEGER,
    images_requested INTEGER NOT NULL DEFAULT 1 CHECK (images_requested >= 0),
    images_returned  INTEGER NOT NULL DEFAULT 0 CHECK (images_returned >= 0),
    parent_id        INTEGER REFERENCES generations(id) ON DELETE SET NULL,
    favourite        INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER
) STRICT;

-- Keyset pagination, newest first, and each filter followed by the same order.
CREATE INDEX generations_by_time ON generations(created_at DESC, id DESC);
CREATE INDEX generations_by_model ON generations(model, created_at DESC, id DESC);
CREATE INDEX generations_by_status ON generations(status, created_at DESC, id DESC);
CREATE INDEX generations_favourites ON generations(created_at DESC, id DESC) WHERE favourite = 1;
-- ON DELETE SET NULL looks children up by parent: without this a batch delete scans the table per row.
CREATE INDEX generations_by_parent ON generations(parent_id) WHERE parent_id IS NOT NULL;
-- The job runner resumes unfinished work at start-up.
CREATE INDEX generations_unfinished ON generations(id)
    WHERE status IN ('queued', 'submitted', 'running', 'downloading');

CREATE TABLE images (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL CHECK (idx >= 0),
    -- Paths relative to the data folder, named by content hash: images/ab/abcd….png
    file          TEXT NOT NULL,
    thumb         TEXT,
    width         INTEGER NOT NULL CHECK (width > 0),
    height        INTEGER NOT NULL CHECK (height > 0),
    format        TEXT NOT NULL,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    thumb_bytes   INTEGER NOT NULL DEFAULT 0 CHECK (thumb_bytes >= 0),
    source_url    TEXT,
    downloaded_at INTEGER NOT NULL,
    UNIQUE (generation_id, idx)
) STRICT;

-- "Is this file still referenced?" after deletes and in the orphan sweep.
CREATE INDEX images_by_file ON images(file);
CREATE INDEX images_by_thumb ON images(thumb) WHERE thumb IS NOT NULL;

-- Prompts, searchable. External content: the text lives once, in generations.
CREATE VIRTUAL TABLE generations_fts USING fts5(
    prompt,
    content = 'generations',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN
    INSERT INTO generations_fts(rowid, prompt) VALUES (new.id, new.prompt);
END;

CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
END;

-- Only a prompt change touches the index (favourite and status updates are frequent).
CREATE TRIGGER generations_fts_update AFTER UPDATE OF prompt ON generations BEGIN
    INSERT INTO generations_fts(generations_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
    INSERT INTO generations_fts(rowid, prompt) VALUES (new.id, new.prompt);
END;

CREATE TABLE collections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE collection_items (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (collection_id, generation_id)
) WITHOUT ROWID, STRICT;

CREATE INDEX collection_items_by_generation ON collection_items(generation_id);

-- One row: how long history is kept. NULL window = keep forever; NULL budget = no disk limit.
CREATE TABLE retention_policy (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    window_days       INTEGER CHECK (window_days BETWEEN 1 AND 365),
    disk_budget_bytes INTEGER CHECK (disk_budget_bytes > 0),
    keep_favourites   INTEGER NOT NULL DEFAULT 0 CHECK (keep_favourites IN (0, 1)),
    updated_at        INTEGER NOT NULL
) STRICT;

INSERT INTO retention_policy(id, window_days, disk_budget_bytes, keep_favourites, updated_at)
VALUES (1, 365, NULL, 0, 0);
