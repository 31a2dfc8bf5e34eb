-- The team store: runs shipped from many machines, each record as it was journaled.
-- Operators' roles may only add: nothing shipped is ever changed. Row-level security holds
-- each role to the teams it is a member of (`rollback_team_<team>`), and a trigger holds
-- every record to its run's hash chain. The store lives in schema `public`; every function
-- names its search path, `pg_temp` last, so that no session's own tables stand in.

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

-- A run is known by its team, its host and its id: a name one team holds never stands in
-- the way of another team's run.
CREATE TABLE rollback_runs (
  team text NOT NULL CHECK (team ~ '^[a-z0-9_]{1,40}$'),
  host text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
  run text NOT NULL CHECK (length(run) BETWEEN 1 AND 255),
  plan text NOT NULL CHECK (length(plan) BETWEEN 1 AND 255),
  mode text NOT NULL CHECK (mode IN ('live', 'rehearsal', 'drill')),
  operator text NOT NULL CHECK (length(operator) <= 255),
  started timestamptz NOT NULL,
  -- The hash of the run's first record: a run forged under an existing name differs here.
  first_hash text NOT NULL CHECK (first_hash ~ '^[0-9a-f]{64}$'),
  plan_yaml text CHECK (length(plan_yaml) <= 1048576),
  shipped_by name NOT NULL DEFAULT current_user,
  shipped_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team, host, run)
);
CREATE INDEX rollback_runs_started ON rollback_runs (started DESC);
CREATE INDEX rollback_runs_run ON rollback_runs (run);

-- Partitioned by month of the run's start, so a whole run is in one partition and
-- retention drops partitions instead of deleting rows.
CREATE TABLE rollback_records (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  started timestamptz NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  at timestamptz NOT NULL,
  type text NOT NULL CHECK (length(type) <= 64),
  prev text NOT NULL,
  hash text NOT NULL,
  line text NOT NULL CHECK (length(line) <= 4194304),
  PRIMARY KEY (team, host, run, seq, started)
) PARTITION BY RANGE (started);

-- One row per sealed run: what the figures need, as the seal summed it up.
CREATE TABLE rollback_summaries (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  plan text NOT NULL,
  level smallint NOT NULL,
  mode text NOT NULL CHECK (mode IN ('live', 'rehearsal', 'drill')),
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
  PRIMARY KEY (team, host, run),
  FOREIGN KEY (team, host, run) REFERENCES rollback_runs (team, host, run)
);

-- The seal's summary as recorded (for `ready`, a rehearsal's trend and the trainee's view),
-- apart from the figures' narrow rows so that a scan of those stays small.
CREATE TABLE rollback_summary_docs (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  started timestamptz NOT NULL,
  summary jsonb NOT NULL CHECK (length(summary::text) <= 262144),
  PRIMARY KEY (team, host, run),
  FOREIGN KEY (team, host, run) REFERENCES rollback_summaries (team, host, run)
);
CREATE INDEX rollback_summaries_plan ON rollback_summaries (plan, mode, started DESC);
CREATE INDEX rollback_summaries_started ON rollback_summaries (started DESC);

-- Each phase's time, on the run's clock (a drill's on the drill clock).
CREATE TABLE rollback_phase_times (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  ord smallint NOT NULL,
  phase text NOT NULL CHECK (length(phase) <= 255),
  plan text NOT NULL,
  drill boolean NOT NULL,
  started timestamptz NOT NULL,
  duration_ms bigint NOT NULL,
  PRIMARY KEY (team, host, run, ord),
  FOREIGN KEY (team, host, run) REFERENCES rollback_summaries (team, host, run)
);

-- May the current role ship runs of `team`? Only as a member of rollback_team_<team>.
CREATE FUNCTION rollback_may_ship(t text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_roles r
    WHERE r.rolname = 'rollback_team_' || t
      AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
$$;

-- May the current role ship a row of this run? The run must be shipped first, by its team,
-- and the row's start (its partition) must be the run's.
CREATE FUNCTION rollback_may_ship_run(t text, h text, r text, s timestamptz) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT rollback_may_ship(t) AND EXISTS (
    SELECT 1 FROM public.rollback_runs x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s)
$$;

-- A summary must be its seal's: the seal record is shipped (in the same transaction or
-- before), and the summary is the one it carries (`v`; NULL: only that the seal is there).
CREATE FUNCTION rollback_is_seal_summary(t text, h text, r text, s timestamptz, v jsonb)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s
      AND x.type = 'run_sealed' AND (v IS NULL OR (x.line::jsonb) -> 'summary' = v))
$$;

