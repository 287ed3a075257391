"""Checks deploy/grafana/auth-platform.json (scripts/check-deploy.sh): valid JSON that Grafana imports
(title, uid, a Prometheus datasource variable, panels with unique ids and grid positions), every
query on that variable, and every metric it names one the services export (a typo fails here,
not as an empty panel)."""

import json
import re
import sys

# The metric names the services export (actix-web-prom's `<namespace>_http_…` and the domain metrics);
# histograms as their _bucket series. This is the fast, build-free check; the end-to-end test
# observability::the_grafana_dashboard_queries_only_metrics_the_services_export scrapes the real
# services and is the authority.
KNOWN = {
    f"{service}_{name}"
    for service in ("authn", "token", "session")
    for name in ("http_requests_total", "http_requests_duration_seconds_bucket")
} | {
    "authn_login_attempts_total",
    "authn_argon2_queue_depth",
    "authn_argon2_in_flight",
    "authn_argon2_capacity",
    "session_jwks_fetches_total",
    "token_refresh_total",
    "token_revocations_total",
    "session_invalidations_total",
    "redis_command_duration_seconds_bucket",
    "redis_command_errors_total",
    "peer_request_duration_seconds_bucket",
    "peer_request_errors_total",
}
# Words in PromQL that look like metric names but are functions, keywords or labels.
NOT_METRICS = {
    "sum", "by", "rate", "increase", "histogram_quantile", "max", "le", "endpoint", "method", "status",
    "outcome", "token_type", "scope", "instance", "job", "operation", "peer", "result", "__rate_interval", "__range",
}


def main(path: str) -> int:
    with open(path) as file:
        dashboard = json.load(file)
    errors = []
    for key in ("title", "uid", "panels", "templating", "schemaVersion"):
        if key not in dashboard:
            errors.append(f"missing {key}")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"].get("query") != "prometheus":
        errors.append("needs a Prometheus datasource variable named datasource")
    ids = set()
    used = set()
    for panel in dashboard.get("panels", []):
        if panel["id"] in ids:
            errors.append(f"duplicate panel id {panel['id']}")
        ids.add(panel["id"])
        if "gridPos" not in panel:
            errors.append(f"panel {panel['id']} has no gridPos")
        if panel["type"] == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"panel {panel['title']!r} does not use the datasource variable")
        if not panel.get("targets"):
            errors.append(f"panel {panel['title']!r} has no query")
        for target in panel.get("targets", []):
            expr = re.sub(r'"[^"]*"', "", target.get("expr", ""))
            for word in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", expr):
                if word not in NOT_METRICS:
                    used.add(word)
                    if word not in KNOWN:
                        errors.append(f"panel {panel['title']!r}: unknown metric or word {word!r}")
    for error in errors:
        print(f"error: {error}")
    if errors:
        return 1
    print(f"ok: {len(ids)} panels, metrics {len(used)} of {len(KNOWN)} known ones")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
