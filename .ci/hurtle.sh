#!/usr/bin/env bash
# Hurtle end to end: occi-hurtle cc and sm on loopback; an app (an SO child process) created,
# driven and deleted as Hurtle's SM does; a service instance created, provisioned, updated and
# deleted through the SM; the cc, so and sm profiles with every MUST passing, the sm profile
# also against an SM pointed at the suite's recording doubles (SM-017 to SM-021); no SO
# process outlives its app, its instance or the CC. Expects curl (installed by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

if ! command -v pgrep >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq procps >/dev/null
fi

cargo build -q --release -p occi-hurtle -p occi-conformance
bin=./target/release
cc_port=18901
cc="http://127.0.0.1:$cc_port"
basic='Authorization: Basic c206c2VjcmV0'
auth=(-H 'X-Auth-Token: t' -H 'X-Tenant-Name: demo')

"$bin/occi-hurtle" cc --listen "127.0.0.1:$cc_port" \
  --so-arg=--create-ms=200 --so-arg=--update-ms=200 \
  --so-arg=--output=mcn.endpoint.api=127.0.0.1:9 > target/hurtle-cc.log 2>&1 &
cc_pid=$!
trap 'kill "$cc_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if curl -fsS -H "$basic" "$cc/-/" -o /dev/null 2>/dev/null; then break; fi
  sleep 0.2
done

echo "--> the cc profile"
"$bin/occi-conformance" run "$cc" --profile cc --allow-mutation --compat hurtle \
  --header "$basic" --lifecycle-timeout 20 --junit target/conformance-cc.xml

echo "--> an app as the SM creates it"
curl -fsS -D target/hurtle-create.txt -o /dev/null -X POST "$cc/app/" -H "$basic" \
  -H 'Content-Type: text/occi' \
  -H 'Category: app; scheme="http://schemas.ogf.org/occi/platform#"' \
  -H 'X-OCCI-Attribute: occi.app.name="sosampci0001", occi.app.image="occi-hurtle/so", occi.app.env="DESIGN_URI=http://127.0.0.1:5000/v2.0"'
grep -qi '^location: http://127.0.0.1:18901/app/sosampci0001' target/hurtle-create.txt
app="$cc/app/sosampci0001"
url=$(curl -fsS -D - -o /dev/null -H "$basic" -H 'Accept: text/occi' "$app" \
  | tr -d '\r' | grep -i '^x-occi-attribute:' | grep -o 'occi.app.url="[^"]*"' | cut -d'"' -f2)
echo "SO at $url"
for _ in $(seq 1 100); do
  if curl -fsS -H "$basic" -H 'Accept: application/occi+json' "$app" | grep -q '"occi.app.state": "active"'; then break; fi
  sleep 0.1
done
curl -fsS "${auth[@]}" "http://$url/" -o /dev/null

echo "--> the so profile against the app's SO"
"$bin/occi-conformance" run "http://$url" --profile so --allow-mutation --compat hurtle \
  --header 'X-Auth-Token: t' --header 'X-Tenant-Name: demo' --lifecycle-timeout 20 \
  --junit target/conformance-so.xml

echo "--> deleting the app stops its SO"
children=$(pgrep -P "$cc_pid" | wc -l)
[ "$children" -eq 1 ] || { echo "expected one SO child, found $children"; exit 1; }
curl -fsS -X DELETE -H "$basic" "$app" -o /dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$basic" "$app")" = 404 ]
if curl -fsS "${auth[@]}" "http://$url/" -o /dev/null 2>/dev/null; then
  echo "the SO still answers after its app was deleted"; exit 1
fi
[ "$(pgrep -P "$cc_pid" | wc -l)" -eq 0 ] || { echo "an SO child remains"; exit 1; }

echo "--> a service instance through the SM"
sm="http://127.0.0.1:18902"
"$bin/occi-hurtle" sm --listen 127.0.0.1:18902 --manifest hurtle/examples/sample_so.json \
  --cc "$cc" --cc-user sm --cc-password secret --token t=demo \
  --activate-ms 50 --deploy-ms 50 --provision-ms 50 --update-ms 50 > target/hurtle-sm.log 2>&1 &
sm_pid=$!
trap 'kill "$cc_pid" "$sm_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if curl -fsS "${auth[@]}" "$sm/-/" -o /dev/null 2>/dev/null; then break; fi
  sleep 0.2
