"""Each service's image tag follows its own version (scripts/check-deploy.sh).

A service is versioned and released on its own: its version is the `version` of its crate
(crates/<service>-service/Cargo.toml), `make image-<service>` tags its image with it, and the
deployment files must name that tag by default, so a release bumps one service's version and this
check lists every place that still names the old one:
- docker-compose.yml: `image: auth-platform/<service>-service:${<SERVICE>_IMAGE_TAG:-<version>}`;
- .env.example: `<SERVICE>_IMAGE_TAG=<version>`;
- k8s/base/kustomization.yaml: `images:` entry `auth-platform/<service>-service` with `newTag: <version>`.
"""

import re
import sys
import tomllib
from pathlib import Path

import yaml

SERVICES = ("authn", "token", "session")


def main() -> int:
    compose = yaml.safe_load(Path("docker-compose.yml").read_text())
    env_example = dict(
        line.split("=", 1)
        for line in Path(".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    kustomization = yaml.safe_load(Path("k8s/base/kustomization.yaml").read_text())
    k8s_tags = {image["name"]: str(image.get("newTag")) for image in kustomization.get("images", [])}
    errors = []
    for service in SERVICES:
        manifest = Path(f"crates/{service}-service/Cargo.toml")
        version = tomllib.loads(manifest.read_text())["package"].get("version")
        if not isinstance(version, str):
            errors.append(f"{manifest}: the service needs a version of its own (not version.workspace)")
            continue
        image = f"auth-platform/{service}-service"
        variable = f"{service.upper()}_IMAGE_TAG"
        expected = f"{image}:${{{variable}:-{version}}}"
        named = compose["services"].get(service, {}).get("image")
        if named != expected:
            errors.append(f"docker-compose.yml: {service} image is {named!r}, expected {expected!r}")
        if env_example.get(variable) != version:
            errors.append(f".env.example: {variable}={env_example.get(variable)}, expected {version}")
        if k8s_tags.get(image) != version:
            errors.append(f"k8s/base/kustomization.yaml: {image} newTag {k8s_tags.get(image)}, expected {version}")
        if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", version):
            errors.append(f"{manifest}: version {version!r} is not semver")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if not errors:
        print("ok: " + ", ".join(f"{s} {tomllib.loads(Path(f'crates/{s}-service/Cargo.toml').read_text())['package']['version']}" for s in SERVICES))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
