# Ballast: build, test and run the embedded default.
#   make run ACCOUNTS=1000000 MODE=full    the platform flow on 5,000 accounts, a venue fault drill, then a generated book into out/
#   make generate ACCOUNTS=1000            write a sample book (reference.json, accounts.jsonl) into book/
#   make services / services-stop          local DynamoDB, SQS + Step Functions (moto), PostgreSQL
#   make retrain                           training files from the training store (PostgreSQL), then both models
#   make eval-etf [TRAIN=f TEST=f FLAGS=f]  the ETF classifier on held-out rows (default: 5 splits of the bundled file)

# The project's venv first: cargo-lambda finds zig only through PATH.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export CARGO_BUILD_JOBS ?= 2

ACCOUNTS ?= 100000
# Accounts in the platform-flow part of `make run` (API, batches, orders, market centers).
FLOW_ACCOUNTS ?= 5000
SEED ?= 42
MODE ?= tolerance
OUT ?= out
BOOK ?= book

.PHONY: retrain eval-nab eval-etf model-server cdk-deps cdk-test cdk-lint synth deploy diff build cli run generate test bench fmt lint checks-doc local-platform watch invoke services services-stop services-status services-check setup-lambda-build

# The Lambda functions (functions/*) and a sample event for `make invoke`.
FUNCTIONS := batching query rebalance check submit finalize execution-reports anomaly-inference venues etf-classification etf-review
FN ?= batching
EVENT ?= events/batching/post-rebalances.json

cli:
	cargo build --release -p ballast-embedded

