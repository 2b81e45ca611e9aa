#!/usr/bin/env bash
# The cost of one lb4j feature, A against B in the same run: two lb4j instances (the library's
# Lb4jMain, BoringSSL, one event-loop thread, pinned to core 1), one plain and one with the
# feature's options, measured in alternating runs by one load generator on core 0. Prints
# PlanMain's table (the feature's instance against the plain one); docs/benchmarks.md records runs.
#
#   ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests
#   lb-bench/feature-cost.sh ROUNDS MEASURE NAME [ordered|reverse|random] -- LB4J-OPTIONS...
#
# MEASURE is one of PlanMain's (handshakes-tls13, down-1, up-4, ...). In LB4J-OPTIONS, @OUT@ stands
# for the folder of generated certificates and lists. The order: "ordered" (the default) measures
# the feature's instance second in each round, "reverse" first, "random" draws it in each round and
# prints it (the first of a pair has measured worse in earlier runs, whichever it was). Example: lb-bench/feature-cost.sh 3 down-1 bandwidth -- --bandwidth 1000000000
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=$1; MEASURE=$2; NAME=$3; shift 3
ORDER=ordered
case ${1:-} in ordered|reverse|random) ORDER=$1; shift ;; esac
[[ ${1:-} == -- ]] && shift
JAR=lb-bench/target/lb-bench.jar
[[ -f $JAR ]] || { echo "build first: ./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests" >&2; exit 2; }
JAVA_NATIVE="--enable-native-access=ALL-UNNAMED"
OUT=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"' EXIT
FEATURE_ARGS=()
for a in "$@"; do FEATURE_ARGS+=("${a//@OUT@/$OUT}"); done

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
start_lb 18431 "${FEATURE_ARGS[@]}"; WITH=$LAST
for port in 18430 18431; do
  for _ in $(seq 1 200); do grep -q "lb4j ready" "$OUT/lb-$port.log" && break; sleep 0.1; done
  grep -q "lb4j ready" "$OUT/lb-$port.log" || { cat "$OUT/lb-$port.log" >&2; exit 1; }
done
FEATURE_SECOND="without=127.0.0.1:18430@$PLAIN,$NAME=127.0.0.1:18431@$WITH"
FEATURE_FIRST="$NAME=127.0.0.1:18431@$WITH,without=127.0.0.1:18430@$PLAIN"
targets=$FEATURE_SECOND
[[ $ORDER == reverse ]] && targets=$FEATURE_FIRST
plan() {
  taskset -c 0 java $JAVA_NATIVE -cp "$JAR" io.lb4j.bench.load.PlanMain --measures "$MEASURE" \
    --targets "$targets" --cert "$OUT/client.pem" --key "$OUT/client-key.pem" --ca "$OUT/ca.pem" "$@"
}
echo "prewarming both (not recorded)"
plan --warmup 0s --duration 10s >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  if [[ $ORDER == random ]]; then
    if (( RANDOM % 2 )); then targets=$FEATURE_FIRST; else targets=$FEATURE_SECOND; fi
    echo "round $round: ${targets%%=*} first"
  fi
  plan --warmup 1s --duration 5s --results "$OUT/results.tsv" --round "$round"
done
echo
java -cp "$JAR" io.lb4j.bench.load.CompareTable "$OUT/results.tsv" "$NAME" without
