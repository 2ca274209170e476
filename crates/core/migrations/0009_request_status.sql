-- Where a privacy request stands, so the Privacy screen can offer to withdraw a pending account
-- deletion and show a withdrawn one as such. Earlier rows: an account deletion is pending unless
-- its outcome says it was cancelled; every other request was done when recorded.
ALTER TABLE privacy_requests ADD COLUMN status TEXT NOT NULL DEFAULT 'done'
    CHECK (status IN ('done', 'pending', 'cancelled'));
UPDATE privacy_requests SET status = CASE WHEN outcome LIKE '%cancelled%' THEN 'cancelled' ELSE 'pending' END
    WHERE kind = 'account_deletion';
