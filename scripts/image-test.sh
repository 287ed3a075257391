#!/usr/bin/env bash
# Builds the three service images from deploy/docker/Dockerfile and runs the platform from them
# (`make test-images`; `make test` runs it wherever podman is installed, and .ci/run installs it):
#   - each image is built with podman from the Dockerfile's `prebuilt` path: the debug binaries that
#     `make test` has already built in $CARGO_TARGET_DIR/debug (compiling release binaries inside the
#     image takes ~10 minutes on 2 cores; a debug build is as good for a run test), on a Debian base
#     made from Debian's packages by mmdebstrap (no image registry is reachable from CI), imported once
#     and cached with podman's storage under $CARGO_TARGET_DIR/image-test;
#   - the test's own redis-server on a free port, then the three containers with --network host,
#     --read-only root filesystems and APP_ENV=prod, a real INTERNAL_API_TOKEN and the signing key
#     mounted read-only;
#   - each container's user is not root, its root filesystem refuses writes, each becomes ready, the
#     README's walk-through passes through them, and the image's HEALTHCHECK (the `healthcheck`
#     subcommand) passes while the service is up and fails against a port nobody serves.
# Everything it starts is removed on exit, pass or fail.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CACHE="$TARGET_DIR/image-test"
SERVICES=(authn token session)
BASE_IMAGE=localhost/auth-platform-base:bookworm

step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }
fail() { echo "image-test: FAIL: $*" >&2; exit 1; }

for tool in podman runc mmdebstrap redis-server curl openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH (Debian: apt-get install -y podman runc mmdebstrap redis-server curl openssl python3, or .ci/run)"
done
for service in "${SERVICES[@]}"; do
    [ -x "$TARGET_DIR/debug/$service-service" ] || fail "$TARGET_DIR/debug/$service-service is missing: run cargo build --workspace --bins first"
done

mkdir -p "$CACHE"
# What runs on these machines: the vfs storage driver, runc, cgroupfs, and no default ulimits (the
# defaults and crun's cgroup handling are refused in this sandbox). A private storage root keeps the
# test's images apart from anything else on the machine and lets the imported base persist.
printf '[containers]\ndefault_ulimits = []\n' > "$CACHE/containers.conf"
export CONTAINERS_CONF="$CACHE/containers.conf"
pod() {
    podman --root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver vfs --runtime runc \
        --cgroup-manager cgroupfs "$@"
}

# A build cut short (a timeout, Ctrl-C) leaves buildah's working containers in the storage: full copies
# of the image with vfs. Removed before building and again on exit.
remove_build_leftovers() {
    pod ps -a --external --format '{{.ID}} {{.Names}}' 2>/dev/null \
        | awk '$2 ~ /working-container$/ {print $1}' \
        | while read -r id; do pod rm -f "$id" >/dev/null 2>&1 || true; done
}

