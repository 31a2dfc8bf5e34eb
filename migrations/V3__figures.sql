-- The figures over a million runs read what they need already counted: how many durations
-- fell in each second, per plan and kind (phases, whole runs), kept by triggers as rows
-- arrive and by retention as they go. The exact medians are then read from the few seconds that hold them, through
-- the indexes below.

CREATE TABLE rollback_phase_seconds (
  plan text NOT NULL,
  part text NOT NULL,
  drill boolean NOT NULL,
  second bigint NOT NULL,
  n bigint NOT NULL,
  ord smallint NOT NULL,
  PRIMARY KEY (plan, part, drill, second)
);

CREATE TABLE rollback_run_seconds (
  plan text NOT NULL,
  drill boolean NOT NULL,
  second bigint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (plan, drill, second)
);

GRANT SELECT ON rollback_phase_seconds, rollback_run_seconds
  TO rollback_member, rollback_auditor, rollback_retention;

CREATE INDEX rollback_phase_times_second ON rollback_phase_times (phase, drill, (duration_ms / 1000));
CREATE INDEX rollback_phase_times_plan_second
  ON rollback_phase_times (plan, phase, drill, (duration_ms / 1000));
CREATE INDEX rollback_summaries_second ON rollback_summaries ((mode = 'drill'), (duration_ms / 1000));
CREATE INDEX rollback_summaries_plan_second
  ON rollback_summaries (plan, (mode = 'drill'), (duration_ms / 1000));

-- Kept by the owner: members add rows, the counts follow.
CREATE FUNCTION rollback_count_phases() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_RELID <> 'public.rollback_phase_times'::regclass THEN
    RAISE EXCEPTION 'rollback_count_phases counts rollback_phase_times only';
  END IF;
  -- In key order: two shippers touching the same seconds take their locks in one order.
  INSERT INTO public.rollback_phase_seconds AS c (plan, part, drill, second, n, ord)
    SELECT plan, phase, drill, duration_ms / 1000, count(*), min(ord)
    FROM added GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (plan, part, drill, second)
    DO UPDATE SET n = c.n + excluded.n, ord = least(c.ord, excluded.ord);
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_count_phases AFTER INSERT ON rollback_phase_times
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_count_phases();

CREATE FUNCTION rollback_count_runs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_RELID <> 'public.rollback_summaries'::regclass THEN
    RAISE EXCEPTION 'rollback_count_runs counts rollback_summaries only';
  END IF;
  INSERT INTO public.rollback_run_seconds AS c (plan, drill, second, n)
    SELECT plan, mode = 'drill', duration_ms / 1000, count(*)
    FROM added GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (plan, drill, second) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_count_runs AFTER INSERT ON rollback_summaries
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_count_runs();
-- Only the triggers above call them.
REVOKE ALL ON FUNCTION rollback_count_phases(), rollback_count_runs() FROM PUBLIC;

-- A summary's figures are its seal's, and its plan and mode its run's; a phase time is of its
-- run's plan. Whoever ships, the figures say what the records say.
CREATE FUNCTION rollback_is_sealed_as(t text, h text, r text, s timestamptz, p text, m text,
                                      d bigint, o text)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.rollback_runs x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.plan = p AND x.mode = m)
  AND EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s AND x.type = 'run_sealed'
      AND ((x.line::jsonb) #>> '{summary,metrics,execution,duration_ms}')::bigint = d
      AND (x.line::jsonb) #>> '{summary,metrics,execution,outcome}' = o)
$$;
CREATE FUNCTION rollback_is_runs_plan(t text, h text, r text, p text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.rollback_runs x
                 WHERE x.team = t AND x.host = h AND x.run = r AND x.plan = p)
$$;
DROP POLICY ship ON rollback_summaries;
CREATE POLICY ship ON rollback_summaries FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_sealed_as(team, host, run, started, plan, mode, duration_ms, outcome));
DROP POLICY ship ON rollback_phase_times;
CREATE POLICY ship ON rollback_phase_times FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_runs_plan(team, host, run, plan));

-- What version 2 held is counted once.
INSERT INTO rollback_phase_seconds (plan, part, drill, second, n, ord)
  SELECT plan, phase, drill, duration_ms / 1000, count(*), min(ord)
  FROM rollback_phase_times GROUP BY 1, 2, 3, 4;
INSERT INTO rollback_run_seconds (plan, drill, second, n)
  SELECT plan, mode = 'drill', duration_ms / 1000, count(*)
  FROM rollback_summaries GROUP BY 1, 2, 3;

-- Retention drops the counts of the months it drops.
CREATE OR REPLACE FUNCTION rollback_prune(cutoff timestamptz) RETURNS bigint
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
  DELETE FROM public.rollback_windows WHERE started < upto;
  -- The counts of what goes are taken off, from exactly the rows deleted.
  WITH d AS (DELETE FROM public.rollback_phase_times WHERE started < upto
             RETURNING plan, phase, drill, duration_ms)
  UPDATE public.rollback_phase_seconds c SET n = c.n - g.n
    FROM (SELECT plan, phase, drill, duration_ms / 1000 AS second, count(*) AS n
          FROM d GROUP BY 1, 2, 3, 4) g
    WHERE c.plan = g.plan AND c.part = g.phase AND c.drill = g.drill AND c.second = g.second;
  DELETE FROM public.rollback_summary_docs WHERE started < upto;
  WITH d AS (DELETE FROM public.rollback_summaries WHERE started < upto
             RETURNING plan, mode, duration_ms)
  UPDATE public.rollback_run_seconds c SET n = c.n - g.n
    FROM (SELECT plan, mode = 'drill' AS drill, duration_ms / 1000 AS second, count(*) AS n
          FROM d GROUP BY 1, 2, 3) g
    WHERE c.plan = g.plan AND c.drill = g.drill AND c.second = g.second;
  DELETE FROM public.rollback_phase_seconds WHERE n <= 0;
  DELETE FROM public.rollback_run_seconds WHERE n <= 0;
  DELETE FROM public.rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
