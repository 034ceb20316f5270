#!/usr/bin/env bash
# Variable latency at one participant: on a fresh local cluster, after a JIT warm-up, alternates
# plain runs of `dtm bench` with runs where every reply of SERVICE is 0-10 ms late (5 +- 5 ms),
# ROUNDS times, and prints one JSON line per run ("plain" or "latency" first). The first warm-up
# (default 180 s) matters: throughput keeps climbing for two to three minutes while eight JVMs
# compile, and a comparison of neighbouring runs during that climb favours the later one.
# Usage: benchmarks/bin/variable-latency.sh [SERVICE] [ROUNDS] [CONCURRENCY] [FIRST_WARMUP_SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
service=${1:-payment}
rounds=${2:-3}
concurrency=${3:-64}
first_warmup=${4:-180}
./dtm --version >/dev/null   # builds on first use
cluster=$(mktemp -d /tmp/dtm-varlat.XXXXXX)
trap './dtm cluster stop --dir "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster"' EXIT INT TERM
./dtm cluster start --dir "$cluster" >/dev/null
config="$cluster/cluster.yaml"
./dtm bench --config "$config" --concurrency "$concurrency" --warmup 0s --duration "${first_warmup}s" --no-floor --json >/dev/null
for _ in $(seq "$rounds"); do
  ./dtm faults "$service" --config "$config" --clear >/dev/null
  echo "plain $(./dtm bench --config "$config" --concurrency "$concurrency" --warmup 10s --duration 30s --no-floor --json)"
  ./dtm faults "$service" --config "$config" --latency-min 0ms --latency-max 10ms >/dev/null
  echo "latency $(./dtm bench --config "$config" --concurrency "$concurrency" --warmup 10s --duration 30s --no-floor --json)"
done
