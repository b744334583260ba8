-- 0004: a run's plan has a hash, and an approval binds to the plan it approved: an approval of a plan that
-- has since changed is void. resumes names the run a resumed or retried run continues.
ALTER TABLE runs ADD COLUMN plan_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE approvals ADD COLUMN plan_hash TEXT NOT NULL DEFAULT '';
