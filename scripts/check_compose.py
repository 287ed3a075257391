"""Cross-checks of docker-compose.yml that its JSON schema can't express (scripts/check-deploy.sh).

- every depends_on names a service of the file;
- only the gateway publishes ports;
- every ${VAR} the file interpolates is listed in .env.example, and every variable listed there is used;
- every service built from deploy/docker/Dockerfile names a stage of it and has a healthcheck;
- every upstream host:port of deploy/gateway/nginx.conf is a service of the file.
"""

import re
import sys
from pathlib import Path

import yaml

PUBLISHER = "gateway"
NGINX_CONF = Path("deploy/gateway/nginx.conf")


def main(compose_path: str, env_example_path: str) -> int:
    text = Path(compose_path).read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    errors = []

    for name, service in services.items():
        for dependency in service.get("depends_on", {}) or {}:
            if dependency not in services:
                errors.append(f"{name}: depends_on names no service: {dependency}")
        if service.get("ports") and name != PUBLISHER:
            errors.append(f"{name}: publishes ports; only {PUBLISHER} may")

    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", code))
    listed = set()
    for line in Path(env_example_path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line.split("=", 1)[0])
    for name in sorted(used - listed):
        errors.append(f"${{{name}}} is used by {compose_path} but not listed in {env_example_path}")
    for name in sorted(listed - used):
        errors.append(f"{name} is listed in {env_example_path} but not used by {compose_path}")

    for name, service in services.items():
        build = service.get("build")
        if not isinstance(build, dict):
            continue
        dockerfile = Path(build.get("context", ".")) / build.get("dockerfile", "Dockerfile")
        stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), re.MULTILINE | re.IGNORECASE))
        if build.get("target") not in stages:
            errors.append(f"{name}: build target {build.get('target')!r} is not a stage of {dockerfile}")
        test = (service.get("healthcheck") or {}).get("test")
        if not test:
            errors.append(f"{name}: no healthcheck")

    for host, port in re.findall(r"^\s*server\s+([a-z0-9-]+):(\d+);", NGINX_CONF.read_text(), re.MULTILINE):
        if host not in services:
            errors.append(f"{NGINX_CONF}: upstream {host}:{port} is not a service of {compose_path}")

    for error in errors:
        print(f"error: {error}")
    if errors:
        return 1
    print(f"ok: {len(services)} services, {len(used)} variables, depends_on and upstreams consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
