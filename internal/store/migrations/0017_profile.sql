-- Each user's own choices: the interface's language ('' = the browser's) and the time zone
-- times are shown in ('' = the center's, from the configuration).
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT '',
                  ADD COLUMN time_zone text NOT NULL DEFAULT '';
