-- The time to restore, counted as the durations are: each live run that completed gets a row
-- with its two times (to the end; to a passed immediate window, once one is recorded), and
-- how many fell in each second is kept beside it. The value at a rank is then read from the
-- index, within the one second that holds it: indexes ordered by the value itself replace
-- the per-second expression indexes, so a second holding thousands of values costs no more
-- than the rank within it.

DROP INDEX rollback_phase_times_second, rollback_phase_times_plan_second,
  rollback_summaries_second, rollback_summaries_plan_second;
CREATE INDEX rollback_phase_times_ms ON rollback_phase_times (phase, drill, duration_ms);
CREATE INDEX rollback_phase_times_plan_ms
  ON rollback_phase_times (plan, phase, drill, duration_ms);
CREATE INDEX rollback_summaries_ms ON rollback_summaries ((mode = 'drill'), duration_ms)
  INCLUDE (mode);
CREATE INDEX rollback_summaries_plan_ms
  ON rollback_summaries (plan, (mode = 'drill'), duration_ms) INCLUDE (mode);

CREATE TABLE rollback_restores (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  plan text NOT NULL,
  started timestamptz NOT NULL,
  detected timestamptz NOT NULL,
  to_end_ms bigint NOT NULL CHECK (to_end_ms >= 0),
  to_ok_ms bigint CHECK (to_ok_ms >= 0),
  PRIMARY KEY (team, host, run)
);
CREATE INDEX rollback_restores_end ON rollback_restores (team, plan, to_end_ms);
CREATE INDEX rollback_restores_ok ON rollback_restores (team, plan, to_ok_ms)
  WHERE to_ok_ms IS NOT NULL;

CREATE TABLE rollback_restore_seconds (
  team text NOT NULL,
  plan text NOT NULL,
  validated boolean NOT NULL,
  second bigint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (team, plan, validated, second)
);

GRANT SELECT ON rollback_restores, rollback_restore_seconds
  TO rollback_member, rollback_auditor, rollback_retention;

