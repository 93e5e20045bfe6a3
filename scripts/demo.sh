#!/usr/bin/env bash
# The `make demo` tour (shared/DEMO.md): a server on the embedded default, then the loop that
# exists today: tokens and roles, training with the XGBoost example, the MAPE gate, approval with
# separation of duties, aliases and rollback, run search, lineage and the audit chain.
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

step() { printf '\n\033[1m[%s] %s\033[0m\n' "$1" "$2"; }
# json_field EXPR: evaluates a Python expression over the JSON on stdin, bound to d.
json_field() { $PY -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

"$PLINTH" server --host 127.0.0.1 --port 0 > "$PLINTH_DATA_DIR/server.log" 2>&1 &
server_pid=$!
stop_server() { kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; }
[ $keep -eq 1 ] || trap stop_server EXIT
for _ in $(seq 100); do [ -s "$PLINTH_DATA_DIR/server.port" ] && break; sleep 0.05; done
port=$(cat "$PLINTH_DATA_DIR/server.port")

step 1/9 "Server"
echo "plinth listening on http://127.0.0.1:$port; metadata in SQLite (WAL), artifacts by SHA-256"
echo "admin token written to demo-data/admin.token (mode $(stat -c %a "$PLINTH_DATA_DIR/admin.token"))"

step 2/9 "Tokens and roles"
sam=$("$PLINTH" tokens create sam --role scientist --json | json_field 'd["token"]')
ana=$("$PLINTH" tokens create ana --role approver --json | json_field 'd["token"]')
raj=$("$PLINTH" tokens create raj --role approver --json | json_field 'd["token"]')
echo "scientist 'sam', approvers 'ana' and 'raj' created; only their SHA-256 hashes are stored"
if "$PLINTH" --token "$sam" tokens list > /dev/null 2>"$PLINTH_DATA_DIR/err"; then
  echo "unexpected: a scientist listed tokens"; exit 1
fi
echo "sam lists tokens -> $(cat "$PLINTH_DATA_DIR/err")"

step 3/9 "Training (examples/train_xgboost.py, Debian's python3-xgboost)"
$PY examples/train_xgboost.py --url "http://127.0.0.1:$port" --token "$sam" \
  --experiment demand-forecast --model demand --seed 42 --rounds 100

step 4/9 "Gate and approval"
echo "the version waits in $("$PLINTH" versions get demand 1 --json | json_field 'd["status"]')"
"$PLINTH" --token "$sam" versions approve demand 1 > /dev/null 2>"$PLINTH_DATA_DIR/err" || true
echo "sam approves his own version -> $(cat "$PLINTH_DATA_DIR/err")"
"$PLINTH" --token "$ana" versions approve demand 1 --comment "MAPE under the gate" --json \
  | json_field 'd["status"] + " by " + d["decided_by"]'

step 5/9 "Serving: endpoint 'demand' follows the champion alias"
"$PLINTH" --token "$ana" aliases set demand champion 1 > /dev/null
echo "champion -> version 1"
curl -s -X POST "http://127.0.0.1:$port/api/v1/endpoints" -H "Authorization: Bearer $ana" \
  -d '{"name": "demand", "variants": [{"name": "champion", "model": "demand", "alias": "champion"}]}' \
  | json_field 'd["name"] + " serves v" + str(d["variants"][0]["serving_version"]) + " on the " + d["variants"][0]["runtime"] + " runtime"'
predict_once() {
  curl -s -X POST "http://127.0.0.1:$port/api/v1/endpoints/demand/predict" -H "Authorization: Bearer $sam" \
    -d '{"instances": [{"hour": 8, "day_of_week": 1, "temperature": 14.5, "rain": 0.0},
                       {"hour": 18, "day_of_week": 4, "temperature": 9.0, "rain": 3.2}]}'
}
predict_once | json_field '"predictions %s from version %d" % ([round(x, 1) for x in d["predictions"]], d["version"])'

step 6/9 "Aliases: a challenger, promotion and a rollback"
echo "ana trains a challenger herself:"
$PY examples/train_xgboost.py --url "http://127.0.0.1:$port" --token "$ana" \
  --experiment demand-forecast --model demand --seed 7 --rounds 150
"$PLINTH" --token "$ana" versions approve demand 2 > /dev/null 2>"$PLINTH_DATA_DIR/err" || true
echo "ana approves her own version -> $(cat "$PLINTH_DATA_DIR/err")"
"$PLINTH" --token "$raj" versions approve demand 2 --comment "challenger" > /dev/null
echo "raj approves version 2"
"$PLINTH" --token "$ana" aliases set demand champion 2 > /dev/null
moved_ms=$("$PLINTH" aliases get demand champion --json | json_field 'd["set_ms"]')
echo "champion -> version 2; the endpoint follows:"
predict_once | json_field '"predictions %s from version %d" % ([round(x, 1) for x in d["predictions"]], d["version"])'
sleep 0.01
"$PLINTH" --token "$ana" aliases set demand champion 1 > /dev/null
echo "rollback: champion -> version $("$PLINTH" aliases get demand champion --json | json_field 'd["version"]')"
echo "champion at $moved_ms pointed at version $("$PLINTH" aliases get demand champion --at-ms "$moved_ms" --json | json_field 'd["version"]')"

step 7/9 "Experiment tracking"
exp=$("$PLINTH" experiments list --name demand-forecast --json | json_field 'd[0]["id"]')
"$PLINTH" runs search --experiment "$exp" --filter "metrics.mape < 0.15" --order-by "metrics.mape ASC"

step 8/9 "Monitoring: a shifted rain distribution"
$PY - "$PLINTH_DATA_DIR" <<'PYEOF'
import sys
import numpy as np
rng = np.random.default_rng(16)
for name, rain_scale in (("reference", 1.0), ("current", 3.0)):
    n = 5000
    rows = np.column_stack([rng.integers(0, 24, n), rng.integers(0, 7, n),
                            rng.normal(12, 6, n), rng.exponential(rain_scale, n)])
    np.savetxt(f"{sys.argv[1]}/{name}.csv", rows, delimiter=",", fmt="%.4f",
               header="hour,day_of_week,temperature,rain", comments="")
PYEOF
"$PLINTH" drift "$PLINTH_DATA_DIR/reference.csv" "$PLINTH_DATA_DIR/current.csv"

step 9/9 "Governance"
"$PLINTH" versions get demand 1 --json | $PY -c '
import json, sys
v = json.load(sys.stdin)
l = v["lineage"]
print("lineage: demand v%d <- run %s (experiment %s), params %s, artifact sha256 %s..."
      % (v["version"], l["run_id"], l["experiment_id"], l["run_params"], l["artifact_sha256"][:16]))'
"$PLINTH" audit verify

if [ $keep -eq 1 ]; then
  echo
  echo "The server keeps running (pid $server_pid). Try:"
  echo "  export PLINTH_DATA_DIR=$PLINTH_DATA_DIR"
  echo "  build/plinth models get demand; build/plinth audit list"
  echo "Stop it with: kill $server_pid"
fi
