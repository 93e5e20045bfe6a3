#!/usr/bin/env bash
# The `make demo` tour (shared/DEMO.md): one server on the embedded default (SQLite, RocksDB,
# local files) and the whole loop on a city's zone-demand model: data and features, a
# point-in-time training set saved as a dataset, training with a gate, approval with separation of
# duties, an endpoint that reads its features from the online store, a shadow, an A/B split, a
# canary that promotes itself and one that rolls back by itself, a drift monitor whose alert
# reaches a webhook and requests a retrain, lineage from the endpoint back to the features, and
# the audit chain.
# Usage: scripts/demo.sh [--keep]   (--keep leaves the server running for exploration)
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
[ "${1:-}" = "--keep" ] && keep=1
PLINTH=$PWD/build/plinth
PY=/usr/bin/python3
export PLINTH_DATA_DIR=$PWD/demo-data
rm -rf "$PLINTH_DATA_DIR"
mkdir -p "$PLINTH_DATA_DIR"
data=$PLINTH_DATA_DIR/data

step() { printf '\n\033[1m[%s] %s\033[0m\n' "$1" "$2"; }
# json_field EXPR: evaluates a Python expression over the JSON on stdin, bound to d.
json_field() { $PY -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

"$PLINTH" server --host 127.0.0.1 --port 0 > "$PLINTH_DATA_DIR/server.log" 2>&1 &
server_pid=$!
background=()
stop_all() {
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ $keep -eq 0 ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
}
trap stop_all EXIT
for _ in $(seq 100); do [ -s "$PLINTH_DATA_DIR/server.port" ] && break; sleep 0.05; done
port=$(cat "$PLINTH_DATA_DIR/server.port")
url=http://127.0.0.1:$port

step 1/10 "Server"
echo "plinth listening on $url: metadata in SQLite (WAL), online features in RocksDB, artifacts by SHA-256"
echo "admin token written to demo-data/admin.token (mode $(stat -c %a "$PLINTH_DATA_DIR/admin.token"))"

step 2/10 "Tokens and roles"
sam=$("$PLINTH" tokens create sam --role scientist --json | json_field 'd["token"]')
ana=$("$PLINTH" tokens create ana --role approver --json | json_field 'd["token"]')
raj=$("$PLINTH" tokens create raj --role approver --json | json_field 'd["token"]')
echo "scientist 'sam', approvers 'ana' and 'raj' created; only their SHA-256 hashes are stored"
if "$PLINTH" --token "$sam" tokens list > /dev/null 2>"$PLINTH_DATA_DIR/err"; then
  echo "unexpected: a scientist listed tokens"; exit 1
fi
echo "sam lists tokens -> $(cat "$PLINTH_DATA_DIR/err")"

step 3/10 "Features: zone history, validated ingest, a point-in-time training set"
$PY examples/zone_data.py --out-dir "$data" --zones 50 --days 60 --end now
"$PLINTH" --token "$sam" features apply examples/features.yaml
"$PLINTH" --token "$sam" features ingest zone_demand "$data/zone_features.csv" > /dev/null
echo "ingested $("$PLINTH" features ingests zone_demand --json | json_field 'sum(i["rows"] for i in d)') rows into the offline store"
printf 'zone_id,event_timestamp,temperature,rain,bookings_lag_1h,bookings_mean_24h\n7,2026-09-01T00:00:00Z,12.5,-3,10,11\n' \
  > "$data/bad_rows.csv"
"$PLINTH" --token "$sam" features ingest zone_demand "$data/bad_rows.csv" > "$PLINTH_DATA_DIR/err" 2>&1 || true
echo "a batch with negative rain -> $(grep -m1 '^plinth:' "$PLINTH_DATA_DIR/err")"
"$PLINTH" --token "$sam" features historical --entities "$data/zone_labels.csv" \
  --features zone_demand:temperature,zone_demand:rain,zone_demand:bookings_lag_1h,zone_demand:bookings_mean_24h \
  --output "$data/train.csv" --save-as zone_demand_train 2>&1 | tail -2

step 4/10 "Training (examples/train_xgboost.py, Debian's python3-xgboost) and the MAPE gate"
$PY examples/train_xgboost.py --url "$url" --token "$sam" --experiment demand-forecast \
  --model demand --seed 42 --rounds 100 --training-set "$data/train.csv" --dataset zone_demand_train

step 5/10 "Approval with separation of duties"
echo "the version waits in $("$PLINTH" versions get demand 1 --json | json_field 'd["status"]')"
"$PLINTH" --token "$sam" versions approve demand 1 > /dev/null 2>"$PLINTH_DATA_DIR/err" || true
echo "sam approves his own version -> $(cat "$PLINTH_DATA_DIR/err")"
"$PLINTH" --token "$ana" versions approve demand 1 --comment "MAPE under the gate" --json \
  | json_field 'd["status"] + " by " + d["decided_by"]'
"$PLINTH" --token "$ana" aliases set demand champion 1 > /dev/null
echo "champion -> version 1"

step 6/10 "Serving: endpoint 'demand' reads zone features from the online store"
"$PLINTH" --token "$sam" features materialize-incremental zone_demand --json 2>/dev/null \
  | json_field '"materialized: %d offline rows scanned, the latest of %d zones written to the online store (RocksDB)" % (d["rows_scanned"], d["rows_written"])'
# The endpoint's spec besides its variants; an update restates it (PUT replaces the spec).
endpoint_spec=(--feature zone_demand:temperature --feature zone_demand:rain
               --feature zone_demand:bookings_lag_1h --feature zone_demand:bookings_mean_24h
               --entity-key zone_id)
"$PLINTH" --token "$ana" endpoints create demand --variant champion=demand@champion "${endpoint_spec[@]}" \
  --json | json_field '"endpoint demand serves v%d on the %s runtime" % (d["variants"][0]["serving_version"], d["variants"][0]["runtime"])'
# A morning-rush request for zones 1-10: hour and day of week come with the request, the rest
# from the online store.
predict_once() {
  curl -s -X POST "$url/api/v1/endpoints/demand/predict" -H "Authorization: Bearer $sam" \
    -d "{\"instances\": [$(for z in $(seq 10); do printf '{"zone_id": %d, "hour": 8, "day_of_week": 1}' $z; [ $z -lt 10 ] && printf ', '; done)], \"echo_features\": true}"
}
predict_once | json_field '"zones 1-3 at 8:00 on a Monday: %s bookings from version %d; zone 1 features from the online store: %s" % ([round(x, 1) for x in d["predictions"][:3]], d["version"], {k: round(v, 2) for k, v in d["features"][0].items() if k not in ("hour", "day_of_week")})'

step 7/10 "A challenger: shadow, an A/B split, then a canary that promotes itself"
$PY examples/train_xgboost.py --url "$url" --token "$ana" --experiment demand-forecast \
  --model demand --seed 7 --rounds 150 --training-set "$data/train.csv" --dataset zone_demand_train | tail -1
"$PLINTH" --token "$ana" versions approve demand 2 > /dev/null 2>"$PLINTH_DATA_DIR/err" || true
echo "ana approves her own version -> $(cat "$PLINTH_DATA_DIR/err")"
"$PLINTH" --token "$raj" versions approve demand 2 --comment "challenger" > /dev/null
echo "raj approves version 2"
traffic() { while :; do predict_once > /dev/null; done; }
traffic & background+=($!)
traffic & background+=($!)
"$PLINTH" --token "$ana" endpoints update demand --variant champion=demand@champion "${endpoint_spec[@]}" \
  --shadow demand:2 > /dev/null
sleep 2
"$PLINTH" endpoints get demand --json | json_field '"shadow v2 saw %d requests (never slowing them): mean |primary - shadow| %.2f bookings, shadow latency %.2f ms" % (d["shadow"]["stats"]["requests"], d["shadow"]["stats"]["mean_abs_diff"], d["shadow"]["stats"]["mean_latency_ms"])'
# An A/B split, 80/20: 400 users (one X-Routing-Key each) ask twice; each reaches the same
# variant both times.
"$PLINTH" --token "$ana" endpoints update demand --variant champion=demand@champion=80 \
  --variant challenger=demand:2=20 "${endpoint_spec[@]}" > /dev/null
$PY - "$url" "$sam" <<'AB'
import collections, json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
body = json.dumps({"instances": [{"zone_id": 1, "hour": 8, "day_of_week": 1}]}).encode()
def variant(user):
    req = urllib.request.Request(f"{url}/api/v1/endpoints/demand/predict", data=body, headers={
        "Authorization": f"Bearer {token}", "X-Routing-Key": f"user-{user}"})
    return json.load(urllib.request.urlopen(req))["variant"]
first = {u: variant(u) for u in range(400)}
same = sum(variant(u) == v for u, v in first.items())
count = collections.Counter(first.values())
print(f"A/B 80/20 by X-Routing-Key: champion {count['champion']} users, challenger "
      f"{count['challenger']}; {same} of 400 reached the same variant again")
AB
"$PLINTH" --token "$ana" endpoints update demand --variant champion=demand@champion "${endpoint_spec[@]}" > /dev/null
"$PLINTH" --token "$ana" rollouts start demand demand:2 --steps 5,25,50,100 --step-seconds 0.5 \
  --min-requests 10 --max-mean-shift 6 --max-error-rate 0.01 --wait \
  || echo "(the canary did not promote; the tour goes on)"

step 8/10 "A deliberately bad version: its canary rolls back by itself"
echo "sam trains version 3 with a unit bug (bookings_mean_24h as a 24-hour total); it passes its own gate:"
$PY examples/train_xgboost.py --url "$url" --token "$sam" --experiment demand-forecast \
  --model demand --seed 3 --rounds 100 --training-set "$data/train.csv" --unit-bug | tail -1
"$PLINTH" --token "$raj" versions approve demand 3 --comment "canary it" > /dev/null
"$PLINTH" --token "$ana" rollouts start demand demand:3 --steps 5,25,50,100 --step-seconds 0.5 \
  --min-requests 10 --max-mean-shift 6 --wait || true
for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
background=()
predict_once | json_field '"the endpoint still serves version %d" % d["version"]'

step 9/10 "Monitoring: traffic with a shifted rain distribution"
$PY examples/webhook_receiver.py --port 0 --out "$PLINTH_DATA_DIR/webhook.jsonl" > "$PLINTH_DATA_DIR/webhook.log" &
background+=($!)
for _ in $(seq 100); do [ -s "$PLINTH_DATA_DIR/webhook.log" ] && break; sleep 0.05; done
hook_url=$(sed -n 's/^listening on //p' "$PLINTH_DATA_DIR/webhook.log")
"$PLINTH" --token "$ana" endpoints update demand --variant champion=demand:2 "${endpoint_spec[@]}" \
  --capture 1 > /dev/null
echo "endpoint demand now captures every request (inputs with the features it used, outputs, variant)"
train_sha=$("$PLINTH" datasets show zone_demand_train --json | json_field 'd["versions"][0]["sha256"] if "versions" in d else d["sha256"]')
"$PLINTH" --token "$sam" baselines create demand-ref --blob "$train_sha" --target bookings > /dev/null
echo "baseline demand-ref: a profile of the training set (dataset zone_demand_train, sha256 ${train_sha:0:16}...)"
curl -s -X POST "$url/api/v1/monitors" -H "Authorization: Bearer $sam" \
  -d "{\"name\": \"demand-drift\", \"endpoint\": \"demand\", \"baseline\": \"demand-ref\",
       \"window_seconds\": 5, \"schedule_seconds\": 1,
       \"drift\": {\"method\": \"auto\", \"columns\": [\"temperature\", \"rain\", \"bookings_lag_1h\", \"bookings_mean_24h\"], \"drift_share\": 0.25},
       \"alert\": {\"webhook_url\": \"$hook_url\", \"min_interval_seconds\": 60}}" > /dev/null
echo "monitor demand-drift runs every second on the last 5 s of captured traffic; webhook $hook_url"
$PY - "$data" <<'PYEOF'
import csv, sys
import numpy as np
# 2,000 rows like the training set's, except for a wet front: rain in most hours, and heavier.
rng = np.random.default_rng(16)
columns = ["zone_id", "hour", "day_of_week", "temperature", "rain", "bookings_lag_1h", "bookings_mean_24h"]
with open(f"{sys.argv[1]}/train.csv") as f:
    rows = list(csv.DictReader(f))
with open(f"{sys.argv[1]}/shifted.csv", "w") as f:
    f.write(",".join(columns) + "\n")
    for i in rng.choice(len(rows), 2000, replace=False):
        row = dict(rows[i], rain=f"{rng.exponential(4.0) if rng.random() < 0.7 else 0.0:.2f}")
        f.write(",".join(row[c] for c in columns) + "\n")
PYEOF
"$PLINTH" --token "$sam" predict --endpoint demand --input "$data/shifted.csv" \
  --output "$data/shifted-preds.csv" 2>/dev/null
echo "2,000 requests like the training data, but rain in 70% of the hours (~4 mm) instead of 15%"
for _ in $(seq 150); do [ -s "$PLINTH_DATA_DIR/webhook.jsonl" ] && break; sleep 0.1; done
echo "webhook received -> $(grep -m1 alert.fired "$PLINTH_DATA_DIR/webhook.log" || echo 'nothing yet')"
"$PLINTH" retrain-requests list --endpoint demand

step 10/10 "Governance: lineage and the audit chain"
"$PLINTH" endpoints get demand --json | json_field '"endpoint demand serves demand v%d" % d["variants"][0]["serving_version"]'
"$PLINTH" datasets lineage zone_demand_train
"$PLINTH" audit verify

if [ $keep -eq 1 ]; then
  echo
  echo "The server keeps running (pid $server_pid). Try:"
  echo "  export PLINTH_DATA_DIR=$PLINTH_DATA_DIR"
  echo "  build/plinth models get demand; build/plinth rollouts status demand; build/plinth monitors reports demand-drift --latest"
  echo "Stop it with: kill $server_pid"
fi
