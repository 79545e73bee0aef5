-- 002: what the repository (repo.ts) needs to read reviews back exactly as the domain wrote them.
--
-- position: a review's index in its list (the request's approvals, or its denials), so reviews
-- read back in the order the domain appended them even when two share a timestamp.
ALTER TABLE approvals ADD COLUMN position integer;

-- The domain lets a reviewer approve a request that still needs another approver and then deny
-- it (changing their mind before the quorum). One vote per approver and request stays the rule
-- within each kind: a second approval (or denial) by the same person is still refused, so nobody
-- counts twice towards the quorum.
ALTER TABLE approvals DROP CONSTRAINT approvals_request_id_approver_key;
ALTER TABLE approvals
  ADD CONSTRAINT approvals_request_id_approver_decision_key UNIQUE (request_id, approver, decision);
