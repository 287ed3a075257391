"""Offline checks of the rendered Gateway API overlay (`make check-deploy`, scripts/check-deploy.sh).

    check_gateway_api.py SCHEMA_DIR GATEWAY_API.yaml BASE.yaml CORE_OUT.yaml

1. Every gateway.networking.k8s.io object validates against the vendored JSON Schema of its kind
   (SCHEMA_DIR, from scripts/gateway_api_schemas.py); a kind without one is an error.
2. The overlay has no Ingress, and every HTTPRoute's parentRef names a Gateway and a listener of it
   in the same rendering.
3. The routes reach the services exactly as the base's Ingress does: the same (path type, path,
   Service, port) set, compared with BASE.yaml, which must also be the contract's public prefixes
   (PUBLIC_ROUTES). A rule that forwards without a path match (it would match every path, /internal/
   included), a regular-expression match, a path under /internal or a header/query/method match is
   an error. A rule without backends may only redirect.
4. The other objects are written to CORE_OUT.yaml, for kubernetes-validate (which has no Gateway API
   schemas).

`--self-test` breaks a copy of the routes in each of the ways above and fails unless every one is caught.
"""

import copy
import json
import sys
from pathlib import Path

import jsonschema
import yaml

GROUP = "gateway.networking.k8s.io"

# The contract's public prefixes (shared/spec/api.md: the gateway routes by path prefix) and where they go.
PUBLIC_ROUTES = {
    ("Exact", "/register", "authn", 8081),
    ("Exact", "/login", "authn", 8081),
    ("PathPrefix", "/oauth/", "authn", 8081),
    ("PathPrefix", "/token/", "token", 8082),
    ("PathPrefix", "/.well-known/", "token", 8082),
    ("PathPrefix", "/session/", "session", 8083),
}

# Ingress pathType names for the same match semantics.
INGRESS_PATH_TYPES = {"Exact": "Exact", "Prefix": "PathPrefix"}


def load(path):
    return [doc for doc in yaml.safe_load_all(Path(path).read_text()) if doc]


def service_ports(docs):
    """Service name -> {port name: port number}."""
    ports = {}
    for doc in docs:
        if doc["kind"] == "Service":
            ports[doc["metadata"]["name"]] = {p.get("name"): p["port"] for p in doc["spec"]["ports"]}
    return ports


