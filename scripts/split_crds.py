"""Helpers of scripts/check-deploy.sh for the prod overlay's Prometheus Operator objects.

    split_crds.py RENDERED CORE_OUT MONITORING_OUT
        Splits a rendered multi-document manifest into the objects of Kubernetes' own kinds (CORE_OUT,
        for kubernetes-validate, which has no schema for CRDs) and the ServiceMonitors and
        PrometheusRules (MONITORING_OUT). Fails when the prod overlay lacks either kind or when a
        ServiceMonitor selects no Service of the manifest.
    split_crds.py --rule-spec RENDERED RULES_FILE SPEC_OUT
        Writes the rendered PrometheusRule's `spec` as a rule file (for promtool) and fails unless its
        groups equal RULES_FILE's: the rules promtool tests are the rules the cluster loads.
"""

import sys

import yaml

MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule"}


def load(path):
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def split(rendered, core_out, monitoring_out):
    docs = load(rendered)
    core = [doc for doc in docs if doc.get("kind") not in MONITORING_KINDS]
    monitoring = [doc for doc in docs if doc.get("kind") in MONITORING_KINDS]
    kinds = {doc["kind"] for doc in monitoring}
    if kinds != MONITORING_KINDS:
        sys.exit(f"error: {rendered} should hold ServiceMonitors and a PrometheusRule, found {sorted(kinds)}")
    services = {
        doc["metadata"]["name"]: doc for doc in core if doc.get("kind") == "Service"
    }
    for monitor in (doc for doc in monitoring if doc["kind"] == "ServiceMonitor"):
        wanted = monitor["spec"]["selector"]["matchLabels"]
        ports = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
        matches = [
            service for service in services.values()
            if wanted.items() <= service["metadata"].get("labels", {}).items()
            and ports <= {port.get("name") for port in service["spec"]["ports"]}
        ]
        if not matches:
            sys.exit(f"error: ServiceMonitor {monitor['metadata']['name']} selects no Service with ports {sorted(ports)}")
    with open(core_out, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(core, handle, sort_keys=False)
    with open(monitoring_out, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(monitoring, handle, sort_keys=False)
    print(f"ok: {len(core)} Kubernetes objects; {len(monitoring)} Prometheus Operator objects set aside")


def rule_spec(rendered, rules_file, spec_out):
    rules = [doc for doc in load(rendered) if doc.get("kind") == "PrometheusRule"]
    if len(rules) != 1:
        sys.exit(f"error: expected one PrometheusRule in {rendered}, found {len(rules)}")
    spec = rules[0]["spec"]
    source = load(rules_file)[0]
    if spec != source:
        sys.exit(f"error: the rendered PrometheusRule's spec differs from {rules_file}")
    with open(spec_out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(spec, handle, sort_keys=False)
    print(f"ok: the rendered PrometheusRule holds the {sum(len(g['rules']) for g in spec['groups'])} rules of {rules_file}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "--rule-spec":
        rule_spec(*args[1:])
    elif len(args) == 3:
        split(*args)
    else:
        sys.exit(__doc__)
