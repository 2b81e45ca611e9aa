#!/usr/bin/env bash
# The cost of checking client certificates against a 100,000-entry revocation list: TLS 1.3
# handshakes against two lb4j instances (the library's Lb4jMain, BoringSSL, one event-loop thread,
# pinned to core 1), one without a list and one with crl-100k.pem, in alternating runs from one
# load generator on core 0. Which instance goes first is drawn at random in each round (the first
# of a pair measured worse in earlier runs, whichever it was), and printed; `ordered` keeps the
# list's instance second, `reverse` first. Prints PlanMain's table; docs/benchmarks.md records a
# run. The check alone, without the handshake around it: RevocationCpuMain (CPU time) or the
# RevocationCheck JMH benchmark.
#
#   ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests
#   lb-bench/revocation-cost.sh [rounds, default 8] [random (default) | ordered | reverse]
set -euo pipefail
cd "$(dirname "$0")/.."
exec lb-bench/feature-cost.sh "${1:-8}" handshakes-tls13 crl-100k "${2:-random}" -- \
  --crl @OUT@/crl-100k.pem
