-- The team store: runs shipped from many machines, each record as it was journaled.
-- Operators' roles may only add: nothing shipped is ever changed. Row-level security holds
-- each role to the teams it is a member of (`rollback_team_<team>`).

DO $$
BEGIN
  -- Roles belong to the cluster: a second store in it shares them.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rollback_member') THEN
    CREATE ROLE rollback_member NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rollback_auditor') THEN
    CREATE ROLE rollback_auditor NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rollback_retention') THEN
    CREATE ROLE rollback_retention NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rollback_team_default') THEN
    CREATE ROLE rollback_team_default NOLOGIN IN ROLE rollback_member;
  END IF;
END
$$;

CREATE TABLE rollback_runs (
  host text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
  run text NOT NULL CHECK (length(run) BETWEEN 1 AND 255),
  team text NOT NULL CHECK (team ~ '^[a-z0-9_]{1,40}$'),
  plan text NOT NULL,
  mode text NOT NULL,
  operator text NOT NULL,
  started timestamptz NOT NULL,
  -- The hash of the run's first record: a run forged under an existing name differs here.
  first_hash text NOT NULL,
  plan_yaml text,
  shipped_by name NOT NULL DEFAULT current_user,
  shipped_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host, run)
);
CREATE INDEX rollback_runs_started ON rollback_runs (started DESC);
CREATE INDEX rollback_runs_run ON rollback_runs (run);

-- Partitioned by month of the run's start, so a whole run is in one partition and
-- retention drops partitions instead of deleting rows.
CREATE TABLE rollback_records (
  host text NOT NULL,
  run text NOT NULL,
  started timestamptz NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  at timestamptz NOT NULL,
  type text NOT NULL,
  prev text NOT NULL,
  hash text NOT NULL,
  line text NOT NULL CHECK (length(line) <= 4194304),
  PRIMARY KEY (host, run, seq, started)
) PARTITION BY RANGE (started);

-- One row per sealed run: what the figures need, as the seal summed it up.
CREATE TABLE rollback_summaries (
  host text NOT NULL,
  run text NOT NULL,
  team text NOT NULL,
  plan text NOT NULL,
  level smallint NOT NULL,
  mode text NOT NULL,
  automation text NOT NULL,
  trigger text NOT NULL,
  started timestamptz NOT NULL,
  ended timestamptz,
  outcome text NOT NULL,
  duration_ms bigint NOT NULL,
  sla_ms bigint NOT NULL,
  within_sla boolean,
  steps_selected integer NOT NULL,
  steps_automated integer NOT NULL,
  retries integer NOT NULL,
  attempts integer NOT NULL,
  failed_attempts integer NOT NULL,
  -- Steps that failed for good, by what became of them.
  failed_retried integer NOT NULL,
  failed_skipped integer NOT NULL,
  failed_replaced integer NOT NULL,
  failed_stopped integer NOT NULL,
  failed_open integer NOT NULL,
  failed_regions integer NOT NULL,
  escalation smallint NOT NULL,
  -- The seal's summary as recorded (for `ready` and the trainee's view).
  summary jsonb NOT NULL,
  PRIMARY KEY (host, run),
  FOREIGN KEY (host, run) REFERENCES rollback_runs (host, run)
);
CREATE INDEX rollback_summaries_plan ON rollback_summaries (plan, mode, started DESC);
CREATE INDEX rollback_summaries_started ON rollback_summaries (started DESC);

