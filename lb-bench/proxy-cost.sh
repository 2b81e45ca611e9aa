#!/usr/bin/env bash
# The cost of sending a PROXY protocol v2 header (with the identity TLVs) to the hosts: TLS 1.3
# handshakes, each a new connection with a 32-byte echo through a host, against two lb4j
# instances (the library's Lb4jMain, BoringSSL, one event-loop thread, pinned to core 1), one
# without and one with `--proxy v2` (its hosts read the header with Netty's decoder), in
# alternating runs from one load generator on core 0. Prints PlanMain's table (connections/s and
# lb4j's CPU per connection); docs/benchmarks.md records a run.
#
#   ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests
#   lb-bench/proxy-cost.sh [rounds, default 3] [reverse: measure the PROXY instance first]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
JAR=lb-bench/target/lb-bench.jar
[[ -f $JAR ]] || { echo "build first: ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests" >&2; exit 2; }
JAVA_NATIVE="--enable-native-access=ALL-UNNAMED"
OUT=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"' EXIT
run() {  # log name, class, args...
  local log=$1 main=$2; shift 2
  taskset -c "$CORE" java $JAVA_NATIVE -cp "$JAR" "io.lb4j.bench.load.$main" "$@" >"$OUT/$log.log" 2>&1 &
  PIDS+=($!)
  LAST=$!
}
java -cp "$JAR" io.lb4j.bench.load.PkiMain --dir "$OUT" >/dev/null
CORE=0 run hosts BenchHosts --ports 18441,18442,18443
CORE=0 run hosts-pp BenchHosts --ports 18444,18445,18446 --accept-proxy
TLS=(--cert "$OUT/server.pem" --key "$OUT/server-key.pem" --ca "$OUT/ca.pem" --io-threads 1)
CORE=1 run lb-plain Lb4jMain --listen 127.0.0.1:18450 --hosts 127.0.0.1:18441,127.0.0.1:18442,127.0.0.1:18443 "${TLS[@]}"
PLAIN=$LAST
CORE=1 run lb-pp Lb4jMain --listen 127.0.0.1:18451 --hosts 127.0.0.1:18444,127.0.0.1:18445,127.0.0.1:18446 "${TLS[@]}" --proxy v2
WITH=$LAST
for log in lb-plain lb-pp; do
  for _ in $(seq 1 200); do grep -q "lb4j ready" "$OUT/$log.log" && break; sleep 0.1; done
  grep -q "lb4j ready" "$OUT/$log.log" || { cat "$OUT/$log.log" >&2; exit 1; }
done
targets="no-proxy=127.0.0.1:18450@$PLAIN,proxy-v2=127.0.0.1:18451@$WITH"
[[ ${2:-} == reverse ]] && targets="proxy-v2=127.0.0.1:18451@$WITH,no-proxy=127.0.0.1:18450@$PLAIN"
plan() {
  taskset -c 0 java $JAVA_NATIVE -cp "$JAR" io.lb4j.bench.load.PlanMain --measures handshakes-tls13 \
    --targets "$targets" \
    --cert "$OUT/client.pem" --key "$OUT/client-key.pem" --ca "$OUT/ca.pem" "$@"
}
echo "prewarming both (not recorded)"
plan --warmup 0s --duration 10s >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  plan --warmup 1s --duration 5s --results "$OUT/results.tsv" --round "$round"
done
echo
java -cp "$JAR" io.lb4j.bench.load.CompareTable "$OUT/results.tsv" proxy-v2 no-proxy
