#!/usr/bin/env bash
# `make bench`: every hot path of the three services, measured in one run on release builds, with
# Redis and the services started here; a Markdown table goes to bench-results/ and the ratios to stdout.
#
# Each route runs at BENCH_CONNECTIONS=64 connections (wrk -t2) for BENCH_DURATION=10s after a 2 s
# warm-up, BENCH_ROUNDS=2 rounds, and is divided by the `/healthz` of the process that serves it,
# measured in the same round (a bare actix request through the same middleware):
#
#   GET  /session/verify      >= 0.6 of session's /healthz, p99 <= 2 ms
#   GET  /session/status      >= 0.6 of session's /healthz
#   POST /token/introspect    >= 0.2 of token's /healthz (an access token, the internal API token)
#   POST /token/refresh       >= 0.15 of token's /healthz; every answer's refresh token is the next
#                             request's on that chain (a refresh token is single-use), 64 chains
#   POST /login               >= 0.9 of the argon2 ceiling: right-password logins of 64 users from ever
#                             new client addresses for BENCH_LOGIN_DURATION=60s, against bare argon2 on
#                             as many threads (authn-service's `argon2-ceiling`) measured before and
#                             after; authn's peak RSS during it (<= 128 MiB), and the latency of
#                             `/session/verify` during it (a light probe, 2 connections, 10 ms apart)
#
# Also: start-up time to ready of each service, peak RSS of each, Redis bytes per session (used_memory
# over 1,000 sessions), and CPU time per request of every process (from /proc, for each route).
#
# BENCH_BIN_DIR runs the binaries of another build (e.g. an older commit's, to compare) instead of
# building this checkout; BENCH_RUST_LOG sets the services' RUST_LOG (default: theirs, info). Needs wrk,
# redis-server, redis-cli and curl (Debian packages `wrk`,
# `redis-server`, `curl`). Everything runs on 127.0.0.1; services, Redis and wrk share the machine.
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in wrk redis-server redis-cli curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required (apt-get install -y ${tool/redis-cli/redis-tools})" >&2; exit 1; }
done

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-64}"
rounds="${BENCH_ROUNDS:-2}"
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
token_url="http://127.0.0.1:$token_port"
session_url="http://127.0.0.1:$session_port"
authn_url="http://127.0.0.1:$authn_port"

start_redis "$redis_port"
redis_pid=${pids[-1]}
"$bin_dir/token-service" keys generate --algorithm EdDSA >"$work_dir/key.pem"
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

# --- Start-up: the three services launched together, each timed to its first 200 from /readyz -------
export APP_ENV=prod INTERNAL_API_TOKEN="$internal_token"
# The services log as deployed (RUST_LOG=info, JSON lines) unless BENCH_RUST_LOG says otherwise.
if [ -n "${BENCH_RUST_LOG:-}" ]; then export RUST_LOG="$BENCH_RUST_LOG"; else unset RUST_LOG; fi
launched_ns=$(date +%s%N)
LISTEN_ADDR="127.0.0.1:$token_port" SESSION_SERVICE_URL="$session_url" \
    JWT_PRIVATE_KEY_FILE="$work_dir/key.pem" "$bin_dir/token-service" >"$work_dir/token.log" 2>&1 &
token_pid=$!
pids+=($token_pid)
LISTEN_ADDR="127.0.0.1:$session_port" REDIS_URL="redis://127.0.0.1:$redis_port" \
    JWKS_URL="$token_url/.well-known/jwks.json" "$bin_dir/session-service" >"$work_dir/session.log" 2>&1 &
session_pid=$!
pids+=($session_pid)
# authn with its default argon2 settings; registration is open for the bench users, and loopback is a
# trusted proxy so that the flood can come from many client addresses (X-Forwarded-For).
LISTEN_ADDR="127.0.0.1:$authn_port" REDIS_URL="redis://127.0.0.1:$redis_port" ALLOW_REGISTRATION=true \
    TRUSTED_PROXIES=127.0.0.1/32 TOKEN_SERVICE_URL="$token_url" \
    "$bin_dir/authn-service" >"$work_dir/authn.log" 2>&1 &