WORK="$(mktemp -d)"
SUFFIX="$$"
REDIS_PID=""
cleanup() {
    local status=$?
    for service in "${SERVICES[@]}"; do
        if [ "$status" != 0 ] && pod container exists "image-test-$service-$SUFFIX" 2>/dev/null; then
            echo "--- logs of $service (last 20 lines)" >&2
            pod logs --tail 20 "image-test-$service-$SUFFIX" >&2 || true
        fi
        pod rm -f -t 2 "image-test-$service-$SUFFIX" >/dev/null 2>&1 || true
    done
    # A build cut short leaves buildah's working containers (full copies, with vfs) in the storage.
    remove_build_leftovers
    if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
# A timeout or Ctrl-C still removes the containers and the Redis (bash runs the EXIT trap on exit).
trap 'exit 143' TERM
trap 'exit 130' INT

step "base image"
if ! pod image exists "$BASE_IMAGE"; then
    if [ ! -f "$CACHE/base.tar" ] || [ ! -s "$CACHE/base.tar" ]; then
        rm -rf "$CACHE/base.tar" "$CACHE/base.tar.tmp"
        # glibc and libgcc for the debug binaries, CA roots for outgoing TLS (rediss://, OIDC). The
        # format is given: mmdebstrap otherwise picks it from the file name, and `.tmp` makes a directory.
        mmdebstrap --quiet --format=tar --variant=essential --include=ca-certificates,libgcc-s1 bookworm \
            "$CACHE/base.tar.tmp"
        mv "$CACHE/base.tar.tmp" "$CACHE/base.tar"
    fi
    pod import "$CACHE/base.tar" "$BASE_IMAGE" >/dev/null
fi
echo "ok: $BASE_IMAGE"

step "build the images (Dockerfile, BINARIES=prebuilt)"
remove_build_leftovers
mkdir -p "$WORK/context"
for service in "${SERVICES[@]}"; do
    cp "$TARGET_DIR/debug/$service-service" "$WORK/context/"
done
declare -A IMAGE
for service in "${SERVICES[@]}"; do
    version="$(./scripts/service-version.sh "$service")"
    IMAGE[$service]="localhost/auth-platform/$service-service:$version"
    # --format docker: the OCI image format has no HEALTHCHECK, so podman drops it without this.
    pod build --quiet --format docker -f deploy/docker/Dockerfile --target "$service-service" \
        --build-arg BINARIES=prebuilt --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
        -t "${IMAGE[$service]}" "$WORK/context" >/dev/null
    healthcheck="$(pod image inspect --format '{{json .HealthCheck.Test}}' "${IMAGE[$service]}")"
    [ "$healthcheck" = "[\"CMD\",\"/usr/local/bin/$service-service\",\"healthcheck\"]" ] \
        || fail "${IMAGE[$service]} has HEALTHCHECK $healthcheck, not the healthcheck subcommand"
    echo "ok: ${IMAGE[$service]}"
done
pod image prune -f >/dev/null 2>&1 || true

step "run the stack"
read -r REDIS_PORT AUTHN_PORT TOKEN_PORT SESSION_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
declare -A PORT=([authn]=$AUTHN_PORT [token]=$TOKEN_PORT [session]=$SESSION_PORT)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --logfile "$WORK/redis.log" &
REDIS_PID=$!

INTERNAL_TOKEN="$(openssl rand -hex 32)"
openssl genpkey -algorithm ed25519 -out "$WORK/jwt-private-key.pem" 2>/dev/null
# The services run as uid 65532: the key must be readable by it, never writable.
chmod 755 "$WORK"
chmod 444 "$WORK/jwt-private-key.pem"
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
run() {
    local service=$1
    shift
    # --health-interval disable: podman schedules periodic checks with systemd timers, and there is no
    # systemd here (podman 4.3 still tries, and logs that it can't: filtered below); the test runs the
    # image's HEALTHCHECK itself with `podman healthcheck run`.
    pod run -d --name "image-test-$service-$SUFFIX" --network host --read-only \
        --cap-drop ALL --security-opt no-new-privileges --health-interval disable \
        -e APP_ENV=prod -e RUST_LOG=warn -e "LISTEN_ADDR=127.0.0.1:${PORT[$service]}" \
        -e "INTERNAL_API_TOKEN=$INTERNAL_TOKEN" "$@" "${IMAGE[$service]}" \
        2> >(grep -v 'unable to get systemd connection' >&2) >/dev/null
}
run session -e "REDIS_URL=redis://127.0.0.1:$REDIS_PORT" -e "JWKS_URL=$(url token)/.well-known/jwks.json"
run token -e "SESSION_SERVICE_URL=$(url session)" \
    -v "$WORK/jwt-private-key.pem:/run/secrets/jwt-private-key.pem:ro" \
    -e JWT_PRIVATE_KEY_FILE=/run/secrets/jwt-private-key.pem
run authn -e "REDIS_URL=redis://127.0.0.1:$REDIS_PORT" -e "TOKEN_SERVICE_URL=$(url token)" -e ALLOW_REGISTRATION=true

for service in "${SERVICES[@]}"; do
    deadline=$((SECONDS + 60))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$(url "$service")/readyz")" = 200 ]; do
        [ "$(pod inspect --format '{{.State.Running}}' "image-test-$service-$SUFFIX")" = true ] \
            || fail "$service exited before it became ready"
        [ "$SECONDS" -lt "$deadline" ] || fail "$service not ready within 60 s"
        sleep 0.5
    done
    echo "ok: $service ready on $(url "$service")"
