-- A supervisor's phone for monitoring agents' calls (the wallboard prefills it); '' = none kept.
ALTER TABLE users ADD COLUMN monitor_phone text NOT NULL DEFAULT '';
