-- 0005: retrospective versions and action items are on the hash chain: every save appends an event that
-- records it (retro_saved, action_item), and audit verify checks the rows against those events. Rows saved
-- before this migration have no event; they are marked legacy so that audit verify can say they are not
-- covered instead of calling them forged.
ALTER TABLE retro_versions ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE retro_actions ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
UPDATE retro_versions SET legacy = 1;
UPDATE retro_actions SET legacy = 1;
