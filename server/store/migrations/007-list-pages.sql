-- 007: every list page costs O(page), whatever the size of the tables (docs/lists.md). The broker
-- lists newest first, ordered by (time, id), and pages by keyset: a page is "the first n rows
-- strictly after the cursor's (time, id)". Each filter a list can take gets a b-tree index whose
-- leading columns are the filter's equality columns and whose last two are the order, so a page
-- is one short index range scanned backwards, never a scan and sort of every matching row.
-- server/store/keyset.ts builds those queries; tests/server/store-list-plans.test.ts checks with
-- EXPLAIN that both engines use these indexes.

-- Access requests, ordered by (created_at, id).
-- Auditors and admins: every request, or every request in one state.
CREATE INDEX access_requests_by_created ON access_requests (created_at, id);
CREATE INDEX access_requests_by_status_created ON access_requests (status, created_at, id);
-- The requester's own list. Replaces 001's (requester, created_at), which left equal timestamps
-- to a sort of all of the requester's rows.
DROP INDEX access_requests_by_requester;
CREATE INDEX access_requests_by_requester_created ON access_requests (requester, created_at, id);
CREATE INDEX access_requests_by_requester_status_created
  ON access_requests (requester, status, created_at, id);

-- The approvers' queues: one row per request and approver group of its policy decision snapshot
-- (`decision -> 'approverGroups'`, resolved when the request was submitted), with the request's
-- status and created_at copied so a queue page ("pending requests of my groups") is an index
-- range. Filtering the snapshot's JSON array in the list query instead could use no index and
-- read every request. The trigger below keeps the rows in step with access_requests on every
-- write, whichever statement makes it (the store's insert, the transition CTE, an operator's SQL).
--
-- No foreign key to access_requests: the trigger writes these rows only for a request row it has
-- just seen written, and removes them with it. A foreign key adds a check to every submission,
-- and on PGlite (docs/lists.md) that check halved the broker's submission rate once planner
-- statistics had been taken while the table was small: its plan, prepared then and kept, read the
-- whole of access_requests on every check.
CREATE TABLE request_approver_groups (
  request_id text NOT NULL,
  approver_group text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, approver_group)
);
CREATE INDEX request_approver_groups_by_created
  ON request_approver_groups (approver_group, created_at, request_id);
CREATE INDEX request_approver_groups_by_status_created
  ON request_approver_groups (approver_group, status, created_at, request_id);

-- The UPDATE and DELETE by request_id run through EXECUTE, planned at each call: a plan PL/pgSQL
-- prepared and kept while the table looked small could scan all of it once it is large (as above).
CREATE FUNCTION request_approver_groups_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.decision IS NOT DISTINCT FROM OLD.decision THEN
    -- The usual save: same snapshot, perhaps a new status.
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
      EXECUTE 'UPDATE request_approver_groups SET status = $1, created_at = $2 WHERE request_id = $3'
        USING NEW.status, NEW.created_at, NEW.id;
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    EXECUTE 'DELETE FROM request_approver_groups WHERE request_id = $1' USING OLD.id;
  END IF;
  -- A snapshot without an approverGroups array names no approver group (the request is in no queue).
  IF TG_OP IN ('INSERT', 'UPDATE') AND jsonb_typeof(NEW.decision -> 'approverGroups') = 'array' THEN
    INSERT INTO request_approver_groups (request_id, approver_group, status, created_at)
    SELECT DISTINCT NEW.id, g.name, NEW.status, NEW.created_at
    FROM jsonb_array_elements_text(NEW.decision -> 'approverGroups') AS g(name);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER access_requests_approver_groups
  AFTER INSERT OR UPDATE OR DELETE ON access_requests
  FOR EACH ROW EXECUTE FUNCTION request_approver_groups_sync();

-- The requests that exist already.
INSERT INTO request_approver_groups (request_id, approver_group, status, created_at)
SELECT DISTINCT r.id, g.name, r.status, r.created_at
FROM access_requests r
CROSS JOIN LATERAL jsonb_array_elements_text(r.decision -> 'approverGroups') AS g(name)
WHERE jsonb_typeof(r.decision -> 'approverGroups') = 'array';

-- Grants, ordered by (starts_at, id).
CREATE INDEX grants_by_starts ON grants (starts_at, id);
CREATE INDEX grants_by_status_starts ON grants (status, starts_at, id);
-- The holder's own list. The second also serves approval's merge check (a user's live grants on
-- one target), so 001's (user_id, target_cloud, target_account, status) goes: with it, a planner
-- without statistics (PGlite never runs ANALYZE) could read a user's grants through it and sort
-- them all instead of reading one page in order.
CREATE INDEX grants_by_user_starts ON grants (user_id, starts_at, id);
CREATE INDEX grants_by_user_status_starts ON grants (user_id, status, starts_at, id);
DROP INDEX grants_by_user_target;
-- Approvers see the grants on the targets their groups approve. Accounts compare case-insensitively
-- as the broker's target lookups do (server/config/targets.ts), hence lower().
CREATE INDEX grants_by_target_starts ON grants (target_cloud, lower(target_account), starts_at, id);
CREATE INDEX grants_by_target_status_starts
  ON grants (target_cloud, lower(target_account), status, starts_at, id);
