#!/usr/bin/env bash
# What `cargo lambda build --release --arm64` needs beyond the Rust toolchain: the venv
# with cargo-lambda and zig (shared with scripts/services.sh), and the Rust standard
# library for aarch64 (Lambda's Graviton target). Tests need none of it. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=aarch64-unknown-linux-gnu

"$ROOT/scripts/services.sh" venv

# `rustup target add` is itself idempotent, but asks the network even when installed.
# (Read the list first: `| grep -q` can make rustup fail with SIGPIPE under pipefail.)
installed="$(rustup target list --installed)"
if grep -qx "$TARGET" <<<"$installed"; then
    echo "setup-lambda-build: Rust target $TARGET already installed" >&2
else
    rustup target add "$TARGET"
fi

# cargo-lambda finds zig only through PATH; the Makefile puts .venv/bin first.
echo "setup-lambda-build: ready; outside make, put $ROOT/.venv/bin first on PATH" >&2
