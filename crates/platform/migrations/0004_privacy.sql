-- Consents with their history, and account deletion requests.

CREATE TABLE consents (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('marketing_emails', 'product_analytics', 'training_use')),
    granted boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE consent_history (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL,
    granted boolean NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_history_user ON consent_history (user_id);

CREATE TABLE deletion_requests (
    id text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- platform-api.md §4.4: carried out at run_at (request + 7 days), promised by due_by (+ 30).
    run_at timestamptz NOT NULL,
    due_by timestamptz NOT NULL,
    cancelled_at timestamptz,
    completed_at timestamptz,
    lease_until timestamptz
);
-- At most one pending request per user.
CREATE UNIQUE INDEX deletion_one_pending ON deletion_requests (user_id)
    WHERE cancelled_at IS NULL AND completed_at IS NULL;
