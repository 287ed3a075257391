#!/usr/bin/env bash
# Prints a service's version, the `version` of its crate (crates/<service>-service/Cargo.toml): each
# service is versioned and released on its own, and its image is tagged with this.
#   scripts/service-version.sh authn   ->   0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."
manifest="crates/${1:?usage: $0 authn|token|session}-service/Cargo.toml"
[ -f "$manifest" ] || { echo "no such service: $1" >&2; exit 1; }
version="$(sed -nE 's/^version *= *"([^"]+)".*/\1/p' "$manifest" | head -n1)"
[ -n "$version" ] || { echo "$manifest has no version of its own" >&2; exit 1; }
echo "$version"
