#!/usr/bin/env bash
# Starts the Covenant multi-instance set on one machine, on loopback, for testing (issue 11):
#   a PostgreSQL 15 primary and a streaming replica (pg_basebackup -R), the database and its role, migrations once,
#   the demo seed once, the payment sandbox as its own process, N `covenant serve` instances sharing one key file
#   and the database, and nginx in front of them. Prints the URLs; deploy/down.sh stops everything.
#
# Usage: deploy/up.sh [--instances N] [--dir RUN_DIR] [options] BINARY
#   --instances N         instances to run (default 3); re-running with a larger N starts the missing ones
#   --dir RUN_DIR         where everything lives: data, logs, pids, configuration (default /tmp/covenant-deploy)
#   --pg-port P           the primary's port (default 5440); the replica listens on P+1
#   --http-port P         nginx's port (default 8100); instance i listens on P+i
#   --trusted-proxy CIDR  a load balancer in front of nginx whose X-Forwarded-For nginx believes (repeatable;
#                         default none). The drill passes 127.0.0.1: its load generator plays that balancer.
#   --async-replica       do not wait for the replica on commit (synchronous_standby_names = '')
#   --no-demo             no demo data: create one admin with `covenant staff add` instead
# Environment: COVENANT_* variables set by the caller (e.g. COVENANT_RISK_RULES, LOG_LEVEL) reach the instances,
# except those this script sets (database, payment institution, public URL, host, port, forwarded-for).
#
# Idempotent: a second run with the same RUN_DIR starts only what is not running and keeps the data, keys and
# passwords of the first. Runs as root (PostgreSQL then runs as the `postgres` user; nginx's workers as
# www-data) or as an ordinary user (everything as that user).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true  # bash 5.2: no '&' expansion in ${var//pattern/replacement}

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
INSTANCES=3
RUN_DIR=${COVENANT_DEPLOY_DIR:-/tmp/covenant-deploy}
PG_PORT=5440
HTTP_PORT=8100
TRUSTED_PROXIES=()
SYNC_REPLICA=1
DEMO=1
BINARY=

die() { echo "up.sh: error: $*" >&2; exit 1; }
say() { echo "up.sh: $*"; }
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --instances) INSTANCES=${2:?--instances needs a number}; shift 2 ;;
        --dir) RUN_DIR=${2:?--dir needs a directory}; shift 2 ;;
        --pg-port) PG_PORT=${2:?--pg-port needs a port}; shift 2 ;;
        --http-port) HTTP_PORT=${2:?--http-port needs a port}; shift 2 ;;
        --trusted-proxy) TRUSTED_PROXIES+=("${2:?--trusted-proxy needs an address or CIDR block}"); shift 2 ;;
        --async-replica) SYNC_REPLICA=0; shift ;;
        --no-demo) DEMO=0; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "up.sh: unknown option $1" >&2; usage 2 ;;
        *) [[ -z $BINARY ]] || die "one BINARY only (got '$BINARY' and '$1')"; BINARY=$1; shift ;;
    esac
done

# ---------------------------------------------------------------------------------------------------------------
# Checks before anything is started.

[[ -n $BINARY ]] || { echo "up.sh: error: BINARY (the covenant executable) is required" >&2; usage 2; }
[[ -x $BINARY && -f $BINARY ]] || die "$BINARY is not an executable file"
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
[[ $INSTANCES =~ ^[1-9][0-9]?$ ]] || die "--instances must be between 1 and 99 (got '$INSTANCES')"
for port in "$PG_PORT" "$HTTP_PORT"; do
    [[ $port =~ ^[0-9]+$ && $port -ge 1024 && $port -le 65000 ]] || die "ports must be unprivileged numbers (got '$port')"
done
for tool in initdb pg_ctl pg_basebackup psql; do
    [[ -x $PG_BIN/$tool ]] || die "$PG_BIN/$tool is missing: install PostgreSQL 15 (apt-get install -y postgresql-15) or set PG_BIN"
done
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "nginx is missing; installing Debian's package (apt-get install -y nginx; its own service is not started)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null || die "apt-get install -y nginx failed"
    else
        die "nginx is missing: install it (sudo apt-get install -y nginx)"
    fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in curl base64 sed; do command -v "$tool" >/dev/null || die "$tool is missing"; done

DEPLOY_DIR=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
REPLICA_PORT=$((PG_PORT + 1))
PUBLIC_URL="http://127.0.0.1:$HTTP_PORT"

