-- The leader lease of routers sharing this database (docs/ha.md), and the fence that
-- refuses a write from a router whose term is over.

-- One row. term grows by one at every change of holder; expires_at is set from the
-- database's clock, so that routers on different hosts never compare their clocks.
CREATE TABLE leader_lease (
    id         integer PRIMARY KEY CHECK (id = 1),
    term       bigint NOT NULL,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL
);
INSERT INTO leader_lease (id, term, holder, expires_at, acquired_at)
    VALUES (1, 0, '', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z');

-- A connection of a leader carries its term in the setting switchboard.term (set when it
-- connects). A statement that writes from such a connection while the lease has another term
-- is refused with SQLSTATE SB001. The lease row is read FOR KEY SHARE: a take-over (which
-- locks it FOR UPDATE) waits until the transactions of the old term that passed the check have
-- ended, so no write of an old term commits after a new term began. Renewals update expires_at
-- only (FOR NO KEY UPDATE), which does not wait for them. Connections without the setting (the
-- web side of a router without a lease, tools, tests) are not fenced.
CREATE FUNCTION fence_term() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t text := current_setting('switchboard.term', true);
BEGIN
    IF t IS NULL OR t = '' THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM leader_lease WHERE id = 1 AND term = t::bigint FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stale leader term %: the lease has moved on', t USING ERRCODE = 'SB001';
    END IF;
    RETURN NULL;
END $$;

-- Every table a router writes is fenced; store's TestEveryTableFenced keeps it so for tables
-- added later.
DO $$
DECLARE
    tbl text;
BEGIN
    FOR tbl IN SELECT tablename FROM pg_tables
               WHERE schemaname = current_schema() AND tablename NOT IN ('leader_lease', 'schema_migrations')
    LOOP
        EXECUTE format('CREATE TRIGGER fence_term BEFORE INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION fence_term()', tbl);
    END LOOP;
END $$;

-- The term that claimed an attempt: a callback is dialed by one term only.
ALTER TABLE callback_attempts
    ADD COLUMN term bigint DEFAULT NULLIF(current_setting('switchboard.term', true), '')::bigint;
