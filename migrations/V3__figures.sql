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
  INSERT INTO public.rollback_phase_seconds AS c (plan, part, drill, second, n, ord)
    SELECT plan, phase, drill, duration_ms / 1000, count(*), min(ord)
    FROM added GROUP BY 1, 2, 3, 4
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
  INSERT INTO public.rollback_run_seconds AS c (plan, drill, second, n)
    SELECT plan, mode = 'drill', duration_ms / 1000, count(*)
    FROM added GROUP BY 1, 2, 3
  ON CONFLICT (plan, drill, second) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$$;
CREATE TRIGGER rollback_count_runs AFTER INSERT ON rollback_summaries
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollback_count_runs();

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
  -- The counts of what goes are taken off (the owner keeps them).
  UPDATE public.rollback_phase_seconds c SET n = c.n - d.n
    FROM (SELECT plan, phase, drill, duration_ms / 1000 AS second, count(*) AS n
          FROM public.rollback_phase_times WHERE started < upto GROUP BY 1, 2, 3, 4) d
    WHERE c.plan = d.plan AND c.part = d.phase AND c.drill = d.drill AND c.second = d.second;
  UPDATE public.rollback_run_seconds c SET n = c.n - d.n
    FROM (SELECT plan, mode = 'drill' AS drill, duration_ms / 1000 AS second, count(*) AS n
          FROM public.rollback_summaries WHERE started < upto GROUP BY 1, 2, 3) d
    WHERE c.plan = d.plan AND c.drill = d.drill AND c.second = d.second;
  DELETE FROM public.rollback_phase_seconds WHERE n <= 0;
  DELETE FROM public.rollback_run_seconds WHERE n <= 0;
  DELETE FROM public.rollback_windows WHERE started < upto;
  DELETE FROM public.rollback_phase_times WHERE started < upto;
  DELETE FROM public.rollback_summary_docs WHERE started < upto;
  DELETE FROM public.rollback_summaries WHERE started < upto;
  DELETE FROM public.rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
