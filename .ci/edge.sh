#!/usr/bin/env bash
# Embedding: the occi-server library's default features bring none of the binary's
# dependencies (clap, tracing-subscriber) into an embedder's build.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n==> %s\n' "occi-server's default features pull no binary dependencies"
tree=$(cargo tree -p occi-server -e normal --prefix none)
if grep -E '^(clap|tracing-subscriber) ' <<<"$tree"; then
  echo "occi-server's default features pull the binary's dependencies"; exit 1
fi
printf '\n==> %s\n' "occi-server builds without default features"
cargo check -q -p occi-server --lib --no-default-features
