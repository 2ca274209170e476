-- A thumbnail is named by its original's hash and recorded in the same row, so "is this thumbnail
-- still used?" is answered by the original's index. This one only slowed every delete (the purge of
-- 100k rows spent about a sixth of its time keeping it up to date).
DROP INDEX images_by_thumb;