# Release builds of every function for Lambda (arm64, provided.al2023), small and
# stripped: target/lambda/<function>/bootstrap.
build: setup-lambda-build
	CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
	CARGO_PROFILE_RELEASE_STRIP=true CARGO_PROFILE_RELEASE_DEBUG=0 \
	  cargo lambda build --release --arm64 $(addprefix -p ,$(FUNCTIONS))
	@ls -l target/lambda/*/bootstrap

# Tables, queues, state machine and a small generated book on the local services, and
# the functions' environment in .local/lambda.env.
local-platform: services
	cargo run --quiet -p ballast-tests --bin ballast-local -- setup --accounts 20 --env-file .local/lambda.env

# Every function on http://127.0.0.1:9000, against the local services.
watch: local-platform
	cargo lambda watch --env-file .local/lambda.env

# One event to one function while `make watch` runs:
#   make invoke FN=query EVENT=events/query/get-rebalance.json
invoke:
	cargo lambda invoke $(FN) --data-file $(EVENT)

# The platform's flow on FLOW_ACCOUNTS accounts (API request -> batches -> rebalance ->
# check -> submit -> market centers -> execution reports -> read side), a market-center
# fault drill (a reject storm at one venue midway: detection, rerouting, held orders), the
# nightly ETF classification on the bundled file (review queue, a reviewer's approval reaching
# the security master), then the whole book of ACCOUNTS accounts through the engine and the checks into OUT.
run: cli
	target/release/ballast flow --accounts $(FLOW_ACCOUNTS) --seed $(SEED) --mode $(MODE)
	@echo
	target/release/ballast drill --seed $(SEED)
	@echo
	target/release/ballast etf-nightly --seed $(SEED)
	@echo
	target/release/ballast run --accounts $(ACCOUNTS) --seed $(SEED) --mode $(MODE) --out $(OUT)

# A sample book is small unless ACCOUNTS is given: 100,000 accounts are ~1 GB of JSON.
generate: cli
	target/release/ballast generate --accounts $(if $(filter command line environment,$(origin ACCOUNTS)),$(ACCOUNTS),1000) --seed $(SEED) --out $(BOOK)

# cargo-nextest runs the test binaries side by side (settings: .config/nextest.toml), which
# roughly halves the wall time of the suites that wait on the local services; plain
# `cargo test` where it is not installed.
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)

# Every test (the integration tests use the local services), the functions under
# `cargo lambda watch` with every sample event, then the main job on a small book. The local
# services come first (already running: a fraction of a second), checked end to end.
test: services services-check cdk-deps
ifeq ($(NEXTEST),yes)
	cargo nextest run --workspace
	cargo test --doc --workspace
else
	cargo test --workspace
endif
	$(MAKE) --no-print-directory cdk-test
	cargo build --workspace --tests $(addprefix --bin ,$(FUNCTIONS))
	scripts/lambda-smoke.sh
	$(MAKE) --no-print-directory run ACCOUNTS=5000 FLOW_ACCOUNTS=1000 OUT=target/smoke-run

bench:
	cargo bench -p ballast-embedded

# --- models -------------------------------------------------------------------------------
# The anomaly detector on a folder in NAB's layout (data/<category>/<series>.csv and
# combined_windows.json): per-profile scores, the standard one last; each series' scores
# in NAB's results layout under RESULTS_DIR (default: <NAB_DIR>/results), for NAB's own scorer.
NAB_DIR ?= shared/ml/data/nab
RESULTS_DIR ?= $(NAB_DIR)/results
eval-nab:
	cargo run --release --quiet -p ballast-ml --bin ballast-eval-nab -- --nab-dir $(NAB_DIR) --results-dir $(RESULTS_DIR)

# The ETF classifier (issue 7): fit on TRAIN, score on TEST, one figure a line beside the
# in-run baseline. Without TRAIN and TEST: the bundled file split by symbol hash, one run
# per seed in ETF_SPLITS (20% held out each). FLAGS: reviewed flags (default: the bundled ones).
ETF_DATA ?= shared/ml/data/etfs/etfs_us_arca.csv
ETF_SPLITS ?= 1 2 3 4 5
ETF_EVAL := target/release/ballast-eval-etf
eval-etf:
	cargo build --release --quiet -p ballast-ml --bin ballast-eval-etf
ifneq ($(and $(TRAIN),$(TEST)),)
	$(ETF_EVAL) --train $(TRAIN) --test $(TEST) $(if $(FLAGS),--flags $(FLAGS))
else
	@mkdir -p target/etf-eval
	@for s in $(ETF_SPLITS); do \
	  echo "# split seed $$s"; \
	  $(ETF_EVAL) split --in $(ETF_DATA) --train target/etf-eval/train$$s.csv --test target/etf-eval/test$$s.csv --seed $$s || exit 1; \
	  $(ETF_EVAL) --train target/etf-eval/train$$s.csv --test target/etf-eval/test$$s.csv $(if $(FLAGS),--flags $(FLAGS)) || exit 1; \
	done
endif

# The model container's binary (sagemaker/): `target/release/ballast-model-server train|serve`.
model-server:
	cargo build --release -p ballast-model-server

# The feedback loop, locally: migrate the training store (shared/aurora; BALLAST_DB_URL,
# default the local PostgreSQL), export its training files into TRAINING_DIR in SageMaker's
# input layout (<kind>/data/train/*.csv), and train each model into TRAINING_DIR/model/<kind>.
# Training reads local files only: an export to S3 (`ballast-aurora export --etf s3://...`)
# is for a SageMaker training job's channels; copy it down to retrain from it here.
# A model whose export holds no rows yet is not retrained. The ETF model is the container's
# `etf-som` kind, named by the approved labels (auto-approved and reviewers' decisions).
TRAINING_DIR ?= target/training
BALLAST_DB_URL ?= postgres://postgres@127.0.0.1:5433/ballast
# The command lives in ballast-aws (feature `export`: S3 destinations, IAM auth); a debug
# build is enough for what is mostly waiting on the database.
AURORA := cargo run --quiet -p ballast-aws --features export --bin ballast-aurora -- --url $(BALLAST_DB_URL)
MODEL_SERVER := cargo run --release --quiet -p ballast-model-server --
retrain: services
	$(AURORA) migrate
	$(AURORA) export --etf $(TRAINING_DIR)/etf/data/train/etfs.csv --anomaly $(TRAINING_DIR)/anomaly/data/train/windows.csv
	@if [ "$$(wc -l < $(TRAINING_DIR)/anomaly/data/train/windows.csv)" -gt 1 ]; then \
	  echo "$(MODEL_SERVER) train --input-dir $(TRAINING_DIR)/anomaly --model-dir $(TRAINING_DIR)/model/anomaly"; \
	  $(MODEL_SERVER) train --input-dir $(TRAINING_DIR)/anomaly --model-dir $(TRAINING_DIR)/model/anomaly; \
	else echo "anomaly model: no telemetry windows in the training store yet; not retrained"; fi
	@if [ "$$(wc -l < $(TRAINING_DIR)/etf/data/train/etfs.csv)" -le 1 ]; then \
	  echo "ETF model: no approved labels in the training store yet; not retrained"; \
	else \
	  mkdir -p $(TRAINING_DIR)/etf/config && echo '{"kind": "etf-som"}' > $(TRAINING_DIR)/etf/config/hyperparameters.json; \
	  echo "$(MODEL_SERVER) train --input-dir $(TRAINING_DIR)/etf --model-dir $(TRAINING_DIR)/model/etf"; \
	  $(MODEL_SERVER) train --input-dir $(TRAINING_DIR)/etf --model-dir $(TRAINING_DIR)/model/etf; \
	fi

# --- infra/cdk: the CDK app (docs: infra/cdk/README.md) ---------------------------------
CDK := cd infra/cdk && CDK_DISABLE_CLI_TELEMETRY=true npx cdk
# Extra context for synth/deploy/diff, e.g. CDK_CONTEXT="-c ballast:modelImage=<ecr uri>".
CDK_CONTEXT ?=
# The functions are taken from `make build` (target/lambda/<function>/bootstrap).
CDK_PREBUILT := -c ballast:prebuilt=$(CURDIR)/target/lambda

# npm ci when package-lock.json changed since the last install (idempotent, offline after).
cdk-deps: infra/cdk/node_modules/.ballast-installed

infra/cdk/node_modules/.ballast-installed: infra/cdk/package-lock.json
	cd infra/cdk && npm ci --no-audit --no-fund
	touch $@

# Jest: the synthesized templates (functions, IAM per function, tables, queues, state
# machines, schedule, API), cdk-nag and cfn-lint. No Rust build, no network, no AWS.
cdk-test: cdk-deps
	scripts/services.sh venv
	cd infra/cdk && npx tsc --noEmit && npx jest

# cfn-lint on what `make synth` wrote.
cdk-lint:
	cfn-lint --config-file infra/cdk/.cfnlintrc -- infra/cdk/cdk.out/*.template.json

# The CloudFormation template in infra/cdk/cdk.out, offline: no credentials needed.
synth: build cdk-deps
	$(CDK) synth --quiet $(CDK_PREBUILT) $(CDK_CONTEXT)
	@ls -l infra/cdk/cdk.out/*.template.json

# Into the account and region of the current AWS credentials (never run by CI). The
# account must be bootstrapped once: `cd infra/cdk && npx cdk bootstrap`.
deploy: build cdk-deps
	$(CDK) deploy --require-approval broadening $(CDK_PREBUILT) $(CDK_CONTEXT)

# What a deploy would change in the deployed stack (needs credentials).
diff: build cdk-deps
	$(CDK) diff $(CDK_PREBUILT) $(CDK_CONTEXT)

# docs/CHECKS.md is generated from the check catalogue; a test fails when it is stale.
checks-doc:
	cargo run --quiet -p ballast-embedded --bin ballast -- checks-doc > docs/CHECKS.md

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings

# Local stand-ins for AWS (scripts/services.sh; logs in .local/log/). Idempotent.
services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

services-status:
	scripts/services.sh status

# One round trip per service with curl and psql (~2 s).
services-check: services
	scripts/services-smoke.sh

# Only for `cargo lambda build --arm64`: the aarch64 Rust target and the venv.
setup-lambda-build:
	scripts/setup-lambda-build.sh
