-- Predictions made through the platform, their stored outputs, and the settlement work queue.

CREATE TABLE predictions (
    -- Our id, known before Replicate is called, so a hold can always be found and released.
    id text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    model text NOT NULL,
    replicate_id text UNIQUE,
    -- creating: held, Replicate not yet known to have it; then Replicate's statuses.
    status text NOT NULL CHECK (status IN ('creating', 'starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted')),
    credits_per_image bigint NOT NULL,
    requested int NOT NULL,
    delivered int,
    -- Prompt and parameters: erased on request or after 12 months (input_erased_at).
    input jsonb,
    input_erased_at timestamptz,
    error text,
    upstream jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    -- Settlement: outputs copied and the undelivered images refunded, once.
    settled_at timestamptz,
    lease_until timestamptz,
    next_check_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX predictions_user ON predictions (user_id, created_at DESC);
CREATE INDEX predictions_unsettled ON predictions (next_check_at) WHERE settled_at IS NULL;

CREATE TABLE outputs (
    prediction_id text NOT NULL REFERENCES predictions (id) ON DELETE CASCADE,
    idx int NOT NULL,
    object_key text NOT NULL UNIQUE,
    content_type text NOT NULL,
    size bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (prediction_id, idx)
);
CREATE INDEX outputs_expiry ON outputs (expires_at);
