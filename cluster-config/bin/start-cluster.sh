#!/usr/bin/env bash
# Start the cluster's processes in the background; returns once a leader is elected.
# Same as `./dtm cluster start`; every option of that command works here, e.g.
#   cluster-config/bin/start-cluster.sh --dir /tmp/c2 --config my.yaml
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/dtm" cluster start "$@"
