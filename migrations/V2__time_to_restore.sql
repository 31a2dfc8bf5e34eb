-- Time to restore: from detection (a watch's first bad sample, else the run's start) to the
-- end of the run, and to a passed immediate validation window.

ALTER TABLE rollback_summaries ADD COLUMN detected timestamptz;

-- Validation windows' verdicts, as their records arrive after the seal (append-only too).
CREATE TABLE rollback_windows (
  host text NOT NULL,
  run text NOT NULL,
  started timestamptz NOT NULL,
  window_name text NOT NULL,
  passed boolean NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (host, run, window_name),
  FOREIGN KEY (host, run) REFERENCES rollback_runs (host, run)
);
ALTER TABLE rollback_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY ship ON rollback_windows FOR INSERT TO rollback_member
  WITH CHECK (rollback_may_ship_run(host, run, started, NULL));
CREATE POLICY read ON rollback_windows FOR SELECT
  TO rollback_member, rollback_auditor, rollback_retention USING (true);
GRANT SELECT, INSERT ON rollback_windows TO rollback_member;
GRANT SELECT ON rollback_windows TO rollback_auditor, rollback_retention;

-- The figures per team and plan read these.
CREATE INDEX rollback_summaries_team ON rollback_summaries (team, plan);

-- Retention covers the windows too.
CREATE OR REPLACE FUNCTION rollback_prune(cutoff timestamptz) RETURNS bigint
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
  DELETE FROM rollback_windows WHERE started < upto;
  DELETE FROM rollback_phase_times WHERE started < upto;
  DELETE FROM rollback_summaries WHERE started < upto;
  DELETE FROM rollback_runs WHERE started < upto;
  GET DIAGNOSTICS gone = ROW_COUNT;
  RETURN gone;
END
$$;