done
kind='Category: sample_so; scheme="http://schemas.mobile-cloud-networking.eu/occi/sm#"; class="kind"'
instance=$(curl -fsS -D - -o /dev/null -X POST "${auth[@]}" -H 'Content-Type: text/occi' -H "$kind" \
  -H 'X-OCCI-Attribute: mcn.endpoint.p4="first"' "$sm/sample_so/" | tr -d '\r' | grep -i '^location:' | cut -d' ' -f2)
echo "instance $instance"
state() { curl -fsS "${auth[@]}" -H 'Accept: text/occi' -D - -o /dev/null "$instance" | tr -d '\r' \
  | grep -o 'mcn.service.state="[a-z]*"' | cut -d'"' -f2; }
for _ in $(seq 1 200); do
  [ "$(state)" = provision ] && break
  sleep 0.1
done
[ "$(state)" = provision ] || { echo "the instance did not reach provision: $(state)"; cat target/hurtle-sm.log; exit 1; }
curl -fsS "${auth[@]}" -H 'Accept: text/occi' -D - -o /dev/null "$instance" | grep -q 'occi.mcn.stack.state="UPDATE_'
curl -fsS -X POST "${auth[@]}" -H 'X-OCCI-Attribute: mcn.endpoint.p4="second"' "$instance" -o /dev/null
[ "$(state)" = update ]
curl -fsS -X DELETE "${auth[@]}" "$instance" -o /dev/null
for _ in $(seq 1 50); do
  [ "$(pgrep -P "$cc_pid" | wc -l)" -eq 0 ] && break
  sleep 0.1
done
[ "$(pgrep -P "$cc_pid" | wc -l)" -eq 0 ] || { echo "the instance's SO remains"; exit 1; }

echo "--> the sm profile"
"$bin/occi-conformance" run "$sm" --profile sm --allow-mutation --compat hurtle \
  --header 'X-Auth-Token: t' --header 'X-Tenant-Name: demo' --tenant-b other \
  --lifecycle-timeout 30 --junit target/conformance-sm.xml
# The SM deletes asynchronously (SO, then CC app): wait for it before stopping the SM.
for _ in $(seq 1 200); do
  [ "$(pgrep -P "$cc_pid" | wc -l)" -eq 0 ] && break
  sleep 0.1
done
[ "$(pgrep -P "$cc_pid" | wc -l)" -eq 0 ] || { echo "an SO of the sm profile's instances remains"; exit 1; }
kill -TERM "$sm_pid"
wait "$sm_pid"

echo "--> SIGTERM stops the CC and every SO it started"
curl -fsS -o /dev/null -X POST "$cc/app/" -H "$basic" -H 'Content-Type: text/occi' \
  -H 'Category: app; scheme="http://schemas.ogf.org/occi/platform#"' \
  -H 'X-OCCI-Attribute: occi.app.name="sosampci0002", occi.app.image="occi-hurtle/so"'
child=$(pgrep -P "$cc_pid")
kill -TERM "$cc_pid"
wait "$cc_pid"
trap - EXIT
if kill -0 "$child" 2>/dev/null; then echo "SO $child outlived the CC"; exit 1; fi
grep -q 'shutting down' target/hurtle-cc.log

echo "--> the sm profile against an SM pointed at the suite's recording doubles"
# The doubles (CC, one SO per app, Keystone v2 under /v2.0) listen once the suite starts; the
# SM reaches its CC and Keystone only when asked, so it can start first.
doubles=127.0.0.1:18950
sm2="http://127.0.0.1:18903"
"$bin/occi-hurtle" sm --listen 127.0.0.1:18903 --manifest hurtle/examples/sample_so.json \
  --cc "http://$doubles" --cc-user sm --cc-password secret \
  --keystone "http://$doubles/v2.0" --keystone-cache 0 \
  --activate-ms 50 --deploy-ms 50 --provision-ms 50 --update-ms 50 > target/hurtle-sm-doubles.log 2>&1 &
sm2_pid=$!
trap 'kill "$sm2_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$sm2/-/" || true)" != 000 ] && break
  sleep 0.2
done
"$bin/occi-conformance" run "$sm2" --profile sm --allow-mutation --compat hurtle \
  --doubles "$doubles" --header 'X-Auth-Token: t' --header 'X-Tenant-Name: demo' \
  --tenant-b other --lifecycle-timeout 20 --junit target/conformance-sm-doubles.xml
kill -TERM "$sm2_pid"
wait "$sm2_pid"
trap - EXIT

echo "Hurtle end to end passed in $(( $(date +%s) - started )) s"
