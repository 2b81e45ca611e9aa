#!/usr/bin/env bash
# The cost of checking client certificates against a 100,000-entry revocation list: TLS 1.3
# handshakes against two lb4j instances, one without a list and one with crl-100k.pem (see
# feature-cost.sh for how they run). Prints PlanMain's table; docs/benchmarks.md records a run.
#
#   ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests
#   lb-bench/revocation-cost.sh [rounds, default 3] [reverse: measure the list's instance first]
set -euo pipefail
cd "$(dirname "$0")/.."
exec lb-bench/feature-cost.sh "${1:-3}" handshakes-tls13 crl-100k ${2:-} -- --crl @OUT@/crl-100k.pem
