-- Privacy: consents (off until the user turns them on), every change kept with its time and
-- source, and the rights the user has exercised (export, erasure, deletion requests).

CREATE TABLE consent_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL CHECK (name IN ('marketing_emails', 'product_analytics', 'training_use')),
    granted    INTEGER NOT NULL CHECK (granted IN (0, 1)),
    changed_at INTEGER NOT NULL,
    -- Where the change was made: the window, the CLI, or the platform (when synced back).
    source     TEXT NOT NULL CHECK (source IN ('app', 'cli', 'platform')),
    -- When the platform confirmed it (account mode); NULL = local only or not yet sent.
    synced_at  INTEGER
) STRICT;

CREATE INDEX consent_changes_latest ON consent_changes(name, id DESC);

CREATE TABLE privacy_requests (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                TEXT NOT NULL CHECK (kind IN ('export', 'erase_prompts', 'erase_all', 'delete_images', 'account_deletion')),
    requested_at        INTEGER NOT NULL,
    -- What was done, in words ("3,201 prompts erased", "archive written to …").
    outcome             TEXT NOT NULL,
    -- Account mode: the platform's request id and the date it is due by (30 days).
    platform_request_id TEXT,
    due_at              INTEGER
) STRICT;
