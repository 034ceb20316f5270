#!/usr/bin/env bash
# The performance suite, side by side in one run on this machine: a fresh local cluster (3 nodes,
# 4 services), `dtm bench` (full 2PC, 4 services per transaction) and the Narayana JTA baseline at
# each concurrency, and `dtm bench --log-only` (the replicated log's own limit) at the same
# concurrency. Prints a table with the ratios and writes everything to OUT (default
# store/perf/<timestamp>): results.jsonl (one JSON object per measurement; a dtm run also has each
# process's CPU and its CPU per committed transaction), latency.png, table.md, cpu.md.
#
# Usage: benchmarks/bin/perf-suite.sh [--concurrency "1 64 256 1024"] [--duration 60] [--warmup 20]
#                                     [--first-warmup 60] [--out DIR] [--config cluster.yaml]
# (--config: the cluster's configuration, e.g. with log.groupCommit.replicationIntervalMs changed;
# its dataDir is replaced by the suite's temporary directory. Default: cluster-config/conf/local.yaml.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

concurrency="1 64 256 1024"
duration=60
warmup=20
first_warmup=60
out="store/perf/$(date -u +%Y%m%dT%H%M%S)"
config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --first-warmup) first_warmup=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 64 ;;
  esac
done

./dtm --version >/dev/null   # builds on first use
jar=$(ls benchmarks/target/benchmarks-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)
if [ -z "$jar" ] || [ ! -d benchmarks/target/lib ]; then
  echo "building the benchmarks module..." >&2
  mvn -q -B install -DskipTests -pl benchmarks -am >&2
  jar=$(ls benchmarks/target/benchmarks-*.jar | grep -v -e sources -e javadoc | head -1)
fi
cp="$jar:benchmarks/target/lib/*"

mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
cluster=$(mktemp -d /tmp/dtm-perf.XXXXXX)
cleanup() { ./dtm cluster stop --dir "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster"; }
trap cleanup EXIT INT TERM

record() {   # record KIND CONCURRENCY JSON
  python3 -c 'import json,sys; r=json.loads(sys.argv[3]); r["kind"]=sys.argv[1]; r["concurrency"]=int(sys.argv[2]); print(json.dumps(r))' "$1" "$2" "$3" >> "$results"
}

echo "machine: $(nproc) cores, $(java -version 2>&1 | sed -n 1p), $(date -u)" | tee "$out/machine.txt"
if [ -n "$config" ]; then
  sed "s|^dataDir:.*|dataDir: $cluster/data|" "$config" > "$cluster/suite-config.yaml"
  ./dtm cluster start --dir "$cluster" --config "$cluster/suite-config.yaml" >/dev/null
else
  ./dtm cluster start --dir "$cluster" >/dev/null
fi
echo "cluster up in $cluster; warming up the JIT for ${first_warmup}s" >&2
./dtm bench --config "$cluster/cluster.yaml" --concurrency 256 --warmup 0s --duration "${first_warmup}s" --no-floor --json >/dev/null

for c in $concurrency; do
  echo "== concurrency $c" >&2
  # CPU of each process while it is measured (from 5 s in to 5 s before the end): what a committed
  # transaction costs each of them.
  ( sleep $((warmup + 5)); python3 benchmarks/bin/cpu-share.py $((duration > 20 ? duration - 10 : duration / 2)) "$cluster" ) \
      > "$cluster/cpu.json" &
  sampler=$!
  r=$(./dtm bench --config "$cluster/cluster.yaml" --concurrency "$c" --warmup "${warmup}s" --duration "${duration}s" --no-floor --json)
  wait "$sampler" || true
  r=$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
try:
    cpu = json.loads(sys.argv[2])
except ValueError:
    cpu = None
if cpu and r.get("committedPerSecond"):
    r["cpu"] = cpu
    per = {n: round(p / 100 * 1e6 / r["committedPerSecond"], 1) for n, p in cpu["cpuPercent"].items()}
    per["machine"] = round(cpu["machineBusyPercent"] / 100 * 1e6 / r["committedPerSecond"], 1)
    r["cpuMicrosPerCommitted"] = per
print(json.dumps(r))' "$r" "$(cat "$cluster/cpu.json" 2>/dev/null)")
  record dtm "$c" "$r"
  r=$(./dtm bench --log-only --config "$cluster/cluster.yaml" --concurrency "$c" --warmup "${warmup}s" --duration "${duration}s" --json)
  record log-only "$c" "$r"
  r=$(java -cp "$cp" io.dtm.bench.NarayanaBaseline --concurrency "$c" --warmup "$warmup" --duration "$duration" --json 2>/dev/null)
  record narayana "$c" "$r"
done

java -cp "$cp" io.dtm.bench.PerfReport "$results" "$out" | tee "$out/table.md"
python3 - "$results" <<'PY' | tee "$out/cpu.md"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if '"cpuMicrosPerCommitted"' in l]
runs = [r for r in runs if r.get("kind") == "dtm"]
if runs:
    names = sorted({n for r in runs for n in r["cpuMicrosPerCommitted"]} - {"machine"}) + ["machine"]
    print("\nCPU per committed transaction (µs; the machine: everything but idle, kernel included)\n")
    print("| clients | committed/s | " + " | ".join(names) + " |")
    print("|---:|---:|" + "---:|" * len(names))
    for r in runs:
        per = r["cpuMicrosPerCommitted"]
        print("| %d | %.0f | " % (r["concurrency"], r["committedPerSecond"])
              + " | ".join("%.0f" % per[n] if n in per else "" for n in names) + " |")
PY
echo "results in $out" >&2
