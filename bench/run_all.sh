#!/usr/bin/env bash
# What `make bench` runs (after `make build`): every benchmark under bench/, each comparing plinth
# with its peer in one run and printing the ratios. Record the figures in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"

echo "== metric logging: plinth vs a FastAPI + uvicorn + sqlite3 peer =="
/usr/bin/python3 bench/metric_logging.py --build-dir "$BUILD_DIR" "$@"

echo
echo "== predict: plinth endpoint vs a FastAPI + uvicorn + xgboost peer =="
/usr/bin/python3 bench/serving/predict_bench.py --build-dir "$BUILD_DIR"

echo
echo "== compiled evaluator vs XGBoosterPredictFromDense (Google Benchmark), batch jobs from CSV =="
/usr/bin/python3 bench/serving/evaluator_bench.py --build-dir "$BUILD_DIR"
/usr/bin/python3 bench/serving/batch_bench.py --build-dir "$BUILD_DIR"

echo
echo "== feature store: historical join and ingest vs pandas merge_asof =="
/usr/bin/python3 bench/features/historical_join.py --build-dir "$BUILD_DIR"
/usr/bin/python3 bench/features/memory_bound.py --build-dir "$BUILD_DIR"

echo
echo "== drift: KS, PSI, JS, Wasserstein on 1,000,000 x 50 vs numpy/scipy =="
"$BUILD_DIR/bench/plinth_bench_drift"

echo "== monitoring: a monitor window over 200,000 and 2,000,000 captured rows (time, peak RSS) =="
"$BUILD_DIR/bench/plinth_bench_monitor_window" 2000000
echo
echo "== online features: POST /api/v1/features/online vs redis GET; in-process lookups =="
/usr/bin/python3 bench/features/online_bench.py --build-dir "$BUILD_DIR"
