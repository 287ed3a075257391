#!/usr/bin/env python3
"""Wraps deploy/prometheus/alerts.yml, the one source of the alerting rules, in the PrometheusRule of
the prod overlay (k8s/overlays/prod/prometheus-rule.yaml): the rule file's `groups:` become the
object's `spec.groups`, verbatim (indented under `spec:`), so the rules promtool checks and tests are
byte for byte the rules the Prometheus Operator loads.

    python3 scripts/prometheus_rule.py           # regenerate after editing alerts.yml
    python3 scripts/prometheus_rule.py --check   # make check-deploy: fail when the committed file differs

Standard library only: it runs before any venv exists.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "deploy/prometheus/alerts.yml"
TARGET = ROOT / "k8s/overlays/prod/prometheus-rule.yaml"

HEADER = """\
# GENERATED from deploy/prometheus/alerts.yml by scripts/prometheus_rule.py: edit that file, then run
# `python3 scripts/prometheus_rule.py`. make check-deploy fails when this file is out of date.
# The Prometheus Operator loads PrometheusRules its Prometheus selects by label (ruleSelector); the
# kube-prometheus-stack chart selects `release: <its release name>`: patch the label below to match.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: auth-platform-alerts
  labels:
    app.kubernetes.io/name: auth-platform-alerts
    release: kube-prometheus-stack
spec:
"""


def render() -> str:
    body = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        # The source's own header comments (before `groups:`) describe the source file; the rules'
        # comments are kept.
        if not body and (line.startswith("#") or not line.strip()):
            continue
        if not line.startswith("groups:") and not body:
            sys.exit(f"error: {SOURCE} must start with comments and then `groups:`, found: {line!r}")
        body.append(("  " + line) if line.strip() else "")
    return HEADER + "\n".join(body) + "\n"


def main() -> int:
    rendered = render()
    if sys.argv[1:] == ["--check"]:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != rendered:
            print(f"error: {TARGET.relative_to(ROOT)} is out of date with {SOURCE.relative_to(ROOT)};"
                  " run `python3 scripts/prometheus_rule.py`", file=sys.stderr)
            return 1
        print(f"ok: {TARGET.relative_to(ROOT)} matches {SOURCE.relative_to(ROOT)}")
        return 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    TARGET.write_text(rendered, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