authn_pid=$!
pids+=($authn_pid)

# Each service polled on its own, so that one slow answer does not delay the others' timing.
declare -A ready_ms=()
for service in token session authn; do
    port_var="${service}_port"
    (
        for _ in $(seq 1 1500); do
            if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${!port_var}/readyz" 2>/dev/null; then
                echo $((($(date +%s%N) - launched_ns) / 1000000)) >"$work_dir/$service.ready"
                break
            fi
            sleep 0.01
        done
    ) &
done
wait_ready "$token_port" "$session_port" "$authn_port"
for service in token session authn; do
    for _ in $(seq 1 200); do [ -s "$work_dir/$service.ready" ] && break; sleep 0.01; done
    ready_ms[$service]=$(cat "$work_dir/$service.ready" 2>/dev/null || echo "?")
done

# --- Fixtures ---------------------------------------------------------------------------------------
# mint N: N sessions of new users (user ids are UUIDs), through one curl process; their token responses
# on stdout, a line each.
mint() {
    local n
    for n in $(seq 1 "$1"); do
        [ "$n" = 1 ] || echo "next"
        echo "url = \"$token_url/internal/tokens\""
        echo "header = \"Authorization: Bearer $internal_token\""
        echo "header = \"Content-Type: application/json\""
        echo "data = \"{\\\"user_id\\\":\\\"$(cat /proc/sys/kernel/random/uuid)\\\",\\\"username\\\":\\\"bench\\\",\\\"amr\\\":[\\\"pwd\\\"]}\""
        echo "write-out = \"\\n\""
    done >"$work_dir/mint.curl"
    curl -fsS -K "$work_dir/mint.curl"
}
json_field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
access=$(mint 1 | json_field access_token)
curl -fsS -o /dev/null -H "Authorization: Bearer $access" "$session_url/session/verify"

cat >"$work_dir/introspect.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"token":"$access"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $internal_token"
LUA

# refresh_script: a wrk script whose threads each own fresh refresh tokens, as a queue: a request takes
# the oldest, its answer's new refresh token joins the back, so every chain has one request in flight.
# wrk asks for two requests per connection as it opens it and sends one: a thread gets two tokens per
# connection and some to spare, and the chains whose token was never sent are merely idle.
refresh_script() {
    local per_thread=$((connections + 8)) thread
    {
        echo "local chains = {"
        for thread in 0 1; do
            echo "  {"
            mint "$per_thread" | json_field refresh_token | sed 's/.*/    "&",/'
            echo "  },"
        done
        echo "}"
        cat <<'LUA'
local threads = 0
function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end
local queue, head, tail
function init(args)
    queue = {}
    for i, token in ipairs(chains[id + 1]) do queue[i] = token end
    head, tail = 1, #queue + 1
end
function request()
    local token = queue[head] or "the-chain-broke"
    queue[head] = nil
    head = head + 1
    return wrk.format("POST", "/token/refresh", { ["Content-Type"] = "application/json" },
        '{"refresh_token":"' .. token .. '"}')
end
-- A plain find and a slice rather than a pattern: wrk shares the cores with the services, and a pattern
-- match over every answer (the access token comes first) is CPU taken from them.
local field = '"refresh_token":"'
function response(status, headers, body)
    if status ~= 200 then return end
    local _, value_before = string.find(body, field, 1, true)
    if not value_before then return end
    local value_end = string.find(body, '"', value_before + 1, true)
    if value_end then
        queue[tail] = string.sub(body, value_before + 1, value_end - 1)
        tail = tail + 1
    end
end
LUA
    } >"$work_dir/refresh.lua"
}

# --- Measuring --------------------------------------------------------------------------------------
# CPU ticks (user + system) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)
processes=(session token authn redis)
declare -A pid_of=([session]=$session_pid [token]=$token_pid [authn]=$authn_pid [redis]=$redis_pid)

# A wrk latency percentile ("50%  312.00us") in milliseconds.
percentile_ms() {
    awk -v p="$1%" '$1 == p {
        v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        f = (unit == "us") ? 0.001 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : 1
        printf "%.2f", v * f }' "$2"
}

