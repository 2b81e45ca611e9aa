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
ROUNDS=${1:-8}
ORDER=${2:-random}
case $ORDER in random|ordered|reverse) ;; *) echo "order must be random, ordered or reverse" >&2; exit 2 ;; esac
JAR=lb-bench/target/lb-bench.jar
[[ -f $JAR ]] || { echo "build first: ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests" >&2; exit 2; }
JAVA_NATIVE="--enable-native-access=ALL-UNNAMED"
OUT=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"' EXIT

java -cp "$JAR" io.lb4j.bench.load.PkiMain --dir "$OUT" >/dev/null
taskset -c 0 java $JAVA_NATIVE -cp "$JAR" io.lb4j.bench.load.BenchHosts --ports 18421,18422,18423 \
  >"$OUT/hosts.log" 2>&1 &
PIDS+=($!)
start_lb() {  # port, extra args...
  local port=$1; shift
  taskset -c 1 java $JAVA_NATIVE -cp "$JAR" io.lb4j.bench.load.Lb4jMain --listen "127.0.0.1:$port" \
    --hosts 127.0.0.1:18421,127.0.0.1:18422,127.0.0.1:18423 \
    --cert "$OUT/server.pem" --key "$OUT/server-key.pem" --ca "$OUT/ca.pem" --io-threads 1 "$@" \
    >"$OUT/lb-$port.log" 2>&1 &
  PIDS+=($!)
  LAST=$!
}
start_lb 18430; PLAIN=$LAST
start_lb 18431 --crl "$OUT/crl-100k.pem"; WITH=$LAST
for port in 18430 18431; do
  for _ in $(seq 1 200); do grep -q "lb4j ready" "$OUT/lb-$port.log" && break; sleep 0.1; done
  grep -q "lb4j ready" "$OUT/lb-$port.log" || { cat "$OUT/lb-$port.log" >&2; exit 1; }
done
LIST_SECOND="no-crl=127.0.0.1:18430@$PLAIN,crl-100k=127.0.0.1:18431@$WITH"
LIST_FIRST="crl-100k=127.0.0.1:18431@$WITH,no-crl=127.0.0.1:18430@$PLAIN"
targets=$LIST_SECOND
[[ $ORDER == reverse ]] && targets=$LIST_FIRST
plan() {
  taskset -c 0 java $JAVA_NATIVE -cp "$JAR" io.lb4j.bench.load.PlanMain --measures handshakes-tls13 \
    --targets "$targets" --cert "$OUT/client.pem" --key "$OUT/client-key.pem" --ca "$OUT/ca.pem" "$@"
}
echo "prewarming both (not recorded)"
plan --warmup 0s --duration 10s >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  if [[ $ORDER == random ]]; then
    if (( RANDOM % 2 )); then targets=$LIST_FIRST; else targets=$LIST_SECOND; fi
  fi
  echo "round $round: ${targets%%=*} first"
  plan --warmup 1s --duration 5s --results "$OUT/results.tsv" --round "$round"
done
echo
java -cp "$JAR" io.lb4j.bench.load.CompareTable "$OUT/results.tsv" crl-100k no-crl
