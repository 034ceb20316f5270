#!/usr/bin/env bash
# Short Jepsen-style runs, one per nemesis family (the rogue client rides with the pauses), retention pressure (the log keeps 50 outcomes, so
# resubmissions meet forgotten tids) and skewed clocks (log time must not follow a node hours
# ahead), then the deliberately broken build, which the checkers must catch. CI runs this after `mvn -B verify`; results go to $STORE (default store/ci).
# Needs root, iproute2 and iptables for the partitions (without them they are reported as skipped,
# which makes the run's result unknown, not valid).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
store=${STORE:-store/ci}
failed=()

run() {
  local name=$1
  shift
  echo "== jepsen: $name"
  if ! DTM_SKIP_BUILD=1 ./dtm jepsen --store "$store" "$@"; then
    failed+=("$name")
  fi
}

# The bundled three log groups (leaders on every node, hand-backs when a node returns) for kills,
# membership, partitions, pauses and resubmits; one group (`log.groups: 1`, the most a single small
# machine does) for packet loss and clocks, in one run: both layouts run on every CI, in about 10 minutes.
run kill --nemesis kill-leader,kill-coordinator,kill-participant-after-vote,kill-all-coordinators --time-limit 50 --interval 4s --fault-for 8s
run membership --nemesis replace-node,kill-leader --time-limit 45 --interval 4s --fault-for 8s
run pause --nemesis pause-leader,pause-participant,rogue-client --time-limit 45
run partition --nemesis partition-isolate-leader,partition-halves,partition-majorities-ring,partition-bridge,partition-coordinators-participants,partition-participant-leader,partition-one-way --time-limit 72 --interval 4s --fault-for 8s
run resubmit --nemesis kill-leader,pause-leader --retention 50 --time-limit 45
run packet-loss+clock-skew --log-groups 1 --nemesis packet-loss,clock-skew,clock-skew-apart --time-limit 60

echo "== jepsen: the broken build (COMMIT sent before the decision is logged) must come out invalid"
DTM_SKIP_BUILD=1 ./dtm jepsen --store "$store" --nemesis kill-leader --time-limit 35 --break commit-before-decision
rc=$?
if [ "$rc" -ne 1 ]; then
  echo "the deliberately broken build was not caught: exit $rc, expected 1 (invalid)"
  failed+=("broken-build")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "jepsen: FAILED: ${failed[*]} (see $store/*/latest/report.html)"
  exit 1
fi
echo "jepsen: every scenario valid, and the broken build caught"