rows=()
declare -A rate_of=()
# measure LABEL KEY BASELINE_KEY URL [wrk args...]: a warm-up, then the measured run; a table row.
measure() {
    local label=$1 key=$2 baseline_key=$3 url=$4
    shift 4
    local log="$work_dir/$key.log" process cpu_cells="" ratio="" before_ticks=() requests rate
    # A refresh chain ends with the wrk run that holds it: the measured run gets fresh ones.
    [ "$key" != refresh ] || refresh_script
    wrk -t2 -c"$connections" -d2s "$@" "$url" >/dev/null
    [ "$key" != refresh ] || refresh_script
    for process in "${processes[@]}"; do before_ticks+=("$(cpu_ticks "${pid_of[$process]}")"); done
    wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$url" >"$log"
    requests=$(awk '/requests in/ {print $1}' "$log")
    rate=$(awk '/Requests\/sec/ {print $2}' "$log")
    local i=0
    for process in "${processes[@]}"; do
        cpu_cells+=" $(awk -v a="${before_ticks[$i]}" -v b="$(cpu_ticks "${pid_of[$process]}")" -v n="$requests" \
            -v hz="$ticks_per_second" 'BEGIN { printf "%.0f", (b - a) / hz * 1e6 / n }') |"
        i=$((i + 1))
    done
    rate_of[$key]=$rate
    if [ -n "$baseline_key" ]; then
        ratio=$(awk -v a="$rate" -v b="${rate_of[$baseline_key]}" 'BEGIN { printf "%.2f", a / b }')
    fi
    local errors
    errors=$(awk '/Non-2xx/ {n += $5} /Socket errors/ {n += $4 + $6 + $8 + $10} END {print n + 0}' "$log")
    rows+=("| $round | $label | $(printf '%.0f' "$rate") | ${ratio:-1} | $(percentile_ms 50 "$log") | $(percentile_ms 99 "$log") |$cpu_cells $errors |")
    echo "round $round: $label: $(printf '%.0f' "$rate") req/s, ratio ${ratio:-1}, p50 $(percentile_ms 50 "$log") ms, p99 $(percentile_ms 99 "$log") ms, errors $errors"
}

declare -A ratios=()
for round in $(seq 1 "$rounds"); do
    measure "session GET /healthz" session_healthz "" "$session_url/healthz"
    measure "GET /session/verify" verify session_healthz "$session_url/session/verify" -H "Authorization: Bearer $access"
    ratios[$round,verify]=$(awk -v a="${rate_of[verify]}" -v b="${rate_of[session_healthz]}" 'BEGIN { printf "%.2f", a / b }')
    ratios[$round,verify_p99]=$(percentile_ms 99 "$work_dir/verify.log")
    measure "GET /session/status" status session_healthz "$session_url/session/status" -H "Authorization: Bearer $access"
    ratios[$round,status]=$(awk -v a="${rate_of[status]}" -v b="${rate_of[session_healthz]}" 'BEGIN { printf "%.2f", a / b }')
    measure "token GET /healthz" token_healthz "" "$token_url/healthz"
    measure "POST /token/introspect" introspect token_healthz "$token_url/token/introspect" -s "$work_dir/introspect.lua"
    ratios[$round,introspect]=$(awk -v a="${rate_of[introspect]}" -v b="${rate_of[token_healthz]}" 'BEGIN { printf "%.2f", a / b }')
    measure "POST /token/refresh (chained)" refresh token_healthz "$token_url/token/refresh" -s "$work_dir/refresh.lua"
    ratios[$round,refresh]=$(awk -v a="${rate_of[refresh]}" -v b="${rate_of[token_healthz]}" 'BEGIN { printf "%.2f", a / b }')
done

