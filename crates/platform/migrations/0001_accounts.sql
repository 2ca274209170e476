-- Users, their provider identities, sign-in flows and sessions (GoTrue's model).

CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- NULL once the account is deleted: the row stays, pseudonymous, for the ledger it anchors.
    email text,
    name text NOT NULL DEFAULT '',
    avatar_url text,
    provider text NOT NULL,
    -- Balance in credits: the ledger's running sum (0002). A charge never takes it below zero;
    -- a Stripe reversal may (platform-api.md §4.3).
    balance bigint NOT NULL DEFAULT 0,
    balance_updated_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);

CREATE TABLE identities (
    provider text NOT NULL CHECK (provider IN ('google', 'github')),
    subject text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- One row per sign-in: its id is the `state` sent to the provider.
CREATE TABLE flow_states (
    id uuid PRIMARY KEY,
    provider text NOT NULL,
    code_challenge text NOT NULL,
    redirect_to text NOT NULL,
    -- Our PKCE verifier toward the provider; dropped after the callback.
    provider_verifier text,
    -- SHA-256 of the single-use code given to the app; set by the callback.
    auth_code_hash bytea UNIQUE,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    authenticated_at timestamptz
);
CREATE INDEX flow_states_created ON flow_states (created_at);

CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz,
    -- Set by logout or by refresh-token reuse; every authenticated request checks it.
    ended_at timestamptz,
    end_reason text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Only SHA-256 hashes of refresh tokens are stored.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    spent_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
