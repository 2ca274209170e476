-- Price lists, the append-only ledger, Stripe checkouts and webhook events, idempotency keys.

CREATE TABLE models (
    id text PRIMARY KEY,
    credits_per_image bigint NOT NULL CHECK (credits_per_image > 0),
    max_outputs int NOT NULL CHECK (max_outputs BETWEEN 1 AND 4),
    enabled boolean NOT NULL DEFAULT true,
    position int NOT NULL DEFAULT 0
);
INSERT INTO models (id, credits_per_image, max_outputs, position) VALUES
    ('black-forest-labs/flux-schnell', 1, 4, 1),
    ('black-forest-labs/flux-dev', 5, 4, 2),
    ('black-forest-labs/flux-krea-dev', 5, 4, 3),
    ('black-forest-labs/flux-1.1-pro', 8, 1, 4),
    ('black-forest-labs/flux-kontext-pro', 8, 1, 5);

CREATE TABLE credit_packs (
    id text PRIMARY KEY,
    credits bigint NOT NULL CHECK (credits > 0),
    price_cents bigint NOT NULL CHECK (price_cents > 0),
    currency text NOT NULL DEFAULT 'usd',
    active boolean NOT NULL DEFAULT true,
    position int NOT NULL DEFAULT 0
);
INSERT INTO credit_packs (id, credits, price_cents, position) VALUES
    ('pack_100', 100, 500, 1),
    ('pack_500', 500, 2000, 2),
    ('pack_2000', 2000, 7000, 3);

CREATE TABLE ledger_entries (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    delta bigint NOT NULL CHECK (delta <> 0),
    reason text NOT NULL CHECK (reason IN ('purchase', 'generation', 'refund', 'grant', 'reversal')),
    balance_after bigint NOT NULL,
    prediction_id text,
    checkout_id text,
    -- The Stripe charge or dispute a reversal answers.
    stripe_ref text,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The backstop for "no overdraft by a charge".
    CONSTRAINT charge_never_overdraws CHECK (reason <> 'generation' OR balance_after >= 0)
);
CREATE INDEX ledger_user ON ledger_entries (user_id, id DESC);
-- Exactly-once effects: one charge and at most one refund per prediction, one grant per paid
-- checkout, one reversal per Stripe refund or dispute.
CREATE UNIQUE INDEX ledger_one_per_prediction ON ledger_entries (prediction_id, reason)
    WHERE prediction_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_one_purchase ON ledger_entries (checkout_id) WHERE reason = 'purchase';
CREATE UNIQUE INDEX ledger_one_reversal ON ledger_entries (stripe_ref) WHERE reason = 'reversal';

CREATE TABLE checkouts (
    id text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    pack_id text NOT NULL REFERENCES credit_packs (id),
    credits bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
    checkout_url text NOT NULL,
    payment_intent text,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkouts_user ON checkouts (user_id);
CREATE INDEX checkouts_payment_intent ON checkouts (payment_intent);

-- Stripe delivers at least once: an event is acted on once.
CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- platform-api.md §4.1. A row without a response is in flight until `locked_until`.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope text NOT NULL CHECK (scope IN ('checkout', 'prediction')),
    key text NOT NULL,
    request_hash bytea NOT NULL,
    locked_until timestamptz,
    status_code int,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, scope, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
