#!/usr/bin/env bash
# `make fuzz` (run by `make test`): the OpenAPI-driven fuzzer Schemathesis against each service's own
# /openapi.json, with the real binaries (APP_ENV=prod) and a real redis-server on free ports.
# Every answer must be documented: no 5xx, a documented status and content type, a body that matches
# the documented schema, documented headers. Authenticated routes get a real access token and the
# internal token (scripts/schemathesis.toml). Bounded: FUZZ_SECONDS per service (default 50, so about
# three minutes in all with start-up); a fixed seed, so a run can be repeated (FUZZ_SEED).
#
# Needs the binaries in ${CARGO_TARGET_DIR:-target}/debug (`cargo build --workspace --bins`), redis-server,
# curl, and python3 with venv; Schemathesis is installed from PyPI, pinned in scripts/fuzz-requirements.txt,
# into .venv-fuzz/ (or $FUZZ_VENV), reused while that file is unchanged.
#
# To dig into one finding: FUZZ_SERVICES=token FUZZ_ARGS="--include-path /token/revoke --report har"
# ./scripts/fuzz.sh (the services, and any further `st run` options).
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in redis-server curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required" >&2; exit 1; }
done

VENV="${FUZZ_VENV:-.venv-fuzz}"
REQUIREMENTS=scripts/fuzz-requirements.txt
seconds="${FUZZ_SECONDS:-50}"
seed="${FUZZ_SEED:-20261130}"
bin_dir="${CARGO_TARGET_DIR:-target}/debug"
for name in authn-service token-service session-service; do
    [[ -x "$bin_dir/$name" ]] || { echo "error: $bin_dir/$name not found; run \`cargo build --workspace --bins\`" >&2; exit 1; }
done

if [ ! -x "$VENV/bin/pip" ]; then
    if ! python3 -m venv "$VENV"; then
        # Debian's python3 ships venv separately; as root (CI) install it, else say what is missing.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            rm -rf "$VENV"
            apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
            python3 -m venv "$VENV"
        else
            echo "error: python3 with its venv module is needed (Debian: apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
fi
if ! cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/.requirements"
fi

# shellcheck source=lib/local-processes.sh
source scripts/lib/local-processes.sh

redis_port=$(free_port)
authn_port=$(free_port)
token_port=$(free_port)
session_port=$(free_port)
internal_token="fuzz-internal-token-$(date +%s%N)-0123456789abcdef"

start_redis "$redis_port"
"$bin_dir/token-service" keys generate --algorithm EdDSA >"$work_dir/key.pem"

export APP_ENV=prod RUST_LOG=warn INTERNAL_API_TOKEN="$internal_token"
# Cheap password hashes (the fuzzer registers and logs in a lot; argon2's cost is not under test),
# open registration, and no rate limit or lockout to hide the routes behind 429s.
LISTEN_ADDR="127.0.0.1:$authn_port" REDIS_URL="redis://127.0.0.1:$redis_port" \
    TOKEN_SERVICE_URL="http://127.0.0.1:$token_port" ALLOW_REGISTRATION=true \
    ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1 LOGIN_MAX_FAILURES=1000000 RATE_LIMIT_PER_MINUTE=0 \
    "$bin_dir/authn-service" >"$work_dir/authn.log" 2>&1 &
pids+=($!)
LISTEN_ADDR="127.0.0.1:$token_port" SESSION_SERVICE_URL="http://127.0.0.1:$session_port" \
    JWT_PRIVATE_KEY_FILE="$work_dir/key.pem" "$bin_dir/token-service" >"$work_dir/token.log" 2>&1 &
pids+=($!)
LISTEN_ADDR="127.0.0.1:$session_port" REDIS_URL="redis://127.0.0.1:$redis_port" \
    JWKS_URL="http://127.0.0.1:$token_port/.well-known/jwks.json" "$bin_dir/session-service" >"$work_dir/session.log" 2>&1 &
pids+=($!)

wait_ready "$authn_port" "$token_port" "$session_port"

# A real user and a real login: the access token the `bearer` scheme gets.
password="fuzz-password-$(date +%s%N)"
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$authn_port/register" -H 'Content-Type: application/json' \
    -d "{\"username\":\"fuzzer\",\"password\":\"$password\"}"
access_token() {
    curl -fsS -X POST "http://127.0.0.1:$authn_port/login" -H 'Content-Type: application/json' \
        -d "{\"username\":\"fuzzer\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
# Two sessions: one for the routes that read it, one for logout, which ends it (scripts/schemathesis.toml).
export FUZZ_ACCESS_TOKEN FUZZ_LOGOUT_ACCESS_TOKEN
FUZZ_ACCESS_TOKEN=$(access_token)
FUZZ_LOGOUT_ACCESS_TOKEN=$(access_token)

failed=()
passed=0
declare -A ports=([authn]="$authn_port" [token]="$token_port" [session]="$session_port")
read -r -a extra_args <<<"${FUZZ_ARGS:-}"
for service in ${FUZZ_SERVICES:-authn token session}; do
    port="${ports[$service]}"
    echo "== schemathesis: $service (${seconds}s)"
    if ! "$VENV/bin/st" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
        --phases examples,coverage,fuzzing --max-time "$seconds" --seed "$seed" --workers 1 \
        --request-timeout 10 --max-redirects 0 --exclude-path /metrics --exclude-path-regex '^/docs/' \
        --suppress-health-check all --no-color "${extra_args[@]}"; then
        failed+=("$service")
        echo "---- $service's log (last 40 lines)"
        tail -n 40 "$work_dir/$service.log"
    else
        passed=$((passed + 1))
    fi
done

# One line per service run, in the plain form CI reads.
echo "fuzz: $passed passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: answers not as documented from ${failed[*]} (see above)" >&2
    exit 1
fi
