#!/usr/bin/env bash
# `make bench`, two measurements, each against release builds with Redis; results go to bench-results/.
#
# 1. Throughput of the session service's hot path (`GET /session/verify` with a live session in Redis)
#    against a bare actix request of the same process (`GET /healthz`), measured in the same run on the
#    same machine, and reported as a ratio.
# 2. A login flood on authn (`POST /login` with the right password, BENCH_LOGIN_CONNECTIONS=64
#    connections for BENCH_LOGIN_DURATION=60s, default argon2 settings): authn's peak RSS (VmHWM) during
#    the flood, login req/s, and that throughput as a share of the argon2 ceiling (hashes/s of bare
#    argon2 on as many threads as authn hashes on: authn-service's `argon2-ceiling` binary) measured in
#    the same run.
#    The target is a peak RSS of at most 128 MiB (authn's Kubernetes limit is 256 MiB).
#
# BENCH_BIN_DIR runs the binaries of another build (e.g. an older commit's, to compare) instead of
# building this checkout. Needs wrk and redis-server (Debian packages `wrk`, `redis-server`). Everything
# runs on 127.0.0.1.
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in wrk redis-server curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required (apt-get install -y $tool)" >&2; exit 1; }
done

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-32}"
login_duration="${BENCH_LOGIN_DURATION:-60s}"
login_connections="${BENCH_LOGIN_CONNECTIONS:-64}"
if [ -n "${BENCH_BIN_DIR:-}" ]; then
    bin_dir="$BENCH_BIN_DIR"
else
    bin_dir="${CARGO_TARGET_DIR:-target}/release"
    cargo build --release --bins -p token-service -p session-service -p authn-service
fi

# shellcheck source=lib/local-processes.sh
source scripts/lib/local-processes.sh

redis_port=$(free_port)
token_port=$(free_port)
session_port=$(free_port)
authn_port=$(free_port)
internal_token="bench-internal-token-$(date +%s%N)-0123456789abcdef"

start_redis "$redis_port"
"$bin_dir/token-service" keys generate --algorithm EdDSA >"$work_dir/key.pem"

export APP_ENV=prod RUST_LOG=error INTERNAL_API_TOKEN="$internal_token"
LISTEN_ADDR="127.0.0.1:$token_port" SESSION_SERVICE_URL="http://127.0.0.1:$session_port" \
    JWT_PRIVATE_KEY_FILE="$work_dir/key.pem" "$bin_dir/token-service" >"$work_dir/token.log" 2>&1 &
pids+=($!)
LISTEN_ADDR="127.0.0.1:$session_port" REDIS_URL="redis://127.0.0.1:$redis_port" \
    JWKS_URL="http://127.0.0.1:$token_port/.well-known/jwks.json" "$bin_dir/session-service" >"$work_dir/session.log" 2>&1 &
pids+=($!)
# authn with its default argon2 settings; registration is open for the bench users, and loopback is a
# trusted proxy so that the flood can come from many client addresses (X-Forwarded-For).
LISTEN_ADDR="127.0.0.1:$authn_port" REDIS_URL="redis://127.0.0.1:$redis_port" ALLOW_REGISTRATION=true \
    TRUSTED_PROXIES=127.0.0.1/32 \
    TOKEN_SERVICE_URL="http://127.0.0.1:$token_port" "$bin_dir/authn-service" >"$work_dir/authn.log" 2>&1 &
authn_pid=$!
pids+=($authn_pid)

wait_ready "$token_port" "$session_port" "$authn_port"

# User ids are UUIDs (the token service refuses anything else).
user_id=$(cat /proc/sys/kernel/random/uuid)
tokens=$(curl -fsS -X POST "http://127.0.0.1:$token_port/internal/tokens" \
    -H "Authorization: Bearer $internal_token" -H 'Content-Type: application/json' \
    -d "{\"user_id\":\"$user_id\",\"username\":\"bench\",\"amr\":[\"pwd\"]}")
