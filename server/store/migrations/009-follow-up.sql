-- 009: reminders and escalation of pending requests (issue 13; server/domain/follow-up.ts).
--
-- follow_up: where the request's follow-up stands (its plan from the target's config at
-- submission, reminders sent, escalation), JSON as the domain's `FollowUp`; null when its target
-- has none configured.
-- follow_up_at: when the next reminder or escalation is due (the domain's nextFollowUpAt, written
-- with every save); null when nothing is left to do or the request is no longer pending. The
-- partial index serves the worker's "due follow-ups" query the way access_requests_pending_expiry
-- (001) serves expiry: a range of the due rows only, whatever the size of the table.
ALTER TABLE access_requests ADD COLUMN follow_up jsonb;
ALTER TABLE access_requests ADD COLUMN follow_up_at timestamptz;
CREATE INDEX access_requests_follow_up_due
  ON access_requests (follow_up_at)
  WHERE status = 'pending' AND follow_up_at IS NOT NULL;