-- Each phase's time, on the run's clock (a drill's on the drill clock).
CREATE TABLE rollback_phase_times (
  host text NOT NULL,
  run text NOT NULL,
  ord smallint NOT NULL,
  phase text NOT NULL,
  plan text NOT NULL,
  drill boolean NOT NULL,
  started timestamptz NOT NULL,
  duration_ms bigint NOT NULL,
  PRIMARY KEY (host, run, ord),
  FOREIGN KEY (host, run) REFERENCES rollback_summaries (host, run)
);

-- May the current role ship runs of `team`? Only as a member of rollback_team_<team>.
CREATE FUNCTION rollback_may_ship(team text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_roles r
    WHERE r.rolname = 'rollback_team_' || team
      AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
$$;

-- May the current role ship a row of this run? The run must be shipped first, by its team;
-- the row's start (its partition) and team, when it carries them, must be the run's.
CREATE FUNCTION rollback_may_ship_run(h text, r text, s timestamptz, t text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM rollback_runs x
    WHERE x.host = h AND x.run = r AND x.started = s
      AND (t IS NULL OR x.team = t) AND rollback_may_ship(x.team))
$$;

ALTER TABLE rollback_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_phase_times ENABLE ROW LEVEL SECURITY;

CREATE POLICY ship ON rollback_runs FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship(team));
CREATE POLICY ship ON rollback_records FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(host, run, started, NULL));
CREATE POLICY ship ON rollback_summaries FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(host, run, started, team));
CREATE POLICY ship ON rollback_phase_times FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(host, run, started, NULL));

-- Every team member, the auditor and retention read everything: the org's figures.
CREATE POLICY read ON rollback_runs FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_records FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_summaries FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_phase_times FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);

-- Append-only: no role below gets UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON rollback_runs, rollback_records, rollback_summaries,
  rollback_phase_times TO rollback_member;
GRANT SELECT ON rollback_runs, rollback_records, rollback_summaries, rollback_phase_times
  TO rollback_auditor, rollback_retention;

-- The month's partition for a run started at `started`, made if missing. Owned by the
-- store's owner: members make partitions only through it.
CREATE FUNCTION rollback_partition(started timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  lo timestamptz := date_trunc('month', started, 'UTC');
  hi timestamptz := lo + interval '1 month';
  name text := 'rollback_records_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
  -- The partition goes beside its table, whatever schema the store is in.
  schema text := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.oid = 'rollback_records'::regclass);
BEGIN
  IF to_regclass(format('%I.%I', schema, name)) IS NOT NULL THEN
    RETURN;
  END IF;
  -- Two shippers may make the same month at once: one waits for the other.
  PERFORM pg_advisory_xact_lock(hashtext(name));
  IF to_regclass(format('%I.%I', schema, name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.rollback_records FOR VALUES FROM (%L) TO (%L)',
                   schema, name, schema, lo, hi);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION rollback_partition(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollback_partition(timestamptz) TO rollback_member;

-- A follower is woken for each run that got records (LISTEN rollback_records).
CREATE FUNCTION rollback_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollback_records', d.host || '/' || d.run)
  FROM (SELECT DISTINCT host, run FROM added) d;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_notify AFTER INSERT ON rollback_records
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_notify();

-- Retention: drops the months that ended before `cutoff`, and the runs started in them.
-- Only for rollback_retention, and never within the standard's 365 days.
CREATE FUNCTION rollback_prune(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  part record;
  upto timestamptz := NULL;
  gone bigint;
BEGIN
  IF cutoff > now() - interval '365 days' THEN
    RAISE EXCEPTION 'records are kept 365 days: % is too recent', cutoff;
  END IF;
  FOR part IN
    SELECT c.oid AS oid,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS hi
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'rollback_records'::regclass
  LOOP
    IF part.hi <= cutoff THEN
      EXECUTE format('DROP TABLE %s', part.oid::regclass);
      upto := greatest(upto, part.hi);
    END IF;
  END LOOP;
  IF upto IS NULL THEN
    RETURN 0;
  END IF;
  DELETE FROM rollback_phase_times WHERE started < upto;
  DELETE FROM rollback_summaries WHERE started < upto;
  DELETE FROM rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
REVOKE ALL ON FUNCTION rollback_prune(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollback_prune(timestamptz) TO rollback_retention;

-- Every reader checks the schema version before it reads.
GRANT SELECT ON refinery_schema_history TO rollback_member, rollback_auditor, rollback_retention;