def ingress_routes(docs):
    ports = service_ports(docs)
    routes = set()
    for doc in docs:
        if doc["kind"] != "Ingress":
            continue
        for rule in doc["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                port = backend["port"].get("number") or ports[backend["name"]][backend["port"]["name"]]
                routes.add((INGRESS_PATH_TYPES[path["pathType"]], path["path"], backend["name"], port))
    return routes


def schema_errors(docs, schema_dir):
    errors = []
    for doc in docs:
        if not doc.get("apiVersion", "").startswith(GROUP + "/"):
            continue
        name = f'{doc["kind"]}/{doc.get("metadata", {}).get("name")}'
        version = doc["apiVersion"].split("/", 1)[1]
        schema_path = Path(schema_dir) / f'{doc["kind"].lower()}-{version}.json'
        if not schema_path.is_file():
            errors.append(f"{name}: no vendored schema {schema_path} for {doc['apiVersion']}")
            continue
        validator = jsonschema.Draft7Validator(json.loads(schema_path.read_text()))
        for error in validator.iter_errors(doc):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            errors.append(f"{name}: {where}: {error.message}")
    return errors


def route_errors(docs, expected):
    errors = []
    if any(doc["kind"] == "Ingress" for doc in docs):
        errors.append("the Gateway API overlay still has an Ingress")
    listeners = {
        doc["metadata"]["name"]: {listener["name"] for listener in doc["spec"]["listeners"]}
        for doc in docs
        if doc["kind"] == "Gateway"
    }
    ports = service_ports(docs)
    routed = set()
    for doc in docs:
        if doc["kind"] != "HTTPRoute":
            continue
        name = f'HTTPRoute/{doc["metadata"]["name"]}'
        for parent in doc["spec"].get("parentRefs", []):
            if parent.get("kind", "Gateway") != "Gateway" or parent["name"] not in listeners:
                errors.append(f"{name}: parentRef {parent} names no Gateway of this rendering")
            elif parent.get("sectionName") and parent["sectionName"] not in listeners[parent["name"]]:
                errors.append(f"{name}: Gateway {parent['name']} has no listener {parent['sectionName']!r}")
        if not doc["spec"].get("parentRefs"):
            errors.append(f"{name}: attaches to no Gateway")
        for index, rule in enumerate(doc["spec"].get("rules", [])):
            where = f"{name} rule {index}"
            backends = rule.get("backendRefs", [])
            filters = rule.get("filters", [])
            if not backends:
                if not filters or any(f["type"] != "RequestRedirect" for f in filters):
                    errors.append(f"{where}: a rule without backends may only redirect")
                continue
            if any(f["type"] == "RequestRedirect" for f in filters):
                errors.append(f"{where}: redirects and forwards at once")
            matches = rule.get("matches") or [{}]
            for match in matches:
                path = match.get("path")
                if path is None:
                    errors.append(f"{where}: a match without a path routes every path, /internal/ included")
                    continue
                extra = sorted(set(match) - {"path"})
                if extra:
                    errors.append(f"{where}: matches on {extra}; the routes are by path alone")
                kind, value = path.get("type", "PathPrefix"), path.get("value", "/")
                if kind not in ("Exact", "PathPrefix"):
                    errors.append(f"{where}: {kind} {value!r}: only Exact and PathPrefix paths are allowed")
                if value.lower().rstrip("/") == "/internal" or value.lower().startswith("/internal/"):
                    errors.append(f"{where}: routes {value!r}: /internal/ is never routed")
                for backend in backends:
                    service = backend["name"]
                    if backend.get("kind", "Service") != "Service" or service not in ports:
                        errors.append(f"{where}: backend {backend} is not a Service of this rendering")
                    elif backend.get("port") not in ports[service].values():
                        errors.append(f"{where}: Service {service} has no port {backend.get('port')}")
                    routed.add((kind, value, service, backend.get("port")))
    for route in sorted(routed - expected):
        errors.append(f"routed but not a public route of the contract and the Ingress: {route}")
    for route in sorted(expected - routed):
        errors.append(f"a public route the Ingress has is missing: {route}")
    return errors


def self_test(docs, schema_dir, expected):
    """Each broken copy must be refused, or the checks above prove nothing."""
    def route(copied, name):
        return next(d for d in copied if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == name)

    def add_match(value, kind="PathPrefix"):
        def breaks(copied):
            route(copied, "session")["spec"]["rules"][0]["matches"].append({"path": {"type": kind, "value": value}})
        return breaks

    def drop_matches(copied):
        del route(copied, "token")["spec"]["rules"][0]["matches"]

    def header_match(copied):
        route(copied, "token")["spec"]["rules"][0]["matches"][0]["headers"] = [{"name": "x-a", "value": "b"}]

    def unknown_field(copied):
        route(copied, "authn")["spec"]["rules"][0]["backendRefs"][0]["prot"] = 8081

    def wrong_port(copied):
        route(copied, "authn")["spec"]["rules"][0]["backendRefs"][0]["port"] = 8082

    def wrong_service(copied):
        route(copied, "session")["spec"]["rules"][0]["backendRefs"][0]["name"] = "token"

    def missing_route(copied):
        route(copied, "authn")["spec"]["rules"][0]["matches"].pop()

    def wrong_listener(copied):
        route(copied, "session")["spec"]["parentRefs"][0]["sectionName"] = "nope"

    def forwarding_redirect(copied):
        route(copied, "https-redirect")["spec"]["rules"][0]["backendRefs"] = [{"name": "authn", "port": 8081}]

    def ingress_kept(copied):
        copied.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "x"}})

    def bad_path_value(copied):
        route(copied, "token")["spec"]["rules"][0]["matches"][0]["path"]["value"] = "no-leading-slash"

    breakages = {
        "a /internal/ prefix": add_match("/internal/"),
        "an /Internal exact path": add_match("/Internal", "Exact"),
        "a catch-all prefix": add_match("/"),
        "a regular expression": add_match("/session/.*", "RegularExpression"),
        "a rule without matches": drop_matches,
        "a header match": header_match,
        "an unknown field": unknown_field,
        "a wrong port": wrong_port,
        "a wrong service": wrong_service,
        "a public route missing": missing_route,
        "an unknown listener": wrong_listener,
        "a redirect that forwards": forwarding_redirect,
        "an Ingress left in": ingress_kept,
        "a path without a leading slash": bad_path_value,
    }
    missed = []
    for what, breaks in breakages.items():
        copied = copy.deepcopy(docs)
        breaks(copied)
        if not (schema_errors(copied, schema_dir) or route_errors(copied, expected)):
            missed.append(what)
    if missed:
        sys.exit(f"self-test: the checks let these through: {', '.join(missed)}")
    print(f"ok: self-test, {len(breakages)} broken copies refused")


def main():
    args = [a for a in sys.argv[1:] if a != "--self-test"]
    if len(args) != 4:
        sys.exit(__doc__)
    schema_dir, overlay_path, base_path, core_out = args
    docs = load(overlay_path)
    from_ingress = ingress_routes(load(base_path))
    errors = []
    if from_ingress != PUBLIC_ROUTES:
        errors.append(f"the base Ingress routes {sorted(from_ingress)}, not the contract's {sorted(PUBLIC_ROUTES)}")
    errors += schema_errors(docs, schema_dir)
    errors += route_errors(docs, PUBLIC_ROUTES)
    if errors:
        sys.exit("\n".join(["Gateway API overlay:"] + errors))
    gateway_api = [d for d in docs if d["apiVersion"].startswith(GROUP + "/")]
    kinds = sorted({d["kind"] for d in gateway_api})
    print(f"ok: {len(gateway_api)} Gateway API objects ({', '.join(kinds)}) valid, routes = the Ingress's, /internal/ unrouted")
    if "--self-test" in sys.argv:
        self_test(docs, schema_dir, PUBLIC_ROUTES)
    core = [d for d in docs if not d["apiVersion"].startswith(GROUP + "/")]
    Path(core_out).write_text(yaml.safe_dump_all(core, sort_keys=False))


if __name__ == "__main__":
    main()
