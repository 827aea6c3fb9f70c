-- The projector (and every report, for the entries since the projector's last fold) reads the
-- timeline entries of transactions newer than a snapshot. Built without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS lead_events_tx_idx ON lead_events (tx) WHERE tx IS NOT NULL;