done

step "non-root user, read-only root filesystem"
for service in "${SERVICES[@]}"; do
    name="image-test-$service-$SUFFIX"
    uid="$(pod exec "$name" id -u)"
    [ "$uid" != 0 ] || fail "$service runs as root"
    [ "$(pod inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$name")" = true ] || fail "$service root filesystem is writable"
    if pod exec "$name" touch /usr/local/bin/written 2>"$WORK/touch.err"; then
        fail "$service could write to its root filesystem"
    fi
    grep -q "Read-only file system" "$WORK/touch.err" || fail "$service: unexpected write failure: $(cat "$WORK/touch.err")"
    echo "ok: $service runs as uid $uid on a read-only root filesystem"
done

step "README walk-through through the containers"
# The "Walk-through with curl" of the README, with each answer checked.
expect() { # expect STATUS DESCRIPTION curl-args... ; the body is left in $BODY
    local want=$1 what=$2
    shift 2
    local code
    code="$(curl -s -o "$WORK/body" -w '%{http_code}' "$@")"
    BODY="$(cat "$WORK/body")"
    [ "$code" = "$want" ] || fail "$what: HTTP $code, expected $want: $BODY"
    echo "ok: $what ($code)"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$BODY" "$1"; }
USERNAME="alice$SUFFIX"
CREDENTIALS="{\"username\":\"$USERNAME\",\"password\":\"correct horse battery staple\"}"
expect 201 "1. register" -X POST "$(url authn)/register" -H 'Content-Type: application/json' -d "$CREDENTIALS"
[ "$(field username)" = "$USERNAME" ] || fail "register answered $BODY"
expect 200 "2. log in" -X POST "$(url authn)/login" -H 'Content-Type: application/json' -d "$CREDENTIALS"
ACCESS="$(field access_token)"
REFRESH="$(field refresh_token)"
expect 200 "3. session status" "$(url session)/session/status" -H "Authorization: Bearer $ACCESS"
[ "$(field active)" = True ] || fail "status answered $BODY"
expect 200 "4. refresh" -X POST "$(url token)/token/refresh" -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$REFRESH\"}"
NEW_ACCESS="$(field access_token)"
expect 200 "5. revoke the first access token" -X POST "$(url token)/token/revoke" \
    -H 'Content-Type: application/json' -d "{\"token\":\"$ACCESS\"}"
expect 401 "5. the revoked token is refused" "$(url session)/session/status" -H "Authorization: Bearer $ACCESS"
expect 200 "5. the refreshed token still works" "$(url session)/session/status" -H "Authorization: Bearer $NEW_ACCESS"
expect 200 "6. log out" -X POST "$(url session)/session/invalidate" -H "Authorization: Bearer $NEW_ACCESS"
[ "$BODY" = '{"invalidated":1}' ] || fail "logout answered $BODY"
expect 401 "6. the session is over" "$(url session)/session/status" -H "Authorization: Bearer $NEW_ACCESS"

step "health checks"
for service in "${SERVICES[@]}"; do
    name="image-test-$service-$SUFFIX"
    # The image's own HEALTHCHECK, run by podman as the engine would.
    pod healthcheck run "$name" || fail "$service: the image's HEALTHCHECK failed while the service is ready"
    # The same subcommand fails when nothing ready answers on LISTEN_ADDR.
    if pod exec -e "LISTEN_ADDR=127.0.0.1:$REDIS_PORT" "$name" "/usr/local/bin/$service-service" healthcheck 2>/dev/null; then
        fail "$service healthcheck passed against a port that is not the service"
    fi
    echo "ok: $service healthcheck passes when ready, fails otherwise"
done

step "images built and run: all checks passed"
