#!/usr/bin/env bash
# Stop every process of a cluster started by start-cluster.sh (SIGTERM, then SIGKILL). Data stays.
# Same as `./dtm cluster stop`, e.g.  cluster-config/bin/stop-cluster.sh --dir /tmp/c2
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/dtm" cluster stop "$@"
