#!/usr/bin/env bash
# JMH for the LB's member channel set-up, Bootstrap clone vs MemberConnector (lb test sources,
# io.stickyring.lb.proxy.MemberChannelBench); writes bench/results/jmh-lb-member.txt. Same settings and
# options as bench/lb/jmh-pick.sh (JMH_OPTS).
set -euo pipefail
BENCH='lb.proxy.MemberChannelBench' OUT=bench/results/jmh-lb-member.txt exec "$(dirname "$0")/jmh-pick.sh" "$@"