access=$(echo "$tokens" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -fsS -o /dev/null -H "Authorization: Bearer $access" "http://127.0.0.1:$session_port/session/verify"

requests_per_second() {
    wrk -t1 -c"$connections" -d"$duration" "$@" | tee -a "$work_dir/wrk.log" | awk '/Requests\/sec/ {print $2}'
}

echo "warming up"
requests_per_second "http://127.0.0.1:$session_port/healthz" >/dev/null
baseline=$(requests_per_second "http://127.0.0.1:$session_port/healthz")
verify=$(requests_per_second -H "Authorization: Bearer $access" "http://127.0.0.1:$session_port/session/verify")
non_2xx=$(grep -c "Non-2xx" "$work_dir/wrk.log" || true)
ratio=$(awk -v a="$verify" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }')

mkdir -p bench-results
result="bench-results/session-verify-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "machine: $(nproc) cores; wrk -t1 -c$connections -d$duration; redis-server, wrk and the service share the machine"
    echo "baseline GET /healthz: $baseline req/s"
    echo "GET /session/verify (EdDSA, Redis): $verify req/s"
    echo "ratio verify/baseline: $ratio"
    echo "wrk runs with non-2xx answers: $non_2xx"
} | tee "$result"
echo "written to $result"

# --- 2. Login flood on authn -------------------------------------------------------------------------
# Right-password logins of 64 users from ever new client addresses, as a credential-stuffing run looks
# to the service: the lockout allows only LOGIN_MAX_FAILURES logins in flight per username and per
# address, so one user from one address would mostly measure 429s.
status_field() { awk -v field="$1:" '$1 == field {print $2}' "/proc/$authn_pid/status"; }
rss_before_kib=$(status_field VmRSS)
password="bench password $(date +%s%N)"
users=64
for n in $(seq 0 $((users - 1))); do
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$authn_port/register" -H 'Content-Type: application/json' \
        -H "X-Forwarded-For: 10.255.0.$n" -d "{\"username\":\"bench$n\",\"password\":\"$password\"}"
done
cat >"$work_dir/login.lua" <<LUA
-- wrk threads each get an id and half of the users; every request comes from a new address.
local threads = 0
function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end
local sent = 0
function request()
    sent = sent + 1
    local per_thread = $users / 2
    local user = id * per_thread + sent % per_thread
    local address = string.format("10.%d.%d.%d", id, math.floor(sent / 250) % 250, sent % 250)
    local body = string.format('{"username":"bench%d","password":"$password"}', user)
    return wrk.format("POST", "/login", { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = address }, body)
end
LUA
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$authn_port/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench0\",\"password\":\"$password\"}"

# The ceiling is measured just before and just after the flood and averaged: the machine may be
# shared, and its load drifts.
argon2_ceiling() { CEILING_SECONDS=10 "$bin_dir/argon2-ceiling" | awk -F= '/^hashes_per_second=/ {print $2}'; }
echo "argon2 ceiling: bare argon2 for 10 s"
ceiling_before=$(argon2_ceiling)
echo "login flood: wrk -c$login_connections -d$login_duration POST /login"
# Waiting for a hashing permit can take seconds under 64 connections: wrk's 2 s default would count
# those answers as timeouts.
wrk -t2 -c"$login_connections" -d"$login_duration" --timeout 10s -s "$work_dir/login.lua" \
    "http://127.0.0.1:$authn_port/login" >"$work_dir/login-wrk.log"
cat "$work_dir/login-wrk.log"
echo "argon2 ceiling again: bare argon2 for 10 s"
ceiling_after=$(argon2_ceiling)
ceiling=$(awk -v a="$ceiling_before" -v b="$ceiling_after" 'BEGIN { printf "%.1f", (a + b) / 2 }')
logins=$(awk '/Requests\/sec/ {print $2}' "$work_dir/login-wrk.log")
login_errors=$(awk '/Non-2xx/ {print $5} /Socket errors/ {print $0}' "$work_dir/login-wrk.log" | tr '\n' ' ')
peak_kib=$(status_field VmHWM)
threads=$(status_field Threads)
peak_mib=$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')
share=$(awk -v a="$logins" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')

login_result="bench-results/authn-login-flood-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); binaries: $bin_dir"
    echo "machine: $(nproc) cores; wrk -t2 -c$login_connections -d$login_duration POST /login (right password,"
    echo "  $users users, a new X-Forwarded-For address per request);"
    echo "  authn, token, session, redis-server and wrk share the machine; default ARGON2_* settings"
    echo "authn RSS before registering the bench users: $(awk -v k="$rss_before_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
    echo "authn peak RSS (VmHWM) during the flood: $peak_mib MiB (target <= 128 MiB)"
    echo "authn threads after the flood: $threads"
    echo "login throughput: $logins req/s"
    echo "argon2 ceiling (bare argon2, same threads and settings, same run): $ceiling hashes/s" \
        "(before the flood $ceiling_before, after $ceiling_after)"
    echo "login throughput / argon2 ceiling: $share"
    echo "non-2xx or socket errors: ${login_errors:-none}"
} | tee "$login_result"
echo "written to $login_result"