# --- Redis bytes per session ------------------------------------------------------------------------
used_memory() { redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory:/ {print $2 + 0}'; }
sessions=1000
memory_before=$(used_memory)
mint "$sessions" >/dev/null
memory_after=$(used_memory)
bytes_per_session=$(((memory_after - memory_before) / sessions))

# --- Login flood ------------------------------------------------------------------------------------
# Right-password logins of 64 users from ever new client addresses, as a credential-stuffing run looks
# to the service: the lockout allows only LOGIN_MAX_FAILURES logins in flight per username and per
# address, so one user from one address would mostly measure 429s.
status_field() { awk -v field="$2:" '$1 == field {print $2}' "/proc/$1/status"; }
authn_rss_before_kib=$(status_field "$authn_pid" VmRSS)
password="bench password $(date +%s%N)"
users=64
for n in $(seq 0 $((users - 1))); do
    curl -fsS -o /dev/null -X POST "$authn_url/register" -H 'Content-Type: application/json' \
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
echo 'function delay() return 10 end' >"$work_dir/probe.lua"
curl -fsS -o /dev/null -X POST "$authn_url/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench0\",\"password\":\"$password\"}"

# The ceiling is measured just before and just after the flood and averaged: the machine may be
# shared, and its load drifts.
argon2_ceiling() { CEILING_SECONDS=10 "$bin_dir/argon2-ceiling" | awk -F= '/^hashes_per_second=/ {print $2}'; }
echo "argon2 ceiling: bare argon2 for 10 s"
ceiling_before=$(argon2_ceiling)
echo "login flood: wrk -t2 -c$login_connections -d$login_duration POST /login, /session/verify probed meanwhile"
login_seconds=${login_duration%s}
(sleep 5 && wrk -t1 -c2 -d"$((login_seconds - 10))s" --latency -s "$work_dir/probe.lua" \
    -H "Authorization: Bearer $access" "$session_url/session/verify" >"$work_dir/probe-wrk.log") &
probe_pid=$!
flood_ticks_before=()
for process in "${processes[@]}"; do flood_ticks_before+=("$(cpu_ticks "${pid_of[$process]}")"); done
# Waiting for a hashing permit can take seconds under 64 connections: wrk's 2 s default would count
# those answers as timeouts.
wrk -t2 -c"$login_connections" -d"$login_duration" --timeout 10s --latency -s "$work_dir/login.lua" \
    "$authn_url/login" >"$work_dir/login-wrk.log"
flood_cpu=""
i=0
for process in "${processes[@]}"; do
    flood_cpu+="$process $(awk -v a="${flood_ticks_before[$i]}" -v b="$(cpu_ticks "${pid_of[$process]}")" \
        -v n="$(awk '/requests in/ {print $1}' "$work_dir/login-wrk.log")" -v hz="$ticks_per_second" \
        'BEGIN { printf "%.0f", (b - a) / hz * 1e6 / n }') us, "
    i=$((i + 1))
done
wait "$probe_pid"
echo "argon2 ceiling again: bare argon2 for 10 s"
ceiling_after=$(argon2_ceiling)
ceiling=$(awk -v a="$ceiling_before" -v b="$ceiling_after" 'BEGIN { printf "%.1f", (a + b) / 2 }')
logins=$(awk '/Requests\/sec/ {print $2}' "$work_dir/login-wrk.log")
login_errors=$(awk '/Non-2xx/ {n += $5} /Socket errors/ {n += $4 + $6 + $8 + $10} END {print n + 0}' "$work_dir/login-wrk.log")
login_share=$(awk -v a="$logins" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')
authn_peak_mib=$(awk -v k="$(status_field "$authn_pid" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
probe_errors=$(awk '/Non-2xx/ {n += $5} /Socket errors/ {n += $4 + $6 + $8 + $10} END {print n + 0}' "$work_dir/probe-wrk.log")

# --- Report -----------------------------------------------------------------------------------------
mib() { awk -v k="$(status_field "$1" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = (dir == "min") ? v + 0 >= t : v + 0 <= t; print ok ? "met" : "NOT MET" }'; }
mkdir -p bench-results
result="bench-results/bench-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "# make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), binaries $bin_dir;" \
        "$(nproc) cores; wrk -t2 -c$connections -d$duration after a 2 s warm-up, $rounds rounds;" \
        "RUST_LOG=${RUST_LOG:-info} (JSON logs);" \
        "the services, redis-server and wrk share the machine. CPU is per request, in microseconds" \
        "of user + system time of each process."
    echo
    echo "| round | route | req/s | ratio | p50 ms | p99 ms | CPU session | CPU token | CPU authn | CPU redis | errors |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Ratios are against the \`/healthz\` of the process serving the route, in the same round."
    echo
    echo "## Targets"
    echo
    echo "| target | round | value | |"
    echo "|---|---|---|---|"
    for round in $(seq 1 "$rounds"); do
        echo "| verify >= 0.6 of /healthz | $round | ${ratios[$round,verify]} | $(verdict "${ratios[$round,verify]}" 0.6 min) |"
        echo "| verify p99 <= 2 ms | $round | ${ratios[$round,verify_p99]} ms | $(verdict "${ratios[$round,verify_p99]}" 2 max) |"
        echo "| status >= 0.6 of /healthz | $round | ${ratios[$round,status]} | $(verdict "${ratios[$round,status]}" 0.6 min) |"
        echo "| introspect >= 0.2 of /healthz | $round | ${ratios[$round,introspect]} | $(verdict "${ratios[$round,introspect]}" 0.2 min) |"
        echo "| refresh >= 0.15 of /healthz | $round | ${ratios[$round,refresh]} | $(verdict "${ratios[$round,refresh]}" 0.15 min) |"
    done
    echo "| login >= 0.9 of the argon2 ceiling | | $login_share | $(verdict "$login_share" 0.9 min) |"
    echo "| authn peak RSS <= 128 MiB | | $authn_peak_mib MiB | $(verdict "$authn_peak_mib" 128 max) |"
    echo
    echo "## Login flood"
    echo
    echo "wrk -t2 -c$login_connections -d$login_duration POST /login, right password, $users users, a new"
    echo "X-Forwarded-For address per request; default ARGON2_* settings."
    echo
    echo "| measurement | value |"
    echo "|---|---|"
    echo "| logins/s | $logins |"
    echo "| argon2 ceiling (bare argon2, same threads and settings) | $ceiling hashes/s (before $ceiling_before, after $ceiling_after) |"
    echo "| logins / ceiling | $login_share |"
    echo "| login p50 / p99 | $(percentile_ms 50 "$work_dir/login-wrk.log") ms / $(percentile_ms 99 "$work_dir/login-wrk.log") ms |"
    echo "| CPU per login | ${flood_cpu%, } |"
    echo "| non-2xx or socket errors | $login_errors |"
    echo "| authn RSS before the flood / peak (VmHWM) | $(awk -v k="$authn_rss_before_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB / $authn_peak_mib MiB |"
    echo "| /session/verify during the flood (2 connections, 10 ms apart) p50 / p99 | $(percentile_ms 50 "$work_dir/probe-wrk.log") ms / $(percentile_ms 99 "$work_dir/probe-wrk.log") ms, $probe_errors errors |"
    echo
    echo "## Processes"
    echo
    echo "| service | start-up to ready | peak RSS (VmHWM) |"
    echo "|---|---|---|"
    echo "| token | ${ready_ms[token]:-?} ms | $(mib "$token_pid") MiB |"
    echo "| session | ${ready_ms[session]:-?} ms | $(mib "$session_pid") MiB |"
    echo "| authn | ${ready_ms[authn]:-?} ms | $(mib "$authn_pid") MiB |"
    echo
    echo "Start-up is from launching the three together to each one's first 200 from \`/readyz\` (the"
    echo "peers and Redis must answer too), polled every 10 ms."
    echo
    echo "Redis bytes per session: $bytes_per_session (used_memory over $sessions sessions, each minted through"
    echo "\`POST /internal/tokens\`: the session hash fields, the user's LRU entry, a new user's keys)."
} >"$result"
cat "$result"
echo
echo "ratios:"
for round in $(seq 1 "$rounds"); do
    echo "  round $round: verify ${ratios[$round,verify]} (p99 ${ratios[$round,verify_p99]} ms)," \
        "status ${ratios[$round,status]}, introspect ${ratios[$round,introspect]}, refresh ${ratios[$round,refresh]}"
done
echo "  login ${login_share} of the argon2 ceiling; authn peak RSS $authn_peak_mib MiB"
echo "written to $result"
