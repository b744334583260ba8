-- 0006: runs are owned by a lease that any firebreak on any machine can see run out, and each host's log is
-- recorded with the machine it is on.
ALTER TABLE runs ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
ALTER TABLE run_hosts ADD COLUMN log_host TEXT NOT NULL DEFAULT '';
