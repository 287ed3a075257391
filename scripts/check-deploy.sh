#!/usr/bin/env bash
# The deployment checks that need no container engine and no cluster (`make check-deploy`, and CI):
#   1. hadolint on every Dockerfile under deploy/
#   2. docker-compose.yml against the Compose Specification schema, plus cross-checks the schema
#      can't express (depends_on targets exist, only the gateway publishes ports, every ${VAR} is
#      listed in .env.example)
#   3. kubectl kustomize k8s/base, k8s/overlays/dev, k8s/overlays/gateway-api and k8s/overlays/prod, each
#      rendered output validated strictly against the Kubernetes schemas of the versions below with
#      kubernetes-validate; except the CRD objects it ships no schema for: the Gateway API objects are
#      checked against the vendored schemas of k8s/schemas/, and their routes against the contract's and
#      the Ingress's (scripts/check_gateway_api.py, which also proves on broken copies that it catches
#      bad routes); the prod overlay's ServiceMonitors and PrometheusRule are checked by step 7
#   4. checkov on the rendered manifests and on the Dockerfiles; any finding fails, unless skipped
#      in the manifest itself with a reason (checkov.io/skipN annotations, `# checkov:skip=` lines)
#   5. the Grafana dashboard is JSON with the shape Grafana imports
#   6. each service's image tag in compose, .env.example and k8s follows its crate's own version
#   7. the alerting rules: promtool check rules and promtool test rules (deploy/prometheus/), the
#      prod PrometheusRule generated from them is up to date, and the rendered PrometheusRule's
#      spec is the same rules (promtool checks it too)
# promtool comes from Debian's `prometheus` package (installed here when missing and running as root).
# Tools come from PyPI, pinned in scripts/deploy-requirements.txt, in a venv (.venv-deploy/ or
# $DEPLOY_VENV) that is reused while the requirements file is unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."

VENV="${DEPLOY_VENV:-.venv-deploy}"
REQUIREMENTS=scripts/deploy-requirements.txt
# Oldest and newest Kubernetes minor versions the manifests are checked against.
K8S_VERSIONS=(1.30.0 1.37.0)

step() { printf '\n== %s\n' "$*"; }

if [ ! -x "$VENV/bin/pip" ]; then
    step "creating $VENV"
    if ! python3 -m venv "$VENV"; then
        # Debian's python3 ships venv separately; as root (CI) install it, else say what is missing.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            rm -rf "$VENV"
            apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv
            python3 -m venv "$VENV"
        else
            echo "error: python3 with its venv module is needed (Debian: apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
fi
if ! cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
    step "installing $REQUIREMENTS"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/.requirements"
fi
BIN="$VENV/bin"

if ! command -v promtool >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "installing promtool (Debian package prometheus)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
            || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }
    else
        echo "error: promtool is not on PATH (Debian: apt-get install prometheus)" >&2
        exit 1
    fi
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step "hadolint"
mapfile -t DOCKERFILES < <(find deploy -name 'Dockerfile*' -type f | sort)
[ "${#DOCKERFILES[@]}" -gt 0 ] || { echo "no Dockerfile under deploy/"; exit 1; }
"$BIN/hadolint" --failure-threshold info "${DOCKERFILES[@]}"
echo "ok: ${DOCKERFILES[*]}"

step "docker-compose.yml"
"$BIN/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
"$BIN/python" scripts/check_compose.py docker-compose.yml .env.example

step "kustomize render"
# The dev overlay's Secrets come from gitignored files; render a copy with placeholders instead.
cp -r k8s "$WORK/k8s"
mkdir -p "$WORK/k8s/overlays/dev/secrets"
printf 'placeholder-internal-api-token-for-rendering-only\n' > "$WORK/k8s/overlays/dev/secrets/internal-api-token"
for key in jwt-private-key.pem jwt-previous-key.pem; do
    printf -- '-----BEGIN PRIVATE KEY-----\nplaceholder for rendering only\n-----END PRIVATE KEY-----\n' \
        > "$WORK/k8s/overlays/dev/secrets/$key"
done
mkdir -p "$WORK/rendered"
"$BIN/kubectl" kustomize "$WORK/k8s/base" > "$WORK/rendered/base.yaml"
"$BIN/kubectl" kustomize "$WORK/k8s/overlays/dev" > "$WORK/rendered/dev.yaml"
# The prod overlay generates no Secrets (the operator creates them), so it renders as committed.
"$BIN/kubectl" kustomize "$WORK/k8s/overlays/gateway-api" > "$WORK/rendered/gateway-api.yaml"
"$BIN/kubectl" kustomize k8s/overlays/prod > "$WORK/rendered/prod.yaml"
echo "ok: base $(grep -c '^kind:' "$WORK/rendered/base.yaml") objects, dev $(grep -c '^kind:' "$WORK/rendered/dev.yaml") objects," \
    "gateway-api $(grep -c '^kind:' "$WORK/rendered/gateway-api.yaml") objects, prod $(grep -c '^kind:' "$WORK/rendered/prod.yaml") objects"

step "Gateway API overlay (vendored gateway.networking.k8s.io/v1 schemas, routes)"
# Not checkable offline, so not checked here: the CRDs' CEL rules, and what a Gateway implementation
# does with the routes (its own path normalisation, status conditions); see README, "Gateway API".
mkdir -p "$WORK/core"
"$BIN/python" scripts/check_gateway_api.py --self-test k8s/schemas/gateway-api-v1.6.1 \
    "$WORK/rendered/gateway-api.yaml" "$WORK/rendered/base.yaml" "$WORK/core/gateway-api-core.yaml"

step "kubernetes-validate (strict)"
# kubernetes-validate has schemas for Kubernetes' own kinds only; the Prometheus Operator's
# ServiceMonitor and PrometheusRule (CRDs) are split off here and checked in the alerting-rules step.
mkdir -p "$WORK/crds"
"$BIN/python" scripts/split_crds.py "$WORK/rendered/prod.yaml" "$WORK/crds/prod-core.yaml" "$WORK/crds/prod-monitoring.yaml"
for version in "${K8S_VERSIONS[@]}"; do
    "$BIN/kubernetes-validate" --strict --quiet -k "$version" "$WORK/rendered/base.yaml" "$WORK/rendered/dev.yaml" \
        "$WORK/core/gateway-api-core.yaml" "$WORK/crds/prod-core.yaml"
    echo "ok: Kubernetes $version (not validated here: the Gateway API objects, checked above; the ServiceMonitors and the PrometheusRule, no schema)"
done

step "checkov"
# --skip-download: no calls home (CI reaches package registries only).
"$BIN/checkov" --quiet --compact --skip-download --framework kubernetes -d "$WORK/rendered"
"$BIN/checkov" --quiet --compact --skip-download --framework dockerfile \
    $(printf -- '-f %s ' "${DOCKERFILES[@]}")

step "Grafana dashboard"
"$BIN/python" scripts/check_dashboard.py deploy/grafana/auth-platform.json

step "image tags follow the service versions"
"$BIN/python" scripts/check_versions.py

step "alerting rules (promtool)"
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts_test.yml
python3 scripts/prometheus_rule.py --check
# What Prometheus will load is the rendered PrometheusRule's spec: the same groups as the rules file.
"$BIN/python" scripts/split_crds.py --rule-spec "$WORK/rendered/prod.yaml" deploy/prometheus/alerts.yml "$WORK/crds/rule-spec.yml"
promtool check rules "$WORK/crds/rule-spec.yml"

step "all deployment checks passed"
