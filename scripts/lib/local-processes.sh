# Sourced by scripts/bench.sh and scripts/fuzz.sh: free loopback ports, a work dir and background
# processes that are all stopped (and the dir removed) when the script exits, a throwaway redis-server,
# and waiting for a service's /readyz. Needs bash, curl and redis-server.

# A port nothing on 127.0.0.1 listens on.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12000))
        (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

work_dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work_dir"
}
trap cleanup EXIT

# start_redis PORT: an empty redis-server without persistence, its log in the work dir.
start_redis() {
    redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no >"$work_dir/redis.log" 2>&1 &
    pids+=($!)
}

# wait_ready PORT...: waits up to 15 s for each service's /readyz; on a timeout prints the services'
# logs and fails.
wait_ready() {
    local port
    for port in "$@"; do
        for _ in $(seq 1 150); do
            curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
            sleep 0.1
        done
        curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || {
            echo "error: the service on port $port is not ready; its logs:" >&2
            tail -n 20 "$work_dir"/*.log >&2
            return 1
        }
    done
}
