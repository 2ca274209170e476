-- The queue lists real jobs (not synthetic history) newest first; without this it scanned every
-- row, which at 100,000 items took half a second while a purge ran.
CREATE INDEX generations_jobs ON generations(id) WHERE provider IN ('replicate', 'platform');
