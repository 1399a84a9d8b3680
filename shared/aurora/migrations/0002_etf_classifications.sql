-- The nightly ETF classification runs: what the model proposed for each fund, and the
-- reviewers' decisions on the proposals it was not sure of.
CREATE TABLE etf_classifications (
    run_id         text             NOT NULL,
    symbol         text             NOT NULL,
    -- Hash of the classifier's input (name, summary, family...): unchanged funds are
    -- recognised across runs.
    input_hash     text             NOT NULL,
    name           text             NOT NULL,
    summary        text             NOT NULL DEFAULT '',
    family         text,
    category_group text             NOT NULL,
    category       text             NOT NULL,
    confidence     double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    cluster        text,
    -- leveraged, inverse, volatility, etn, commodity_futures, leverage_factor
    flags          jsonb            NOT NULL CHECK (jsonb_typeof(flags) = 'object'),
    evidence       jsonb            NOT NULL DEFAULT '[]',
    issues         jsonb            NOT NULL DEFAULT '[]',
    model_version  text             NOT NULL,
    status         text             NOT NULL
        CHECK (status IN ('auto_approved', 'pending_review', 'approved', 'overridden')),
    classified_at  timestamptz      NOT NULL,
    recorded_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, symbol)
);

CREATE INDEX etf_classifications_by_symbol ON etf_classifications (symbol, classified_at DESC);

-- One decision per proposal: the key refuses a second one (the API answers 409).
CREATE TABLE review_decisions (
    run_id         text        NOT NULL,
    symbol         text        NOT NULL,
    reviewer_id    text        NOT NULL,
    decision       text        NOT NULL CHECK (decision IN ('approve', 'override')),
    -- The category the reviewer settled on: the proposal's when approving.
    category_group text        NOT NULL,
    category       text        NOT NULL,
    flags          jsonb       NOT NULL CHECK (jsonb_typeof(flags) = 'object'),
    reason         text,
    decided_at     timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, symbol),
    FOREIGN KEY (run_id, symbol) REFERENCES etf_classifications (run_id, symbol),
    CHECK (decision = 'approve' OR reason IS NOT NULL)
);
