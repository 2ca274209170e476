-- Input pictures kept with their generation (#19): the copy that was sent (metadata stripped) lives
-- in the cache, so Re-run, Remix and the export no longer depend on the user's own file, whose path
-- is not stored any more (the generation's inputs hold its file name only).
CREATE TABLE input_images (
    generation_id INTEGER NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    -- The model input it fills (`image`, `input_image`, `image_prompt`).
    field         TEXT NOT NULL,
    -- inputs/ab/<sha256>.<ext>, relative to the data folder.
    file          TEXT NOT NULL,
    -- The user's file name, without its folder.
    name          TEXT NOT NULL,
    format        TEXT NOT NULL,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (generation_id, field)
) WITHOUT ROWID, STRICT;

-- "Is this file still referenced?" after deletes, purges and in the orphan sweep.
CREATE INDEX input_images_by_file ON input_images(file);
