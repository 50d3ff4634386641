-- Customers, their phones and account numbers, tickets and the calls linked to them, and
-- interactions (one row per call leg with a customer). Phones are E.164; a phone or an
-- account may belong to several customers. Call ids are not foreign keys: the journal writes
-- calls rows asynchronously, and a ticket may be linked to a call before its row exists.
CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> ''),
    segment    text        NOT NULL DEFAULT 'standard' CHECK (segment IN ('standard', 'vip', 'b2b')),
    language   text        NOT NULL DEFAULT '',
    notes      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_name ON customers (lower(name) text_pattern_ops);

CREATE TABLE customer_phones (
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    number      text   NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    seq         integer NOT NULL,   -- the order the record lists them in
    PRIMARY KEY (customer_id, number)
);
CREATE INDEX customer_phones_number ON customer_phones (number);

CREATE TABLE customer_accounts (
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    account     text   NOT NULL CHECK (account <> ''),
    seq         integer NOT NULL,
    PRIMARY KEY (customer_id, account)
);
CREATE INDEX customer_accounts_account ON customer_accounts (account);

CREATE TABLE tickets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint      NOT NULL REFERENCES customers (id),
    subject     text        NOT NULL CHECK (subject <> ''),
    status      text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    priority    smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
    owner       text        NOT NULL DEFAULT '',   -- ACD agent id; '' = unassigned
    reopened    integer     NOT NULL DEFAULT 0 CHECK (reopened >= 0),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz,                       -- last time it became resolved or closed
    CHECK ((status IN ('resolved', 'closed')) = (resolved_at IS NOT NULL))
);
CREATE INDEX tickets_customer ON tickets (customer_id, status);
CREATE INDEX tickets_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_owner ON tickets (owner) WHERE owner <> '';

-- The calls of a ticket. at is when the call came (its start), which the KPIs compare with
-- the resolution time.
CREATE TABLE ticket_calls (
    ticket_id bigint      NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    call_id   text        NOT NULL,
    inbound   boolean     NOT NULL DEFAULT true,   -- false: a callback we placed
    at        timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, call_id)
);
CREATE INDEX ticket_calls_call ON ticket_calls (call_id);

CREATE TABLE interactions (
    call_id      text        NOT NULL,
    agent        text        NOT NULL DEFAULT '',  -- '' for a leg no agent took
    customer_id  bigint      REFERENCES customers (id) ON DELETE SET NULL,
    queue        text        NOT NULL DEFAULT '',
    at           timestamptz NOT NULL,
    outcome      text        NOT NULL DEFAULT '',
    wait_seconds double precision NOT NULL DEFAULT 0 CHECK (wait_seconds >= 0),
    talk_seconds double precision NOT NULL DEFAULT 0 CHECK (talk_seconds >= 0),
    disposition  text        NOT NULL DEFAULT '',
    csat         smallint    CHECK (csat BETWEEN 1 AND 5),
    PRIMARY KEY (call_id, agent)
);
CREATE INDEX interactions_customer ON interactions (customer_id, at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX interactions_agent ON interactions (agent, at);
