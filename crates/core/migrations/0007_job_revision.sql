-- Every change a job's watchers can see bumps its revision, so a snapshot that arrives late (a
-- command's answer overtaken by the event of the change after it) is recognised as older and
-- ignored instead of undoing what the user already saw: a canceled job shown as "Canceling…" forever.
ALTER TABLE generations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER generations_revision
AFTER UPDATE OF status, error, cancel_requested, images_returned, cost_usd, cost_credits, prediction_id, completed_at
ON generations
WHEN NEW.revision = OLD.revision
BEGIN
  UPDATE generations SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;
