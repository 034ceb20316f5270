#!/usr/bin/env bash
# A long Jepsen-style run for soak testing: every nemesis in turn, for SECONDS (default 1800).
# Usage: sudo [STORE=DIR] tests-linearizability/bin/soak.sh [SECONDS] [extra dtm jepsen options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-1800}
shift || true
exec ./dtm jepsen --nemesis all --time-limit "$seconds" --rate 200 --concurrency 16 --store "${STORE:-store/soak}" "$@"
