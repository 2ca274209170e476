-- Each cached original with the number of image rows that use it, kept up to date by triggers
-- (#21). At a million items, "which files would a purge free, and how many bytes?" grouped every
-- expired image row by file (seconds); with the counts it is a lookup. A file whose count reaches
-- zero stays listed until its files are removed from disk, so a purge interrupted between deleting
-- rows and removing files finds them again. The counts also answer "is this file still used?", so
-- the index of images by file goes: every deleted row rewrote a random page of it, half of a
-- purge's time.
CREATE TABLE cached_files (
    -- images/ab/<hash>.<ext>, relative to the data folder.
    file  TEXT PRIMARY KEY,
    thumb TEXT,
    -- The original's bytes plus its thumbnail's.
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    refs  INTEGER NOT NULL CHECK (refs >= 0)
) WITHOUT ROWID, STRICT;

-- The files waiting for removal.
CREATE INDEX cached_files_unused ON cached_files(file) WHERE refs = 0;

INSERT INTO cached_files (file, thumb, bytes, refs)
SELECT file, MAX(thumb), MAX(bytes) + MAX(thumb_bytes), COUNT(*) FROM images GROUP BY file;

CREATE TRIGGER images_reference AFTER INSERT ON images BEGIN
    INSERT INTO cached_files (file, thumb, bytes, refs)
    VALUES (new.file, new.thumb, new.bytes + new.thumb_bytes, 1)
    ON CONFLICT (file) DO UPDATE SET
        refs = refs + 1,
        thumb = coalesce(excluded.thumb, thumb),
        bytes = max(bytes, excluded.bytes);
END;

CREATE TRIGGER images_unreference AFTER DELETE ON images BEGIN
    UPDATE cached_files SET refs = refs - 1 WHERE file = old.file;
END;

-- An image written again (a resumed download) moves its reference.
CREATE TRIGGER images_rereference AFTER UPDATE OF file, thumb, bytes, thumb_bytes ON images BEGIN
    UPDATE cached_files SET refs = refs - 1 WHERE file = old.file;
    INSERT INTO cached_files (file, thumb, bytes, refs)
    VALUES (new.file, new.thumb, new.bytes + new.thumb_bytes, 1)
    ON CONFLICT (file) DO UPDATE SET
        refs = refs + 1,
        thumb = coalesce(excluded.thumb, thumb),
        bytes = max(bytes, excluded.bytes);
END;

DROP INDEX images_by_file;
