"""Turns Gateway API CRDs into the JSON Schemas that scripts/check_gateway_api.py validates against.

kubernetes-validate knows the built-in kinds only, and `make check-deploy` reaches no cluster and no
schema store, so the schemas of the Gateway API kinds the manifests use are vendored in
k8s/schemas/gateway-api-<version>/. This script made them, from the standard-channel CRD files of a
checkout of github.com/kubernetes-sigs/gateway-api at that tag (config/crd/standard/):

    python3 scripts/gateway_api_schemas.py v1.6.1 \\
        CHECKOUT/config/crd/standard/gateway.networking.k8s.io_{gateways,httproutes}.yaml

For the served `v1` version of each CRD it keeps the openAPIV3Schema as JSON Schema, made strict as
the API server is: an object with listed properties allows no others (unknown fields are errors, like
`kubectl apply --validate=strict`), `nullable` allows null, int-or-string allows both. Descriptions are
dropped to keep the files small. What JSON Schema can't say is left out and not checked offline: the
CEL rules (x-kubernetes-validations) and list-map uniqueness (x-kubernetes-list-map-keys).
Needs PyYAML (the check-deploy venv has it).
"""

import json
import sys
from pathlib import Path

import yaml

OUT_ROOT = Path(__file__).resolve().parent.parent / "k8s" / "schemas"


def strict(node):
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {name: strict(schema) for name, schema in value.items()}
        else:
            out[key] = strict(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def convert(crd, version):
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    served = [v for v in crd["spec"]["versions"] if v["name"] == "v1" and v.get("served")]
    if not served:
        sys.exit(f"{kind}: no served v1 version")
    schema = strict(served[0]["schema"]["openAPIV3Schema"])
    schema["properties"]["apiVersion"] = {"const": f"{group}/v1"}
    schema["properties"]["kind"] = {"const": kind}
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
        },
    }
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = f"{kind} {group}/v1, Gateway API {version} standard channel (generated, strict)"
    return kind, schema


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: gateway_api_schemas.py VERSION CRD.yaml...")
    version = sys.argv[1]
    out_dir = OUT_ROOT / f"gateway-api-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sys.argv[2:]:
        crd = yaml.safe_load(Path(path).read_text())
        kind, schema = convert(crd, version)
        target = out_dir / f"{kind.lower()}-v1.json"
        target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