-- A time as the figures take it: whole milliseconds, never below zero.
CREATE FUNCTION rollback_ms_between(a timestamptz, b timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT greatest(0, (extract(epoch FROM b - a) * 1000)::int8)
$$;

-- The times that make the time to restore are the records': a summary's end is its seal's,
-- its detection the first bad sample its start record names (none: none), and a window's
-- instant its record's.
CREATE FUNCTION rollback_same_instant(a timestamptz, b timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT (a IS NULL AND b IS NULL) OR abs(extract(epoch FROM a - b)) < 0.001
$$;
CREATE FUNCTION rollback_is_timed_as(t text, h text, r text, s timestamptz, e timestamptz,
                                     d timestamptz)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s AND x.type = 'run_sealed'
      AND public.rollback_same_instant(
        e, ((x.line::jsonb) #>> '{summary,ended_at}')::timestamptz))
  AND EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s AND x.seq = 0
      AND public.rollback_same_instant(
        d, to_timestamp(((x.line::jsonb) #>> '{fired,first_failure_ms}')::float8 / 1000)))
$$;
CREATE FUNCTION rollback_is_window_at(t text, h text, r text, s timestamptz, q bigint,
                                      a timestamptz)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s AND x.seq = q
      AND public.rollback_same_instant(a, ((x.line::jsonb) ->> 'ts')::timestamptz))
$$;
DROP POLICY ship ON rollback_summaries;
CREATE POLICY ship ON rollback_summaries FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_sealed_as(team, host, run, started, plan, mode, duration_ms, outcome)
              AND rollback_is_timed_as(team, host, run, started, ended, detected));
DROP POLICY ship ON rollback_windows;
CREATE POLICY ship ON rollback_windows FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_window_record(team, host, run, started, seq, window_name, passed)
              AND rollback_is_window_at(team, host, run, started, seq, at));

-- A summary of a live run that completed adds its times (and the window's, when it came
-- first). Kept by the owner, as the other counts.
CREATE FUNCTION rollback_count_restores() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_RELID <> 'public.rollback_summaries'::regclass THEN
    RAISE EXCEPTION 'rollback_count_restores counts rollback_summaries only';
  END IF;
  WITH r AS (
    INSERT INTO public.rollback_restores
      (team, host, run, plan, started, detected, to_end_ms, to_ok_ms)
    SELECT a.team, a.host, a.run, a.plan, a.started, coalesce(a.detected, a.started),
      public.rollback_ms_between(coalesce(a.detected, a.started), a.ended),
      CASE WHEN w.passed THEN public.rollback_ms_between(coalesce(a.detected, a.started), w.at) END
    FROM added a
    LEFT JOIN public.rollback_windows w
      ON w.team = a.team AND w.host = a.host AND w.run = a.run AND w.window_name = 'immediate'
    WHERE a.mode = 'live' AND a.outcome = 'completed' AND a.ended IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING team, plan, to_end_ms, to_ok_ms)
  INSERT INTO public.rollback_restore_seconds AS c (team, plan, validated, second, n)
    SELECT team, plan, validated, second, count(*) FROM (
      SELECT team, plan, false AS validated, to_end_ms / 1000 AS second FROM r
      UNION ALL
      SELECT team, plan, true, to_ok_ms / 1000 FROM r WHERE to_ok_ms IS NOT NULL) x
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (team, plan, validated, second) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_count_restores AFTER INSERT ON rollback_summaries
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_count_restores();

-- A passed immediate window after the seal adds the time to it.
CREATE FUNCTION rollback_count_validated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_RELID <> 'public.rollback_windows'::regclass THEN
    RAISE EXCEPTION 'rollback_count_validated counts rollback_windows only';
  END IF;
  WITH u AS (
    UPDATE public.rollback_restores r
    SET to_ok_ms = public.rollback_ms_between(r.detected, a.at)
    FROM added a
    WHERE a.window_name = 'immediate' AND a.passed
      AND r.team = a.team AND r.host = a.host AND r.run = a.run AND r.to_ok_ms IS NULL
    RETURNING r.team, r.plan, r.to_ok_ms)
  INSERT INTO public.rollback_restore_seconds AS c (team, plan, validated, second, n)
    SELECT team, plan, true, to_ok_ms / 1000, count(*) FROM u
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (team, plan, validated, second) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_count_validated AFTER INSERT ON rollback_windows
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_count_validated();
REVOKE ALL ON FUNCTION rollback_count_restores(), rollback_count_validated() FROM PUBLIC;

-- What version 3 held is counted once.
INSERT INTO rollback_restores (team, host, run, plan, started, detected, to_end_ms, to_ok_ms)
  SELECT s.team, s.host, s.run, s.plan, s.started, coalesce(s.detected, s.started),
    rollback_ms_between(coalesce(s.detected, s.started), s.ended),
    CASE WHEN w.passed THEN rollback_ms_between(coalesce(s.detected, s.started), w.at) END
  FROM rollback_summaries s
  LEFT JOIN rollback_windows w
    ON w.team = s.team AND w.host = s.host AND w.run = s.run AND w.window_name = 'immediate'
  WHERE s.mode = 'live' AND s.outcome = 'completed' AND s.ended IS NOT NULL;
INSERT INTO rollback_restore_seconds (team, plan, validated, second, n)
  SELECT team, plan, validated, second, count(*) FROM (
    SELECT team, plan, false AS validated, to_end_ms / 1000 AS second FROM rollback_restores
    UNION ALL
    SELECT team, plan, true, to_ok_ms / 1000 FROM rollback_restores WHERE to_ok_ms IS NOT NULL) x
  GROUP BY 1, 2, 3, 4;

-- Retention takes off these counts too.
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
  WITH d AS (DELETE FROM public.rollback_restores WHERE started < upto
             RETURNING team, plan, to_end_ms, to_ok_ms)
  UPDATE public.rollback_restore_seconds c SET n = c.n - g.n
    FROM (SELECT team, plan, validated, second, count(*) AS n FROM (
            SELECT team, plan, false AS validated, to_end_ms / 1000 AS second FROM d
            UNION ALL
            SELECT team, plan, true, to_ok_ms / 1000 FROM d WHERE to_ok_ms IS NOT NULL) x
          GROUP BY 1, 2, 3, 4) g
    WHERE c.team = g.team AND c.plan = g.plan AND c.validated = g.validated
      AND c.second = g.second;
  DELETE FROM public.rollback_summary_docs WHERE started < upto;
  WITH d AS (DELETE FROM public.rollback_summaries WHERE started < upto
             RETURNING plan, mode, duration_ms)
  UPDATE public.rollback_run_seconds c SET n = c.n - g.n
    FROM (SELECT plan, mode = 'drill' AS drill, duration_ms / 1000 AS second, count(*) AS n
          FROM d GROUP BY 1, 2, 3) g
    WHERE c.plan = g.plan AND c.drill = g.drill AND c.second = g.second;
  DELETE FROM public.rollback_phase_seconds WHERE n <= 0;
  DELETE FROM public.rollback_run_seconds WHERE n <= 0;
  DELETE FROM public.rollback_restore_seconds WHERE n <= 0;
  DELETE FROM public.rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