-- Every record holds to its run's chain: its hash is the sha256 of its line, its fields are
-- the line's, and it follows the record before it (seq and prev), whoever ships it. Checked
-- once per statement over the rows it added (one set-based query, not one call per row);
-- the statement fails, and adds nothing, when one does not hold.
CREATE FUNCTION rollback_check_records() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  bad record;
BEGIN
  SELECT a.seq, a.run INTO bad FROM added a
  WHERE length(a.line) < 76
     OR right(a.line, 75) <> ',"hash":"' || a.hash || '"}'
     OR a.hash <> encode(sha256(convert_to(left(a.line, length(a.line) - 75) || '}', 'UTF8')), 'hex')
     OR ((a.line::jsonb)->>'seq')::bigint IS DISTINCT FROM a.seq
     OR (a.line::jsonb)->>'prev' IS DISTINCT FROM a.prev
     OR (a.line::jsonb)->>'type' IS DISTINCT FROM a.type
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'record % of run % does not verify: its hash or fields are not its line''s',
      bad.seq, bad.run USING ERRCODE = 'check_violation';
  END IF;
  SELECT a.seq, a.run INTO bad FROM added a
  LEFT JOIN public.rollback_records p
    ON p.team = a.team AND p.host = a.host AND p.run = a.run AND p.started = a.started
   AND p.seq = a.seq - 1
  WHERE CASE WHEN a.seq = 0 THEN a.prev <> repeat('0', 64)
             ELSE p.hash IS DISTINCT FROM a.prev END
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'record % of run % does not follow the record before it', bad.seq, bad.run
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_check_records AFTER INSERT ON rollback_records
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_check_records();

ALTER TABLE rollback_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_summary_docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollback_phase_times ENABLE ROW LEVEL SECURITY;

CREATE POLICY ship ON rollback_runs FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship(team) AND shipped_by = current_user);
CREATE POLICY ship ON rollback_records FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started));
CREATE POLICY ship ON rollback_summaries FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_seal_summary(team, host, run, started, NULL));
CREATE POLICY ship ON rollback_summary_docs FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_seal_summary(team, host, run, started, summary));
CREATE POLICY ship ON rollback_phase_times FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started));

-- Every team member, the auditor and retention read everything: the org's figures.
CREATE POLICY read ON rollback_runs FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_records FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_summaries FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_summary_docs FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
CREATE POLICY read ON rollback_phase_times FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);

-- Append-only: no role below gets UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON rollback_runs, rollback_records, rollback_summaries,
  rollback_summary_docs, rollback_phase_times TO rollback_member;
GRANT SELECT ON rollback_runs, rollback_records, rollback_summaries, rollback_summary_docs,
  rollback_phase_times TO rollback_auditor, rollback_retention;

-- The month's partition for a run started at `started`, made if missing. Owned by the
-- store's owner: members make partitions only through it, for sane months only.
CREATE FUNCTION rollback_partition(started timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  lo timestamptz := date_trunc('month', started, 'UTC');
  hi timestamptz := lo + interval '1 month';
  name text := 'rollback_records_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF started < now() - interval '10 years' OR started > now() + interval '1 day' THEN
    RAISE EXCEPTION 'no run starts at %', started USING ERRCODE = 'check_violation';
  END IF;
  IF to_regclass('public.' || name) IS NOT NULL THEN
    RETURN;
  END IF;
  -- Two shippers may make the same month at once: one waits for the other.
  PERFORM pg_advisory_xact_lock(hashtext(name));
  IF to_regclass('public.' || name) IS NULL THEN
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.rollback_records FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION rollback_partition(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollback_partition(timestamptz) TO rollback_member;

-- A follower is woken for each run that got records (LISTEN rollback_records).
CREATE FUNCTION rollback_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
    WHERE i.inhparent = 'public.rollback_records'::regclass
  LOOP
    IF part.hi <= cutoff THEN
      EXECUTE format('DROP TABLE %s', part.oid::regclass);
      upto := greatest(upto, part.hi);
    END IF;
  END LOOP;
  IF upto IS NULL THEN
    RETURN 0;
  END IF;
  DELETE FROM public.rollback_phase_times WHERE started < upto;
  DELETE FROM public.rollback_summary_docs WHERE started < upto;
  DELETE FROM public.rollback_summaries WHERE started < upto;
  DELETE FROM public.rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
REVOKE ALL ON FUNCTION rollback_prune(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollback_prune(timestamptz) TO rollback_retention;

-- Every reader checks the schema version before it reads.
GRANT SELECT ON refinery_schema_history TO rollback_member, rollback_auditor, rollback_retention;
