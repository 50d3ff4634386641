-- What the agent desktop and supervisors changed of an agent over the configuration file: the
-- phone the agent logged in on, skills, queue memberships. NULL keeps the file's value. The
-- router applies them at start and on every reload.
CREATE TABLE agent_overrides (
    agent      text PRIMARY KEY,
    endpoint   text,
    skills     jsonb,
    queues     jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);
