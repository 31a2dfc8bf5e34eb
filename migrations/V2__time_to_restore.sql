-- Time to restore: from detection (a watch's first bad sample, else the run's start) to the
-- end of the run, and to a passed immediate validation window.

ALTER TABLE rollback_summaries ADD COLUMN detected timestamptz;

-- Validation windows' verdicts, as their records arrive after the seal (append-only too):
-- each names the record that says it.
CREATE TABLE rollback_windows (
  team text NOT NULL,
  host text NOT NULL,
  run text NOT NULL,
  started timestamptz NOT NULL,
  window_name text NOT NULL,
  seq bigint NOT NULL,
  passed boolean NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (team, host, run, window_name),
  FOREIGN KEY (team, host, run) REFERENCES rollback_runs (team, host, run)
);

-- The verdict is the one its record says.
CREATE FUNCTION rollback_is_window_record(t text, h text, r text, s timestamptz, q bigint,
                                          w text, p boolean)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.rollback_records x
    WHERE x.team = t AND x.host = h AND x.run = r AND x.started = s AND x.seq = q
      AND x.type = 'validation_window' AND (x.line::jsonb) ->> 'window' = w
      AND ((x.line::jsonb) -> 'verdict' ->> 'state' = 'passed'
           ) = p)
$$;

ALTER TABLE rollback_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY ship ON rollback_windows FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(team, host, run, started)
              AND rollback_is_window_record(team, host, run, started, seq, window_name, passed));
CREATE POLICY read ON rollback_windows FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
GRANT SELECT, INSERT ON rollback_windows TO rollback_member;
GRANT SELECT ON rollback_windows TO rollback_auditor, rollback_retention;

-- The figures per team and plan read these.
CREATE INDEX rollback_summaries_team ON rollback_summaries (team, plan);

-- Retention covers the windows too.
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
  DELETE FROM public.rollback_phase_times WHERE started < upto;
  DELETE FROM public.rollback_summary_docs WHERE started < upto;
  DELETE FROM public.rollback_summaries WHERE started < upto;
  DELETE FROM public.rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