# Settings of the first run are kept: a second run must not move ports under a running set.
SETTINGS=$RUN_DIR/settings.env
if [[ -f $SETTINGS ]]; then
    previous_pg=$(sed -n 's/^PG_PORT=//p' "$SETTINGS")
    previous_http=$(sed -n 's/^HTTP_PORT=//p' "$SETTINGS")
    [[ $previous_pg == "$PG_PORT" && $previous_http == "$HTTP_PORT" ]] ||
        die "$RUN_DIR was set up with --pg-port $previous_pg --http-port $previous_http; run deploy/down.sh --dir $RUN_DIR --purge first, or use another --dir"
fi

# The cluster runs as a non-root user: `postgres` when this script runs as root (CI), else the caller.
if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user postgres is missing (it comes with the postgresql package)"
    PG_USER=postgres
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    PG_USER=$(id -un)
    as_pg() { "$@"; }
fi
PG_SUPER=$PG_USER   # initdb names the bootstrap superuser after the operating-system user (peer authentication)

mkdir -p "$RUN_DIR"/{pids,logs,data,pg} "$RUN_DIR/nginx/tmp"
chmod 755 "$RUN_DIR"
if [[ $EUID -eq 0 ]]; then
    chown "$PG_USER": "$RUN_DIR/pg"
    as_pg test -w "$RUN_DIR/pg" ||
        die "user $PG_USER cannot reach $RUN_DIR/pg: every parent directory must be searchable by it (chmod o+x), or pick another --dir"
fi
chmod 700 "$RUN_DIR/pg" "$RUN_DIR/data"
PG_SOCKET=$RUN_DIR/pg/sock
PRIMARY=$RUN_DIR/pg/primary
REPLICA=$RUN_DIR/pg/replica

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A pid file's process, if it is alive and ours (its command line names RUN_DIR: no stranger reusing the pid).
alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN_DIR"
}
render() {  # render TEMPLATE OUT NAME=VALUE...
    local template=$1 out=$2 text
    shift 2
    text=$(cat "$template")
    local pair
    for pair in "$@"; do text=${text//@${pair%%=*}@/${pair#*=}}; done
    if grep -qE '@[A-Z_]+@' <<<"$text"; then
        grep -oE '@[A-Z_]+@' <<<"$text" | sort -u >&2
        die "unrendered placeholders in $template"
    fi
    printf '%s\n' "$text" >"$out"
}
random_secret() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
random_word() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+='; }

# ---------------------------------------------------------------------------------------------------------------
# Secrets of this set, made once (0600): database passwords, the payment institution's API key and callback secret.
SECRETS=$RUN_DIR/secrets.env
if [[ ! -f $SECRETS ]]; then
    umask 077
    {
        echo "APP_PASSWORD=$(random_word 24)"
        echo "REPL_PASSWORD=$(random_word 24)"
        echo "PAYMENT_API_KEY=$(random_word 24)"
        echo "PAYMENT_SECRET=$(random_secret 32)"
    } >"$SECRETS"
    umask 022
fi
chmod 600 "$SECRETS"
# shellcheck disable=SC1090
. "$SECRETS"
APP_USER=covenant
DB_NAME=covenant
REPL_USER=covenant_replication
STANDBY_NAME=covenant_replica
DATABASE_URL="postgres://$APP_USER:$APP_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"

psql_super() {  # psql_super PORT [psql args…]: the cluster's superuser on the Unix socket
    local port=$1
    shift
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -p "$port" -U "$PG_SUPER" -d postgres "$@"
}
pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }
pg_start() {  # pg_start DATADIR NAME
    if pg_running "$1"; then say "$2 is already running"; return; fi
    as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$RUN_DIR/pg/$2.log" -w -t 60 start >/dev/null ||
        die "$2 did not start; see $RUN_DIR/pg/$2.log"
}

# Every port this run will open, checked before anything starts: a port in use by anything but this set's own
# running process is an error now, not half-way through.
preflight=()
if ! pg_running "$PRIMARY" && port_busy "$PG_PORT"; then preflight+=("$PG_PORT (the primary)"); fi
if ! pg_running "$REPLICA" && port_busy "$REPLICA_PORT"; then preflight+=("$REPLICA_PORT (the replica)"); fi
if ! alive "$RUN_DIR/nginx/nginx.pid" && port_busy "$HTTP_PORT"; then preflight+=("$HTTP_PORT (nginx)"); fi
for i in $(seq 1 "$INSTANCES"); do
    if ! alive "$RUN_DIR/pids/instance-$i.pid" && port_busy "$((HTTP_PORT + i))"; then
        preflight+=("$((HTTP_PORT + i)) (instance $i)")
    fi
