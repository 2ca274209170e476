-- Generation: the own-key spend ledger and budget, and what the job runner needs to resume safely.

-- When a create was sent but its answer was lost (crash, reset), the runner finds the prediction
-- again by this key instead of creating a second one (and paying twice).
ALTER TABLE generations ADD COLUMN submit_key TEXT;
-- The model's price per image at the time of the run, so a later price change does not rewrite history.
ALTER TABLE generations ADD COLUMN price_usd REAL;

-- Own-key runs: what each job was estimated to cost on the user's Replicate bill. Kept when the
-- generation itself is deleted or purged (money spent stays spent); generation_id then becomes NULL.
CREATE TABLE spend_ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    generation_id INTEGER UNIQUE REFERENCES generations(id) ON DELETE SET NULL,
    model         TEXT NOT NULL,
    images        INTEGER NOT NULL CHECK (images >= 0),
    amount_usd    REAL NOT NULL CHECK (amount_usd >= 0),
    -- 'pending' while the job runs (its estimate counts against the budget), then 'final'.
    state         TEXT NOT NULL CHECK (state IN ('pending', 'final')),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX spend_ledger_by_time ON spend_ledger(created_at DESC, id DESC);

-- One row: the optional monthly budget for own-key runs (NULL = no budget).
CREATE TABLE spend_budget (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    monthly_usd REAL CHECK (monthly_usd > 0),
    updated_at  INTEGER NOT NULL
) STRICT;

INSERT INTO spend_budget(id, monthly_usd, updated_at) VALUES (1, NULL, 0);

-- Set by whoever asks to cancel (the window or the CLI, possibly another process); the process
-- running the job sees it at its next poll.
ALTER TABLE generations ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1));
