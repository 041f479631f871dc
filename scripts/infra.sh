#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with its management API) are reachable.
#
#   bash scripts/infra.sh
#
# Idempotent. Where AMQP_URI, RABBIT_API_URI, PG_ADMIN_URL or a
# <SERVICE>_DATABASE_URL points at another host (or port), it only waits for
# that server. For the local defaults (127.0.0.1:5432, 127.0.0.1:5672,
# 127.0.0.1:15672) it installs the Debian/Ubuntu packages when they are
# missing, starts the servers when they are down, and enables the RabbitMQ
# management plugin. When everything is already up it only probes.
#
# INFRA_WAIT (seconds, default 60) bounds each wait.
set -euo pipefail

PATH="$PATH:/usr/sbin:/sbin"
WAIT="${INFRA_WAIT:-60}"
SERVICES="inventory crm workorders payments notifications reporting gateway"

say() { echo "infra: $*"; }
die() { echo "infra: ERROR: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif have sudo; then
    SUDO=(sudo)
else
    SUDO=()  # the commands below fail with their own message if root is needed
fi
as_root() { "${SUDO[@]}" "$@"; }

APT_UPDATED=0
apt_install() {
    have apt-get || die "$* is missing and this is not a Debian/Ubuntu machine: install it, or point the URLs elsewhere"
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    say "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# "scheme://user:pass@host:port/path?x" -> "host port" (default port if none)
host_port() {
    local rest="${1#*://}" default_port="$2" host port
    rest="${rest%%/*}"
    rest="${rest%%\?*}"
    rest="${rest##*@}"
    if [[ "$rest" == \[* ]]; then
        host="${rest%%]*}"; host="${host#[}"
        port="${rest#*]}"; port="${port#:}"
    else
        host="${rest%%:*}"
        port="${rest#"$host"}"; port="${port#:}"
    fi
    echo "${host:-127.0.0.1} ${port:-$default_port}"
}

is_local() {  # host port default_port
    case "$1" in 127.0.0.1|localhost|::1) [ "$2" = "$3" ] ;; *) return 1 ;; esac
}

tcp_open() {  # host port
    timeout 2 bash -c ": >/dev/tcp/$1/$2" 2>/dev/null
}

http_ok() {  # url (may carry user:password@)
    if have curl; then
        curl -fsS -m 3 -o /dev/null "$1" 2>/dev/null
    elif have python3; then
        python3 - "$1" <<'EOF' 2>/dev/null
import base64, sys, urllib.parse, urllib.request
u = urllib.parse.urlsplit(sys.argv[1])
netloc = u.hostname if ":" not in (u.hostname or "") else f"[{u.hostname}]"
if u.port:
    netloc += f":{u.port}"
req = urllib.request.Request(urllib.parse.urlunsplit((u.scheme, netloc, u.path, u.query, "")))
if u.username:
    creds = f"{urllib.parse.unquote(u.username)}:{urllib.parse.unquote(u.password or '')}"
    req.add_header("Authorization", "Basic " + base64.b64encode(creds.encode()).decode())
urllib.request.urlopen(req, timeout=3).read()
EOF
    else
        die "need curl or python3 to probe the RabbitMQ management API"
    fi
}

wait_for() {  # description, then a command that succeeds when ready
    local what="$1"; shift
    local deadline=$((SECONDS + WAIT))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || die "$what did not answer within ${WAIT}s"
        sleep 1
    done
}

# ---------------------------------------------------------------- PostgreSQL

pg_local_ready() {
    if have pg_isready; then
        pg_isready -q -h 127.0.0.1 -p 5432
    else
        tcp_open 127.0.0.1 5432
    fi
}

ensure_local_postgres() {
    if pg_local_ready; then
        say "postgresql: accepting connections on 127.0.0.1:5432"
        return
    fi
    if ! have pg_ctlcluster || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        apt_install postgresql
        if pg_local_ready; then  # the package may have started it
            say "postgresql: accepting connections on 127.0.0.1:5432"
            return
        fi
    fi
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$version" ]; then
        version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
        say "postgresql: creating cluster $version/main"
        as_root pg_createcluster "$version" main >/dev/null
    fi
    say "postgresql: starting cluster $version/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
        || say "postgresql: pg_ctlcluster did not start it cleanly; waiting anyway"
    wait_for "postgresql on 127.0.0.1:5432" pg_local_ready
    say "postgresql: accepting connections on 127.0.0.1:5432"
}

need_local_pg=0
remote_pg=()
check_pg_url() {  # url
    local hp
    hp="$(host_port "$1" 5432)"
    # shellcheck disable=SC2086
    if is_local $hp 5432; then
        need_local_pg=1
    else
        remote_pg+=("$hp")
    fi
}
for svc in $SERVICES; do
    var="${svc^^}_DATABASE_URL"
    if [ -n "${!var:-}" ]; then check_pg_url "${!var}"; else need_local_pg=1; fi
    var="${svc^^}_TEST_DATABASE_URL"
    if [ -n "${!var:-}" ]; then check_pg_url "${!var}"; fi
done
if [ -n "${PG_ADMIN_URL:-}" ]; then check_pg_url "$PG_ADMIN_URL"; fi

if [ "$need_local_pg" = 1 ]; then
    ensure_local_postgres
fi
if [ "${#remote_pg[@]}" -gt 0 ]; then
    for hp in $(printf '%s\n' "${remote_pg[@]}" | sort -u | tr ' ' ':'); do
        host="${hp%:*}"; port="${hp##*:}"
        say "postgresql: waiting for $host:$port"
        wait_for "postgresql at $host:$port" tcp_open "$host" "$port"
        say "postgresql: $host:$port is reachable"
    done
fi

# ------------------------------------------------------------------ RabbitMQ

rabbit_local_ready() { tcp_open 127.0.0.1 5672; }

ensure_local_rabbitmq() {
    if rabbit_local_ready; then
        say "rabbitmq: accepting connections on 127.0.0.1:5672"
        return
    fi
    if ! have rabbitmq-server; then
        apt_install rabbitmq-server
    fi
    if ! rabbit_local_ready; then
        say "rabbitmq: starting"
        as_root rabbitmq-server -detached >/dev/null 2>&1 \
            || say "rabbitmq: rabbitmq-server -detached failed; waiting anyway"
    fi
    wait_for "rabbitmq on 127.0.0.1:5672" rabbit_local_ready
    say "rabbitmq: accepting connections on 127.0.0.1:5672"
}

AMQP="${AMQP_URI:-pyamqp://guest:guest@127.0.0.1:5672/}"
read -r amqp_host amqp_port <<<"$(host_port "$AMQP" 5672)"
if is_local "$amqp_host" "$amqp_port" 5672; then
    ensure_local_rabbitmq
    rabbit_is_local=1
else
    say "rabbitmq: waiting for $amqp_host:$amqp_port"
    wait_for "rabbitmq at $amqp_host:$amqp_port" tcp_open "$amqp_host" "$amqp_port"
    say "rabbitmq: $amqp_host:$amqp_port is reachable"
    rabbit_is_local=0
fi

API="${RABBIT_API_URI:-http://guest:guest@127.0.0.1:15672}"
API="${API%/}"
read -r api_host api_port <<<"$(host_port "$API" 15672)"
if is_local "$api_host" "$api_port" 15672 && [ "$rabbit_is_local" = 1 ]; then
    if ! http_ok "$API/api/overview"; then
        say "rabbitmq: enabling the management plugin"
        as_root rabbitmq-plugins enable rabbitmq_management >/dev/null \
            || die "rabbitmq-plugins enable rabbitmq_management failed"
    fi
    wait_for "the RabbitMQ management API at $api_host:$api_port (/api/overview, with the RABBIT_API_URI credentials, default guest:guest)" \
        http_ok "$API/api/overview"
    say "rabbitmq: management API answers on $api_host:$api_port"
elif [ -z "${RABBIT_API_URI:-}" ]; then
    say "rabbitmq: AMQP_URI is remote and RABBIT_API_URI is not set; not checking the management API"
else
    say "rabbitmq: waiting for the management API at $api_host:$api_port"
    wait_for "the RabbitMQ management API at $api_host:$api_port" http_ok "$API/api/overview"
    say "rabbitmq: management API answers on $api_host:$api_port"
fi

say "ready"
