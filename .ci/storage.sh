#!/usr/bin/env bash
# Storage tests that need more than `cargo test --workspace`: a throwaway PostgreSQL cluster
# on loopback for the PostgreSQL store and the two-replica tests, and the SIGKILL durability
# test of the SQLite default. Called from .ci/run; runs as root on CI or as any user.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  step "installing postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# The cluster runs as the postgres user when this script runs as root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgdata=$(mktemp -d /tmp/occi-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then chown postgres "$pgdata"; fi
port=55432
stop_cluster() {
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdata"
}
trap stop_cluster EXIT

step "starting a throwaway PostgreSQL cluster on 127.0.0.1:$port"
as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
if ! as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
  -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
  echo "PostgreSQL did not start; its log:"
  cat "$pgdata/server.log" || true
  exit 1
fi
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres occi_test
export OCCI_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/occi_test"

step "PostgreSQL store: the store test kit, two replicas on one database, the binary on --store postgres://"
cargo test -p occi-server --test store_postgres --test replicas --test concurrency -- --include-ignored

step "SIGKILL durability: SQLite restarted on its data, and a PostgreSQL replica killed beside another"
cargo test -p occi-server --test kill -- --include-ignored --nocapture --test-threads 1

if [ "$(id -u)" = 0 ]; then
  step "SQLite default: a full disk (1 MiB tmpfs) and a read-only data directory (bind mount) are 503, and the store recovers"
  cargo test -p occi-server --test faults -- --include-ignored --nocapture
else
  echo "not root: the full-disk test (tmpfs mount) is not run"
fi
