#!/usr/bin/env bash
# GET of one compute over loopback: the release occi-server binary against the minimal hyper
# server (examples/hello.rs) answering a text/plain body of the same size, in alternating
# rounds so that both see the same machine. Needs wrk and curl (Linux: /proc for CPU time).
#
# Each round reports requests per second and the server's CPU time per request (user and
# system, from /proc/PID/stat). On a machine shared with other work, requests per second
# follow whatever else runs; CPU time per request follows the server's own work.
#
#   occi-server/benches/load.sh                 # 5 rounds x 10 s, in-memory store
#   ROUNDS=3 SECONDS_PER_ROUND=5 STORE=sqlite occi-server/benches/load.sh
#
# Settings (environment): ROUNDS (5), SECONDS_PER_ROUND (10), THREADS (wrk -t, 2),
# CONNECTIONS (wrk -c, 32), STORE (memory or sqlite), LOG (the server's --log, info: one
# access-log line per request, as deployed), OCCI_PORT (18080), HELLO_PORT (18090),
# NO_BUILD=1 to use the binaries already in target/release.
# Only 127.0.0.1 is ever contacted.
set -euo pipefail

rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_ROUND:-10}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
store=${STORE:-memory}
log=${LOG:-info}
occi_port=${OCCI_PORT:-18080}
hello_port=${HELLO_PORT:-18090}

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "load.sh: $tool is needed (apt-get install $tool)" >&2; exit 2; }
done
if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release -p occi-server --features cli --bin occi-server --example hello
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    echo "load.sh: nothing answers on 127.0.0.1:$1" >&2
    exit 1
}

case $store in
    memory) store_args=(--memory) ;;
    sqlite) store_args=(--data "$work/data") ;;
    *) echo "load.sh: STORE is memory or sqlite" >&2; exit 2 ;;
esac
"$target/release/occi-server" --listen "127.0.0.1:$occi_port" --log "$log" "${store_args[@]}" \
    >"$work/occi.out" 2>"$work/occi.err" &
pids+=($!)
occi_pid=$!
wait_for "$occi_port"

location=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$occi_port/compute/" \
    -H 'Content-Type: text/plain' \
    --data-binary $'Category: compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"\nX-OCCI-Attribute: occi.core.title="load"\nX-OCCI-Attribute: occi.compute.cores=2\n' \
    | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$location" ] || { echo "load.sh: the compute was not created" >&2; exit 1; }
bytes=$(curl -s -H 'Accept: text/plain' "$location" | wc -c)

"$target/release/examples/hello" "127.0.0.1:$hello_port" "$bytes" >"$work/hello.out" 2>&1 &
pids+=($!)
hello_pid=$!
wait_for "$hello_port"
hello_url="http://127.0.0.1:$hello_port${location#http://127.0.0.1:$occi_port}"

ticks_per_second=$(getconf CLK_TCK)
cpu_ticks() { # pid -> user + system clock ticks so far
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
run() { # seconds url pid -> "requests/s microseconds-of-server-CPU-per-request"
    local before after out
    before=$(cpu_ticks "$3")
    out=$(wrk -t"$threads" -c"$connections" -d"$1"s -H 'Accept: text/plain' "$2")
    after=$(cpu_ticks "$3")
    printf '%s\n' "$out" | awk -v ticks=$((after - before)) -v hz="$ticks_per_second" '
        / requests in / { requests = $1 }
        /^Requests\/sec:/ { rate = $2 }
        END { printf "%s %.1f\n", rate, ticks / hz * 1e6 / requests }'
}

echo "GET $location (text/plain, $bytes bytes), store $store, log $log"
echo "wrk -t$threads -c$connections -d${seconds}s, $rounds alternating rounds (after a 2 s warm-up each)"
run 2 "$location" "$occi_pid" >/dev/null
run 2 "$hello_url" "$hello_pid" >/dev/null
printf '%-6s %12s %12s %8s %14s %14s %8s\n' round occi-req/s hello-req/s ratio occi-cpu-us/req hello-cpu-us/req ratio
results=""
for round in $(seq "$rounds"); do
    read -r occi occi_cpu <<<"$(run "$seconds" "$location" "$occi_pid")"
    read -r hello hello_cpu <<<"$(run "$seconds" "$hello_url" "$hello_pid")"
    results+="$round $occi $hello $occi_cpu $hello_cpu"$'\n'
    awk -v r="$round" -v o="$occi" -v h="$hello" -v oc="$occi_cpu" -v hc="$hello_cpu" \
        'BEGIN { printf "%-6s %12.0f %12.0f %8.3f %14.1f %14.1f %8.3f\n", r, o, h, o / h, oc, hc, hc / oc }'
done
printf '%s' "$results" | awk '{ o += $2; h += $3; oc += $4; hc += $5; n++ }
    END { printf "%-6s %12.0f %12.0f %8.3f %14.1f %14.1f %8.3f\n", "mean", o / n, h / n, o / h, oc / n, hc / n, hc / oc }'
