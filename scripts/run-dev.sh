#!/usr/bin/env bash
# Runs the three services from target/debug with APP_ENV=dev on their default ports
# (authn 8081, token 8082, session 8083) until Ctrl-C, then stops all three. Used by `make run`.
set -euo pipefail

cd "$(dirname "$0")/.."
bin_dir="${CARGO_TARGET_DIR:-target}/debug"
export APP_ENV=dev
export RUST_LOG="${RUST_LOG:-info}"

for name in token-service session-service authn-service; do
    if [[ ! -x "$bin_dir/$name" ]]; then
        echo "error: $bin_dir/$name not found; run \`cargo build --workspace --bins\` (or \`make run\`)" >&2
        exit 1
    fi
done

pids=()
stop_all() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    echo "stopped authn, token and session"
}
trap stop_all INT TERM EXIT

"$bin_dir/token-service" & pids+=($!)
"$bin_dir/session-service" & pids+=($!)
"$bin_dir/authn-service" & pids+=($!)

# Wait (up to ~15 s) until every service answers /healthz.
for port in 8082 8083 8081; do
    for _ in $(seq 1 150); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
done

cat <<'INFO'

auth platform (APP_ENV=dev, in-memory stores):
  authn    http://127.0.0.1:8081   (/register, /login, /oauth/...)
  token    http://127.0.0.1:8082   (/token/..., /.well-known/jwks.json)
  session  http://127.0.0.1:8083   (/session/...)

try:
  curl -s -X POST http://127.0.0.1:8081/register -H 'content-type: application/json' \
       -d '{"username":"alice","password":"correct horse"}'
  curl -s -X POST http://127.0.0.1:8081/login -H 'content-type: application/json' \
       -d '{"username":"alice","password":"correct horse"}'
  curl -s http://127.0.0.1:8083/session/status -H "authorization: Bearer $ACCESS_TOKEN"

Ctrl-C stops all three.
INFO

# Stop everything as soon as one service exits (or on Ctrl-C, through the trap).
wait -n "${pids[@]}" || true
echo "a service exited; stopping the others" >&2
