#!/usr/bin/env bash
# Show each node's role, term, commit and applied index, and the leader.
# Same as `./dtm cluster status`, e.g.  cluster-config/bin/status.sh --json
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/dtm" cluster status "$@"
