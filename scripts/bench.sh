#!/usr/bin/env bash
# `make bench`: throughput of the session service's hot path (`GET /session/verify` with a live session
# in Redis) against a bare actix request of the same process (`GET /healthz`), measured in the same run
# on the same machine, and reported as a ratio. Results go to bench-results/.
#
# Needs wrk and redis-server (Debian packages `wrk`, `redis-server`). Everything runs on 127.0.0.1.
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in wrk redis-server curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required (apt-get install -y $tool)" >&2; exit 1; }
done

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-32}"
bin_dir="${CARGO_TARGET_DIR:-target}/release"
cargo build --release --bins -p token-service -p session-service

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12000))
        (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

redis_port=$(free_port)
token_port=$(free_port)
session_port=$(free_port)
internal_token="bench-internal-token-$(date +%s%N)-0123456789abcdef"
work_dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work_dir"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work_dir/redis.log" 2>&1 &
pids+=($!)
"$bin_dir/token-service" keys generate --algorithm EdDSA >"$work_dir/key.pem"

export APP_ENV=prod RUST_LOG=error INTERNAL_API_TOKEN="$internal_token"
LISTEN_ADDR="127.0.0.1:$token_port" SESSION_SERVICE_URL="http://127.0.0.1:$session_port" \
    JWT_PRIVATE_KEY_FILE="$work_dir/key.pem" "$bin_dir/token-service" >"$work_dir/token.log" 2>&1 &
pids+=($!)
LISTEN_ADDR="127.0.0.1:$session_port" REDIS_URL="redis://127.0.0.1:$redis_port" \
    JWKS_URL="http://127.0.0.1:$token_port/.well-known/jwks.json" "$bin_dir/session-service" >"$work_dir/session.log" 2>&1 &
pids+=($!)

for port in "$token_port" "$session_port"; do
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
        sleep 0.1
    done
done

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
