-- Every decision the market-center anomaly detector took, one row per venue, telemetry
-- window and model version. The detector's DynamoDB outbox (DECISIONS#<day>) is drained
-- into this table; a redelivered batch hits the primary key and changes nothing.
CREATE TABLE anomaly_decisions (
    venue        text             NOT NULL,
    window_start timestamptz      NOT NULL,
    model        text             NOT NULL,
    -- The window's features by name (ballast_ml::telemetry::FEATURE_NAMES).
    features     jsonb            NOT NULL CHECK (jsonb_typeof(features) = 'object'),
    -- Model outputs, not money: double precision is what the model computed.
    score        double precision NOT NULL,
    threshold    double precision NOT NULL,
    grade        double precision NOT NULL,
    from_status  text             NOT NULL CHECK (from_status IN ('healthy', 'degraded', 'halted')),
    to_status    text             NOT NULL CHECK (to_status IN ('healthy', 'degraded', 'halted')),
    action       text             NOT NULL CHECK (action IN ('none', 'stale', 'degrade', 'halt', 'recover')),
    recorded_at  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (venue, window_start, model)
);

-- A venue's recent decisions, newest first (operator verdicts look up the last halt).
CREATE INDEX anomaly_decisions_by_venue_time ON anomaly_decisions (venue, window_start DESC);
