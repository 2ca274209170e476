-- Account mode: the platform's credits per image when the job was made, so what a job cost is
-- price × images delivered, as with own-key dollars.
ALTER TABLE generations ADD COLUMN price_credits INTEGER;
