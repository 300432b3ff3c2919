#!/usr/bin/env bash
# occi-client's optional features: HTTPS through rustls, against occi-server behind TLS on
# loopback (the default `cargo test --workspace` builds the client without TLS).
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n==> %s\n' "cargo test -p occi-client --features rustls --test tls"
cargo test -p occi-client --features rustls --test tls
