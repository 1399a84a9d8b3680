-- Outcomes: what finally happened to a model decision, the label the next training run
-- learns from. Two tables, because the two models' labels share no key.

-- The category an ETF finally carries, per classification run: accepted automatically
-- ('auto') or decided by a reviewer ('reviewer'). A reviewer's outcome replaces an
-- automatic one of the same run, never the reverse. The latest effective_at per symbol is
-- the fund's current label.
CREATE TABLE etf_outcomes (
    run_id         text        NOT NULL,
    symbol         text        NOT NULL,
    category_group text        NOT NULL,
    category       text        NOT NULL,
    flags          jsonb       NOT NULL CHECK (jsonb_typeof(flags) = 'object'),
    source         text        NOT NULL CHECK (source IN ('auto', 'reviewer')),
    effective_at   timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, symbol),
    FOREIGN KEY (run_id, symbol) REFERENCES etf_classifications (run_id, symbol)
);

CREATE INDEX etf_outcomes_by_symbol ON etf_outcomes (symbol, effective_at DESC);

-- An operator's verdict on one detector decision:
--   true_positive   the operator confirmed the venue was in trouble (kept the halt)
--   false_positive  the operator lifted a halt or degradation the model imposed
--   false_negative  the operator halted a venue the model still saw as healthy
-- A later verdict on the same decision replaces an earlier one.
CREATE TABLE anomaly_outcomes (
    venue        text        NOT NULL,
    window_start timestamptz NOT NULL,
    model        text        NOT NULL,
    label        text        NOT NULL CHECK (label IN ('true_positive', 'false_positive', 'false_negative')),
    operator_id  text        NOT NULL,
    reason       text,
    decided_at   timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (venue, window_start, model),
    FOREIGN KEY (venue, window_start, model) REFERENCES anomaly_decisions (venue, window_start, model)
);
