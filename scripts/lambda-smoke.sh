#!/usr/bin/env bash
# Smoke test of the functions as Lambda runs them: starts `cargo lambda watch` against the
# local services (tables, queues, state machine and a small book from ballast-local), then
# invokes every event in events/ in the order a job goes through them and checks each
# answer. Exits non-zero, naming the event, on the first unexpected answer.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
port="${LAMBDA_PORT:-9100}"
env_file=.local/lambda.env
log=.local/log/lambda-watch.log
mkdir -p .local/log

# The helpers below are built as the test build resolved the workspace (the same features),
# so the dependencies it built are reused instead of compiled again.
cargo build --quiet --workspace --tests --bin ballast-model-server --bin ballast-local
bin_dir="${CARGO_TARGET_DIR:-target}/debug"

# The ETF classifier's endpoint: the model container's `train` on the bundled ETFs
# (hyperparameter kind etf-som), then `serve` on a port of its own.
model_port="${MODEL_PORT:-9180}"
etf_input=.local/models/etf-input etf_model=.local/models/etf
mkdir -p "$etf_input/data/train" "$etf_input/config" "$etf_model"
cp shared/ml/data/etfs/etfs_us_arca.csv "$etf_input/data/train/"
echo '{"kind": "etf-som"}' >"$etf_input/config/hyperparameters.json"
"$bin_dir/ballast-model-server" train --input-dir "$etf_input" --model-dir "$etf_model"
"$bin_dir/ballast-model-server" serve --port "$model_port" --model "ballast-etf=$etf_model" >.local/log/model-server.log 2>&1 &
model_pid=$!
export BALLAST_SAGEMAKER_ENDPOINT="http://127.0.0.1:$model_port"

# Tables, queues and state machine of their own, so every run starts from nothing.
export BALLAST_TABLE="smoke-$(date +%s)-$$" BALLAST_VIEWS_TABLE="smoke-$(date +%s)-$$-views"
"$bin_dir/ballast-local" setup --accounts 20 --prefix "$BALLAST_TABLE" --env-file "$env_file"
cargo lambda watch --invoke-port "$port" --env-file "$env_file" >"$log" 2>&1 &
watch_pid=$!
trap 'kill "$watch_pid" "$model_pid" 2>/dev/null; wait "$watch_pid" "$model_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if curl -s -o /dev/null "http://127.0.0.1:$model_port/ping"; then break; fi
  sleep 1
done
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  sleep 1
done

# event file | function | a fragment the answer must contain
checks=(
  'batching/post-rebalances.json|batching|"statusCode":202'
  'batching/post-rebalances.json|batching|created\":false'
  'batching/post-rebalances-malformed.json|batching|MALFORMED_JSON'
  'batching/post-rebalances-invalid-mode.json|batching|INVALID_MODE'
  'batching/post-rebalances-unknown-account.json|batching|UNKNOWN_ACCOUNT'
  'rebalance/batch-0.json|rebalance|"batch":0'
  'check/batch-0.json|check|"batch":0'
  'submit/batch-0.json|submit|"orders_sent"'
  'finalize/fail-batch.json|finalize|"status":"failed"'
  'finalize/finalize.json|finalize|"status":"submitted"'
  'query/get-rebalance.json|query|"statusCode":200'
  'query/get-trades.json|query|trades\":['
  'query/get-trades-invalid-state.json|query|INVALID_STATE'
  'query/get-rebalance-unknown.json|query|JOB_NOT_FOUND'
  'execution-reports/reports.json|execution-reports|batchItemFailures'
  'venues/put-override-halt.json|venues|"to\":\"halted'
  'venues/get-venues.json|venues|ops-jlee'
  'venues/put-override-invalid.json|venues|INVALID_STATUS'
  'venues/delete-override.json|venues|"to\":\"healthy'
  'venues/put-override-resume.json|venues|false_positive'
  'etf-classification/classify.json|etf-classification|"pending_reviews"'
  'etf-classification/await-review.json|etf-classification|"pending_reviews"'
  'etf-review/get-pending.json|etf-review|BZQ'
  'etf-review/post-approve.json|etf-review|"source\":\"reviewer'
  'etf-review/post-approve-again.json|etf-review|ALREADY_DECIDED'
  'etf-review/post-override-no-flags.json|etf-review|INVALID_DECISION'
  'etf-classification/review-overdue.json|etf-classification|"overdue":true'
  'etf-classification/publish.json|etf-classification|"provisional"'
)
for c in "${checks[@]}"; do
  IFS='|' read -r event fn expect <<<"$c"
  answer=$(cargo lambda invoke "$fn" --invoke-port "$port" --data-file "events/$event" 2>&1) || true
  if ! grep -qF -- "$expect" <<<"$answer"; then
    echo "lambda-smoke: events/$event -> $fn: expected $expect in: $answer" >&2
    echo "lambda-smoke: watch log: $log" >&2
    exit 1
  fi
  echo "lambda-smoke: ok  $fn  events/$event"
done
# Every event file is played above.
played=$(printf '%s\n' "${checks[@]}" | cut -d'|' -f1 | sort -u | wc -l)
present=$(find events -name '*.json' | wc -l)
if [ "$played" -ne "$present" ]; then
  echo "lambda-smoke: $present event files but $played are played; add the new ones to $0" >&2
  exit 1
fi