done
if [[ ${#preflight[@]} -gt 0 ]]; then
    die "port(s) in use by another program: ${preflight[*]}; stop it, or pick other --pg-port / --http-port"
fi

# ---------------------------------------------------------------------------------------------------------------
# 1. The primary.
as_pg mkdir -p "$PG_SOCKET"
if [[ ! -f $PRIMARY/PG_VERSION ]]; then
    pg_running "$PRIMARY" 2>/dev/null && die "a cluster runs in $PRIMARY without PG_VERSION"
    port_busy "$PG_PORT" && die "port $PG_PORT is taken by another program; pick another --pg-port"
    say "initdb the primary in $PRIMARY (as $PG_USER)"
    as_pg rm -rf "$PRIMARY"
    as_pg "$PG_BIN/initdb" -D "$PRIMARY" -U "$PG_SUPER" --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C --data-checksums >"$RUN_DIR/pg/initdb.log" 2>&1 ||
        die "initdb failed; see $RUN_DIR/pg/initdb.log"
    echo "include 'covenant.conf'" | as_pg tee -a "$PRIMARY/postgresql.conf" >/dev/null
fi
primary_conf() {  # the primary's settings with the given synchronous_standby_names
    render "$DEPLOY_DIR/postgresql/primary.conf" "$RUN_DIR/pg/primary.conf.rendered" \
        LISTEN=127.0.0.1 PORT="$PG_PORT" SOCKET_DIR="$PG_SOCKET" SYNC_NAMES="$1"
    as_pg cp "$RUN_DIR/pg/primary.conf.rendered" "$PRIMARY/covenant.conf"
}
# Asynchronous until the replica streams: with a synchronous standby named but absent, every commit would wait.
if pg_running "$PRIMARY" && [[ -f $REPLICA/PG_VERSION ]] && pg_running "$REPLICA"; then :; else primary_conf ""; fi
render "$DEPLOY_DIR/postgresql/pg_hba.conf" "$RUN_DIR/pg/pg_hba.conf.rendered" SUPERUSER="$PG_SUPER" \
    DATABASE="$DB_NAME" APP_USER="$APP_USER" CLIENT_CIDR=127.0.0.1/32 REPL_USER="$REPL_USER" REPLICA_CIDR=127.0.0.1/32
as_pg cp "$RUN_DIR/pg/pg_hba.conf.rendered" "$PRIMARY/pg_hba.conf"
pg_start "$PRIMARY" primary
psql_super "$PG_PORT" -c "SELECT pg_reload_conf()" >/dev/null

# 2. Roles and the database (no superuser for the platform: it owns its database and nothing else).
psql_super "$PG_PORT" -v app_user="$APP_USER" -v app_password="$APP_PASSWORD" -v repl_user="$REPL_USER" \
    -v repl_password="$REPL_PASSWORD" -v db="$DB_NAME" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I LOGIN', :'app_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'repl_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'repl_user') \gexec
ALTER ROLE :"repl_user" LOGIN REPLICATION NOSUPERUSER PASSWORD :'repl_password';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'app_user')
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app_user";
SQL

# 3. The replica: a base backup streamed from the primary with its own slot, then a hot standby.
if [[ ! -f $REPLICA/PG_VERSION ]]; then
    port_busy "$REPLICA_PORT" && die "port $REPLICA_PORT (the replica's) is taken by another program; pick another --pg-port"
    say "pg_basebackup -R the replica into $REPLICA"
    as_pg rm -rf "$REPLICA"
    # A slot left by an earlier replica that was removed would make -C fail; nobody else uses this name.
    psql_super "$PG_PORT" -c "SELECT pg_drop_replication_slot('$STANDBY_NAME') FROM pg_replication_slots WHERE slot_name = '$STANDBY_NAME' AND NOT active" >/dev/null
    PASSFILE=$RUN_DIR/pg/replication.pgpass
    echo "127.0.0.1:$PG_PORT:replication:$REPL_USER:$REPL_PASSWORD" | as_pg tee "$PASSFILE" >/dev/null
    as_pg chmod 600 "$PASSFILE"
    as_pg "$PG_BIN/pg_basebackup" -d "host=127.0.0.1 port=$PG_PORT user=$REPL_USER passfile=$PASSFILE" \
        -D "$REPLICA" -R -X stream -C -S "$STANDBY_NAME" -c fast >"$RUN_DIR/pg/basebackup.log" 2>&1 ||
        die "pg_basebackup failed; see $RUN_DIR/pg/basebackup.log"
    echo "include 'covenant-replica.conf'" | as_pg tee -a "$REPLICA/postgresql.conf" >/dev/null
fi
render "$DEPLOY_DIR/postgresql/replica.conf" "$RUN_DIR/pg/replica.conf.rendered" \
    LISTEN=127.0.0.1 PORT="$REPLICA_PORT" SOCKET_DIR="$PG_SOCKET" STANDBY_NAME="$STANDBY_NAME"
as_pg cp "$RUN_DIR/pg/replica.conf.rendered" "$REPLICA/covenant-replica.conf"
as_pg cp "$RUN_DIR/pg/pg_hba.conf.rendered" "$REPLICA/pg_hba.conf"
pg_start "$REPLICA" replica
streaming=
for _ in $(seq 1 100); do
    streaming=$(psql_super "$PG_PORT" -At -c "SELECT state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'" || true)
    [[ $streaming == streaming ]] && break
    sleep 0.2
done
[[ $streaming == streaming ]] || die "the replica is not streaming from the primary (state '$streaming'); see $RUN_DIR/pg/replica.log"
if [[ $SYNC_REPLICA == 1 ]]; then primary_conf "FIRST 1 ($STANDBY_NAME)"; else primary_conf ""; fi
psql_super "$PG_PORT" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
sync_state=$(psql_super "$PG_PORT" -At -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'")
say "PostgreSQL primary on 127.0.0.1:$PG_PORT, replica on 127.0.0.1:$REPLICA_PORT (streaming, $sync_state)"

# ---------------------------------------------------------------------------------------------------------------
# 4. The payment sandbox, its own process (its records in a file), reached by the instances and calling back
#    through nginx, so that any instance receives a callback.
SANDBOX_PID=$RUN_DIR/pids/payment-sandbox.pid
SANDBOX_LOG=$RUN_DIR/logs/payment-sandbox.log
if alive "$SANDBOX_PID"; then
    say "the payment sandbox is already running"
else
    mkdir -p "$RUN_DIR/sandbox"
    : >"$SANDBOX_LOG"
    # The key and the secret through the environment (the sandbox reads COVENANT_PAYMENT_API_KEY/_SECRET), so they
    # are not on a command line that every local user can read.
    COVENANT_PAYMENT_API_KEY=$PAYMENT_API_KEY COVENANT_PAYMENT_SECRET=$PAYMENT_SECRET \
        setsid "$BINARY" payment-sandbox --port "$(cat "$RUN_DIR/sandbox/port" 2>/dev/null || echo 0)" --storage "$RUN_DIR/sandbox/payment-sandbox.json" \
        >>"$SANDBOX_LOG" 2>&1 </dev/null &
    echo $! >"$SANDBOX_PID"
fi
PAYMENT_URL=
for _ in $(seq 1 150); do
    PAYMENT_URL=$(grep -o 'listening on http://[0-9.:]*' "$SANDBOX_LOG" | tail -1 | sed 's/listening on //' || true)
    [[ -n $PAYMENT_URL ]] && break
    alive "$SANDBOX_PID" || break
    sleep 0.1
done
[[ -n $PAYMENT_URL ]] || die "the payment sandbox did not start; see $SANDBOX_LOG"
# A free port the first time, the same one afterwards: running instances keep the URL they were started with.
[[ -f $RUN_DIR/sandbox/port ]] || echo "${PAYMENT_URL##*:}" >"$RUN_DIR/sandbox/port"

# ---------------------------------------------------------------------------------------------------------------
# 5. The environment every instance (and every CLI command against this set) shares.
ENV_FILE=$RUN_DIR/covenant.env
umask 077
{
    echo "COVENANT_DATABASE_URL=$DATABASE_URL"
    echo "COVENANT_ENVIRONMENT=development"
    echo "COVENANT_TRUST_FORWARDED_FOR=1"
    echo "COVENANT_PUBLIC_URL=$PUBLIC_URL"
    echo "COVENANT_PAYMENT_URL=$PAYMENT_URL"
    echo "COVENANT_PAYMENT_API_KEY=$PAYMENT_API_KEY"
    echo "COVENANT_PAYMENT_SECRET=$PAYMENT_SECRET"
} >"$ENV_FILE"
umask 022
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
unset COVENANT_HOST COVENANT_PORT COVENANT_DATA_DIR

# 6. The key file, once: every instance must hold the same keys (personal data is encrypted under them, logins
#    and addresses are found by blind indexes keyed with them). `covenant migrate` on a fresh data directory
#    generates development keys (production refuses those: provision with `covenant keys init`); each instance
#    gets its own data directory with a copy (mode 0600), as separate machines would.
SHARED=$RUN_DIR/data/shared
mkdir -p "$SHARED"
chmod 700 "$SHARED"
if ! "$BINARY" migrate --data-dir "$SHARED" >"$RUN_DIR/logs/migrate.log" 2>&1; then
    die "covenant migrate failed; see $RUN_DIR/logs/migrate.log"
fi
[[ -f $SHARED/keys.json ]] || die "no key file at $SHARED/keys.json after migrate"
say "migrations applied (covenant migrate); key file $SHARED/keys.json"

wait_ready() {  # wait_ready URL PIDFILE LOG
    local _
    for _ in $(seq 1 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/health/ready" || true) == 200 ]] && return 0
        [[ -z $2 ]] || alive "$2" || die "the process exited while starting; see $3"
        sleep 0.1
    done
    die "$1 was not ready within 30 s; see $3"
}

# 7. Demo data, once: `serve --demo` seeds (merchants with two-factor, staff, listings) and writes
#    demo-logins.json, then stops; the instances serve without --demo. Or one admin through the CLI.
FIRST_PORT=$((HTTP_PORT + 1))
if [[ $DEMO == 1 && ! -f $SHARED/demo-logins.json ]]; then
    port_busy "$FIRST_PORT" && die "port $FIRST_PORT is taken by another program; pick another --http-port"
    say "seeding the demo data once (covenant serve --demo, then SIGTERM)"
    SEED_LOG=$RUN_DIR/logs/seed.log
    "$BINARY" serve --demo --data-dir "$SHARED" --host 127.0.0.1 --port "$FIRST_PORT" >"$SEED_LOG" 2>&1 </dev/null &
    seed=$!
    for _ in $(seq 1 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$FIRST_PORT/health/ready" || true) == 200 ]] && break
        kill -0 "$seed" 2>/dev/null || die "serve --demo exited while seeding; see $SEED_LOG"
        sleep 0.1
    done
    kill -TERM "$seed"
    wait "$seed" || die "serve --demo did not stop cleanly; see $SEED_LOG"
    [[ -f $SHARED/demo-logins.json ]] || die "serve --demo wrote no demo-logins.json; see $SEED_LOG"
elif [[ $DEMO == 0 && ! -f $SHARED/admin-login.txt ]]; then
    say "creating an administrator (covenant staff add)"
    "$BINARY" staff add --data-dir "$SHARED" --role admin --login admin@covenant.test --name "Administrator" \
        >"$SHARED/admin-login.txt" 2>&1 || { cat "$SHARED/admin-login.txt" >&2; die "covenant staff add failed"; }
    chmod 600 "$SHARED/admin-login.txt"
fi

# ---------------------------------------------------------------------------------------------------------------
# 8. The instances.
UPSTREAMS=
INSTANCE_URLS=
for i in $(seq 1 "$INSTANCES"); do
    port=$((HTTP_PORT + i))
    dir=$RUN_DIR/data/instance-$i
    pidfile=$RUN_DIR/pids/instance-$i.pid
    log=$RUN_DIR/logs/instance-$i.log
    UPSTREAMS+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
    INSTANCE_URLS+="http://127.0.0.1:$port "
    if alive "$pidfile"; then
        say "instance $i is already running (pid $(cat "$pidfile"))"
        continue
    fi
    port_busy "$port" && die "port $port (instance $i) is taken by another program; pick another --http-port"
    mkdir -p "$dir"
    chmod 700 "$dir"
    install -m 600 "$SHARED/keys.json" "$dir/keys.json"
    echo "=== up.sh: start at $(date -u +%FT%TZ) ===" >>"$log"
    setsid "$BINARY" serve --data-dir "$dir" --host 127.0.0.1 --port "$port" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
done
for i in $(seq 1 "$INSTANCES"); do
    wait_ready "http://127.0.0.1:$((HTTP_PORT + i))" "$RUN_DIR/pids/instance-$i.pid" "$RUN_DIR/logs/instance-$i.log"
done
say "$INSTANCES instance(s) ready"

# ---------------------------------------------------------------------------------------------------------------
# 9. nginx in front.
NGINX_DIR=$RUN_DIR/nginx
mkdir -p "$NGINX_DIR/tmp"
if [[ $EUID -eq 0 ]]; then
    WORKER_USER=www-data
    id "$WORKER_USER" >/dev/null 2>&1 || WORKER_USER=nobody
    USER_LINE="user $WORKER_USER;"
    chown -R "$WORKER_USER" "$NGINX_DIR/tmp"
else
    USER_LINE="# (not root: the workers run as $(id -un))"
fi
REAL_IP="    # no load balancer in front: \$remote_addr is the client"
if [[ ${#TRUSTED_PROXIES[@]} -gt 0 ]]; then
    REAL_IP=
    for proxy in "${TRUSTED_PROXIES[@]}"; do REAL_IP+="    set_real_ip_from $proxy;"$'\n'; done
    REAL_IP+="    real_ip_header X-Forwarded-For;"$'\n'"    real_ip_recursive on;"
fi
render "$DEPLOY_DIR/nginx.conf.template" "$NGINX_DIR/nginx.conf" USER_LINE="$USER_LINE" NGINX_DIR="$NGINX_DIR" \
    REAL_IP="$REAL_IP" UPSTREAM_SERVERS="${UPSTREAMS%$'\n'}" LISTEN="127.0.0.1:$HTTP_PORT"
"$NGINX" -t -q -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" 2>"$NGINX_DIR/test.log" ||
    { cat "$NGINX_DIR/test.log" >&2; die "nginx -t refused $NGINX_DIR/nginx.conf"; }
if alive "$NGINX_DIR/nginx.pid"; then
    "$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" -s reload
    say "nginx was running: configuration reloaded"
else
    port_busy "$HTTP_PORT" && die "port $HTTP_PORT (nginx) is taken by another program; pick another --http-port"
    "$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" || die "nginx did not start; see $NGINX_DIR/error.log"
fi
wait_ready "$PUBLIC_URL" "" "$NGINX_DIR/error.log"

# ---------------------------------------------------------------------------------------------------------------
# 10. What the drill and down.sh read, and the URLs.
{
    echo "RUN_DIR=$RUN_DIR"
    echo "BINARY=$BINARY"
    echo "INSTANCES=$INSTANCES"
    echo "PG_PORT=$PG_PORT"
    echo "REPLICA_PORT=$REPLICA_PORT"
    echo "HTTP_PORT=$HTTP_PORT"
    echo "PG_BIN=$PG_BIN"
    echo "PG_USER=$PG_USER"
    echo "PG_SOCKET=$PG_SOCKET"
    echo "PUBLIC_URL=$PUBLIC_URL"
    echo "PAYMENT_URL=$PAYMENT_URL"
    echo "INSTANCE_URLS=\"${INSTANCE_URLS% }\""
    echo "SHARED_DATA_DIR=$SHARED"
    echo "STANDBY_NAME=$STANDBY_NAME"
} >"$SETTINGS"

cat <<EOF
Covenant is up ($INSTANCES instances behind nginx):
  public URL (nginx):   $PUBLIC_URL/
  instances:            ${INSTANCE_URLS% }
  payment sandbox:      $PAYMENT_URL  (test card 4242424242424242)
  PostgreSQL primary:   postgres://$APP_USER:***@127.0.0.1:$PG_PORT/$DB_NAME   (socket $PG_SOCKET, superuser $PG_SUPER)
  PostgreSQL replica:   postgres://$APP_USER:***@127.0.0.1:$REPLICA_PORT/$DB_NAME  (hot standby, $sync_state)
  environment for CLI:  set -a; . $ENV_FILE; set +a; $BINARY ledger check --data-dir $SHARED
  demo logins:          $( [[ -f $SHARED/demo-logins.json ]] && echo "$SHARED/demo-logins.json" || echo "none (--no-demo): $SHARED/admin-login.txt")
  logs:                 $RUN_DIR/logs/, $RUN_DIR/pg/*.log, $NGINX_DIR/{access,error}.log
  stop:                 $DEPLOY_DIR/down.sh --dir $RUN_DIR
EOF
