#!/usr/bin/env bash
# Compares lb4j with HAProxy on this machine, same work, same single pinned core.
# See lb-bench/README.md. Run from anywhere: lb-bench/compare.sh [options]
set -euo pipefail

usage() {
  cat <<'EOF'
usage: lb-bench/compare.sh [options]

Starts three loopback bench hosts, lb4j and HAProxy (each proxy pinned to core 1 with one
thread, the load generator and the hosts on core 0; see --threads for more), runs every measure
against both in alternating rounds, and prints the medians and the lb4j/HAProxy ratios.

options:
  --rounds N        rounds of every measure against every target [3]
  --quick           a check that the tools work: 1 round, short runs, 1,000 idle connections
  --lb4j MODE       server: the reference server as it ships, bin/lb4j --config of its
                    distribution archive (lb4j-server-*.tar.gz) with the launcher's JVM options,
                    and its authorization, rate limiter, metrics and access log on;
                    library: io.lb4j.bench.load.Lb4jMain, the library alone (ioThreads as
                    --threads);
                    auto: server if its archive exists, else library [auto]
  --only TARGET     run against lb4j or haproxy alone
  --measures LIST   space- or comma-separated, from: up-1 down-1 echo-1 up-16 down-16 echo-16
                    handshakes-tls13 handshakes-tls12 paced-tls13 requests-64 idle-5000
                    first-10s [all of them; first-3s instead of first-10s with --quick];
                    also paced-tls12, and resumed-tls13 and resumed-tls12
                    (handshakes that resume a session ticket of an earlier connection), not run
                    unless named (the number after up/down/echo/requests/idle is the connection
                    count)
  --handshake-rate R  full handshakes started a second, on a fixed schedule, by paced-tls13 and
                    paced-tls12: the same offered load for both proxies [300]
  --allocation LIST after the rounds, bytes lb4j allocates per request and per relayed MB, from
                    a Flight Recorder recording (AllocationMain), for these measures, or none
                    [requests-64 up-1]
  --duration D      measured time of each run, e.g. 5s [4s; 2s with --quick]
  --warmup D        warm-up before each run, after the prewarm [1s]
  --prewarm D       before round 1, unrecorded echo and handshakes against each target for D
                    each, so a JVM's first compilations are not measured; 0 skips [5s; 2s quick]
  --idle-prewarm D  before each memory measure, handshakes that close against its fresh instance
                    for D, unrecorded, so the measure starts from a process that has served load
                    (a JVM that has touched its young generation) [2s; 1s with --quick]
  --budget S        seconds the whole run may take: no round starts that would end after it, with a
                    warning when rounds are dropped [660]
  --out DIR         where results, logs and the table go [lb-bench/target/compare-<time>]
  --starts N        first-Ns: how many fresh starts of each target time exec to listening [5; 3
                    with --quick]
  --first-loads L   first-Ns: the loads run on a fresh instance each from the moment it listens,
                    for N s, from up-N down-N echo-N handshakes-tls13 handshakes-tls12 requests-N
                    ["up-1 handshakes-tls13"]
  --threads N       1: each proxy pinned to core 1 with one thread, load and hosts on core 0;
                    2 or more: nothing pinned, lb4j with ioThreads N, HAProxy with nbthread N, the
                    load generator with N threads, all sharing the machine's cores, and a third
                    target lb4j-1loop (ioThreads 1) for a second table, lb4j/lb4j-1loop, of the
                    CPU per unit of work; idle-N and first-Ns run against lb4j and HAProxy only [1]
  --base-port P     hosts on P+1..P+3, lb4j on P+10, HAProxy on P+11, lb4j admin on P+12,
                    lb4j-1loop on P+13 (admin P+14), the memory instances on P+20..P+22, the
                    first-seconds instances on P+30..P+32 [18400]

first-Ns (the first seconds after a start) runs once, before the rounds, on instances of its own:
--starts times from exec to the port accepting connections (polled every 2 ms), then each of
--first-loads runs on a fresh instance for N s from the moment it listens; the table shows each
figure and its ratio to the same figure of the warmed main instance.

Everything it starts is stopped when it ends, however it ends (Ctrl-C and SIGTERM included).

environment:
  JAVA              the java binary for every JVM [java]
  LB4J_JVM_OPTS     extra JVM options of the lb4j process (none by default: defaults are measured)
  LB4J_LIBRARY_ARGS extra Lb4jMain options in library mode, e.g. "--allow bench --rate-limit"
EOF
}

SCRIPT_STARTED=$(date +%s)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BENCH_JAR=$HERE/target/lb-bench.jar
# The reference server as it ships: the newest distribution archive of lb-example-server.
SERVER_DIST=$(ls "$ROOT"/lb-example-server/target/lb4j-server-*.tar.gz 2>/dev/null | sort | tail -1 || true)
SERVER_BUILD="./mvnw -B -q -pl lb-example-server,lb-bench -am package -DskipTests"
JAVA=${JAVA:-java}
LB4J_JVM_OPTS=${LB4J_JVM_OPTS:-}
LB4J_LIBRARY_ARGS=${LB4J_LIBRARY_ARGS:-}
ALL_MEASURES="up-1 down-1 echo-1 up-16 down-16 echo-16 handshakes-tls13 handshakes-tls12 paced-tls13 requests-64 idle-5000 first-10s"

ROUNDS=""
QUICK=0
LB4J_MODE=auto
ONLY=""
MEASURES=""
DURATION=""
WARMUP=""
PREWARM=""
IDLE_PREWARM=""
BUDGET=660
OUT=""
BASE_PORT=18400
HANDSHAKE_RATE=300
ALLOCATION="requests-64 up-1"
STARTS=""
FIRST_LOADS="up-1 handshakes-tls13"
THREADS=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds|--lb4j|--only|--measures|--duration|--warmup|--prewarm|--idle-prewarm|--budget|--out|--base-port|\
    --handshake-rate|--allocation|--starts|--first-loads|--threads)
      [[ $# -ge 2 ]] || { echo "compare: $1 needs a value (see --help)" >&2; exit 2; } ;;
  esac
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --lb4j) LB4J_MODE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --measures) MEASURES=${2//,/ }; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --prewarm) PREWARM=$2; shift 2 ;;
    --idle-prewarm) IDLE_PREWARM=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --base-port) BASE_PORT=$2; shift 2 ;;
    --handshake-rate) HANDSHAKE_RATE=$2; shift 2 ;;
    --allocation) ALLOCATION=${2//,/ }; shift 2 ;;
    --starts) STARTS=$2; shift 2 ;;
    --first-loads) FIRST_LOADS=${2//,/ }; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-1}
  DURATION=${DURATION:-2s}
  WARMUP=${WARMUP:-1s}
  PREWARM=${PREWARM:-2s}
  IDLE_PREWARM=${IDLE_PREWARM:-1s}
  QUICK_MEASURES=${ALL_MEASURES/idle-5000/idle-1000}
  MEASURES=${MEASURES:-${QUICK_MEASURES/first-10s/first-3s}}
  STARTS=${STARTS:-3}
fi
STARTS=${STARTS:-5}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-4s}
WARMUP=${WARMUP:-1s}
PREWARM=${PREWARM:-5s}
IDLE_PREWARM=${IDLE_PREWARM:-2s}
MEASURES=${MEASURES:-$ALL_MEASURES}

fail() { echo "compare: $*" >&2; exit 2; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || fail "--rounds must be a positive number but was '$ROUNDS'"
[[ $BUDGET =~ ^[1-9][0-9]*$ ]] || fail "--budget must be a number of seconds but was '$BUDGET'"
for m in $MEASURES; do
  [[ $m =~ ^((up|down|echo|requests|idle)-[1-9][0-9]*|(handshakes|resumed|paced)-tls1[23]|first-[1-9][0-9]*s)$ ]] \
    || fail "unknown measure '$m' (see --help)"
done
[[ $HANDSHAKE_RATE =~ ^[1-9][0-9]*$ ]] \
  || fail "--handshake-rate must be a number of handshakes a second but was '$HANDSHAKE_RATE'"
[[ $ALLOCATION == none ]] && ALLOCATION=""
for m in $ALLOCATION; do
  [[ $m =~ ^(up|down|echo|requests)-[1-9][0-9]*$ ]] \
    || fail "--allocation takes requests-N, up-N, down-N or echo-N, or none, but got '$m'"
done
[[ $STARTS =~ ^[1-9][0-9]*$ ]] || fail "--starts must be a positive number but was '$STARTS'"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || fail "--threads must be a positive number but was '$THREADS'"
for m in $FIRST_LOADS; do
  [[ $m =~ ^((up|down|echo|requests)-[1-9][0-9]*|handshakes-tls1[23])$ ]] \
    || fail "--first-loads: '$m' is not a load (see --help)"
done

# ---- what is needed, nothing installed or built here

[[ -r /proc/self/stat ]] || fail "needs Linux's /proc"
for tool in taskset getconf; do
  command -v $tool >/dev/null || fail "needs $tool (util-linux, libc-bin)"
done
[[ $(nproc --all) -ge 2 ]] || fail "needs 2 cores: the proxy on core 1, load and hosts on core 0"
command -v "$JAVA" >/dev/null || fail "no java at '$JAVA' (set JAVA)"

if [[ ! -r $BENCH_JAR ]]; then
  echo "compare: $BENCH_JAR is missing; build it with:" >&2
  echo "  (cd $ROOT && ./mvnw -B -q -pl lb-bench -am package -DskipTests)" >&2
  exit 2
fi

TARGETS="lb4j haproxy"
case "$ONLY" in
  "") ;;
  lb4j|haproxy) TARGETS=$ONLY ;;
  *) fail "--only must be lb4j or haproxy but was '$ONLY'" ;;
esac

# ---- one core or more (--threads): where the proxies and the load run
if (( THREADS > 1 )); then
  # Nothing pinned: every process may run on any core this script may use.
  PROXY_CPUS=$(taskset -pc $$ | sed 's/.*: //')
  LOAD_CPUS=$PROXY_CPUS
  # lb4j with one event loop too, unpinned, for the CPU per unit of work of 1 loop against N.
  [[ " $TARGETS " != *" lb4j "* ]] || TARGETS+=" lb4j-1loop"
else
  PROXY_CPUS=1
  LOAD_CPUS=0
fi
# The targets that get instances of their own for idle-N and first-Ns.
FRESH_TARGETS=${TARGETS/ lb4j-1loop/}

if [[ " $TARGETS " == *" lb4j "* ]]; then
  case "$LB4J_MODE" in
    auto) if [[ -n $SERVER_DIST ]]; then LB4J_MODE=server; else LB4J_MODE=library; fi ;;
    server)
      if [[ -z $SERVER_DIST ]]; then
        echo "compare: the server's distribution archive $ROOT/lb-example-server/target/lb4j-server-*.tar.gz is missing; build it with:" >&2
        echo "  (cd $ROOT && $SERVER_BUILD)" >&2
        exit 2
      fi ;;
    library) ;;
    *) fail "--lb4j must be server, library or auto but was '$LB4J_MODE'" ;;
  esac
fi

if [[ " $TARGETS " == *" haproxy "* ]] && ! command -v haproxy >/dev/null; then
  echo "compare: haproxy is not installed; install it with:" >&2
  echo "  apt-get install -y haproxy" >&2
  exit 2
fi

# The largest idle count decides the file descriptors needed: one per connection in the client,
# two in the proxy, one in the hosts.
MAX_IDLE=0
for m in $MEASURES; do
  if [[ $m == idle-* ]]; then
    n=${m#idle-}
    (( n > MAX_IDLE )) && MAX_IDLE=$n
  fi
done
HARD=$(ulimit -Hn)
if [[ $HARD != unlimited ]]; then
  ulimit -n "$HARD"
  (( 2 * MAX_IDLE + 2000 <= HARD )) \
    || fail "idle-$MAX_IDLE needs $((2 * MAX_IDLE + 2000)) open files in the proxy, the limit is $HARD"
fi
HAPROXY_MAXCONN=$(( MAX_IDLE + 1000 ))

if pgrep -x haproxy >/dev/null; then
  echo "compare: warning: a haproxy this script did not start is running (pid $(pgrep -x haproxy | tr '\n' ' '))" >&2
  echo "compare: it competes for the cores; stop it first (service haproxy stop) for clean figures" >&2
fi

H1=$((BASE_PORT + 1)); H2=$((BASE_PORT + 2)); H3=$((BASE_PORT + 3))
LB4J_PORT=$((BASE_PORT + 10)); HAPROXY_PORT=$((BASE_PORT + 11)); ADMIN_PORT=$((BASE_PORT + 12))
# Second, short-lived instances for the memory measure.
LB4J_IDLE_PORT=$((BASE_PORT + 20)); HAPROXY_IDLE_PORT=$((BASE_PORT + 21)); ADMIN_IDLE_PORT=$((BASE_PORT + 22))
# lb4j with one event loop (--threads N > 1), and the instances of the first seconds (first-Ns).
LB4J_1LOOP_PORT=$((BASE_PORT + 13)); ADMIN_1LOOP_PORT=$((BASE_PORT + 14))
LB4J_FIRST_PORT=$((BASE_PORT + 30)); HAPROXY_FIRST_PORT=$((BASE_PORT + 31)); ADMIN_FIRST_PORT=$((BASE_PORT + 32))

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Milliseconds the kernel has spent under TCP memory pressure since boot (machine-wide): while
# it lasts, loopback segments are dropped and every connection stalls, whoever caused it.
tcp_pressure_ms() {
  awk '/^TcpExt:/ { if (!seen) { for (i = 1; i <= NF; i++) name[i] = $i; seen = 1 }
                    else { for (i = 1; i <= NF; i++) if (name[i] == "TCPMemoryPressuresChrono") print $i; seen = 0 } }' \
    /proc/net/netstat 2>/dev/null | head -1
}
for p in $H1 $H2 $H3 $LB4J_PORT $HAPROXY_PORT $ADMIN_PORT $LB4J_IDLE_PORT $HAPROXY_IDLE_PORT \
    $ADMIN_IDLE_PORT $LB4J_1LOOP_PORT $ADMIN_1LOOP_PORT $LB4J_FIRST_PORT $HAPROXY_FIRST_PORT \
    $ADMIN_FIRST_PORT; do
  port_open "$p" && fail "port $p is taken; choose another --base-port"
done

OUT=${OUT:-$HERE/target/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RESULTS=$OUT/results.tsv
: > "$RESULTS"

# ---- everything started below is stopped on exit, by pid

PIDS=()
WORK=""
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -z $WORK ]] || rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JAVA_NATIVE=--enable-native-access=ALL-UNNAMED

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lb4j-compare.XXXXXX")
PKI=$WORK/pki
# Copies, so that a rebuild in the working tree during the run cannot change what is measured.
cp "$BENCH_JAR" "$WORK/lb-bench.jar"
BENCH_JAR=$WORK/lb-bench.jar
# ---- the reference server, unpacked from its distribution archive into the work folder, started
# by its launcher bin/lb4j with the java of $JAVA (as JAVA_HOME) and LB4J_JVM_OPTS as JAVA_OPTS, which
# the launcher puts after its own options: what is measured is the server as it ships.
if [[ $LB4J_MODE == server && " $TARGETS " == *" lb4j "* ]]; then
  tar -xzf "$SERVER_DIST" -C "$WORK" || fail "cannot unpack $SERVER_DIST; rebuild it with: $SERVER_BUILD"
  SERVER_HOME=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'lb4j-server-*' | head -1)
  [[ -n $SERVER_HOME && -x $SERVER_HOME/bin/lb4j ]] \
    || fail "$SERVER_DIST has no bin/lb4j; rebuild it with: $SERVER_BUILD"
  SERVER_JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")
fi

# The JVM options a running JVM was started with: its command line up to -jar or -cp.
jvm_options_of() {
  tr '\0' '\n' <"/proc/$1/cmdline" | awk 'NR == 1 { next } $0 == "-jar" || $0 == "-cp" { exit }
    { printf "%s%s", sep, $0; sep = " " }'
}

# Waits until a port accepts connections, or fails with the log of the process that should.
wait_port() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 300); do
    port_open "$port" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "compare: the process that should listen on $port exited; its log ($log):" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "compare: nothing listens on $port after 30 s; log $log:" >&2
  tail -20 "$log" >&2
  exit 1
}

# ---- certificates (lb-testkit's TestPki) and hosts

"$JAVA" -cp "$BENCH_JAR" io.lb4j.bench.load.PkiMain --dir "$PKI" >/dev/null

taskset -c "$LOAD_CPUS" "$JAVA" $JAVA_NATIVE -cp "$BENCH_JAR" io.lb4j.bench.load.BenchHosts \
  --ports "$H1,$H2,$H3" >"$OUT/hosts.log" 2>&1 &
PIDS+=($!)
HOSTS_PID=$!
wait_port "$H3" "$HOSTS_PID" "$OUT/hosts.log"

# ---- the proxies

CIPHERS12=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384
CIPHERS13=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256

declare -A PORT PID
PORT[lb4j]=$LB4J_PORT
PORT[haproxy]=$HAPROXY_PORT
PORT[lb4j-idle]=$LB4J_IDLE_PORT
PORT[haproxy-idle]=$HAPROXY_IDLE_PORT
PORT[lb4j-1loop]=$LB4J_1LOOP_PORT
PORT[lb4j-first]=$LB4J_FIRST_PORT
PORT[haproxy-first]=$HAPROXY_FIRST_PORT
# When each instance was started (microseconds since the epoch), and lb4j's event loops where they
# are not --threads.
declare -A EXEC_AT IO_THREADS
IO_THREADS[lb4j-1loop]=1

if [[ " $TARGETS " == *" lb4j "* && $LB4J_MODE == server ]]; then
  cat >"$PKI/lb.yaml" <<EOF
# Written by lb-bench/compare.sh: the same certificates, hosts and policy as haproxy.cfg.
tls:
  certificate: server.pem
  privateKey: server-key.pem
  clientCa: ca.pem
  handshakeTimeout: 10s
ioThreads: $THREADS
upstreams:
  - name: bench
    listen: 127.0.0.1:$LB4J_PORT
    strategy: least-connections
    hosts: [127.0.0.1:$H1, 127.0.0.1:$H2, 127.0.0.1:$H3]
    connectTimeout: 2s
    idleTimeout: 1h
    allow: [bench]
# Far above the load: consulted on every connection, never refuses.
rateLimit:
  default: {connectionsPerSecond: 1000000, burst: 1000000, maxConcurrent: 1000000}
admin:
  listen: 127.0.0.1:$ADMIN_PORT
drainTimeout: 1s
EOF
  cp "$PKI/lb.yaml" "$OUT/lb.yaml"
  sed "s/127.0.0.1:$LB4J_PORT/127.0.0.1:$LB4J_IDLE_PORT/; s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$ADMIN_IDLE_PORT/" \
    "$PKI/lb.yaml" >"$PKI/lb-idle.yaml"
fi

if [[ " $TARGETS " == *" haproxy "* ]]; then
  cat >"$PKI/haproxy.cfg" <<EOF
# Written by lb-bench/compare.sh: the same certificates, hosts and policy as lb.yaml.
global
    nbthread $THREADS
    maxconn $HAPROXY_MAXCONN

defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h

frontend bench
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $PKI/haproxy.pem ca-file $PKI/ca.pem verify required ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 ciphers $CIPHERS12 ciphersuites $CIPHERS13
    maxconn $HAPROXY_MAXCONN
    default_backend hosts

backend hosts
    balance leastconn
    server h1 127.0.0.1:$H1
    server h2 127.0.0.1:$H2
    server h3 127.0.0.1:$H3
EOF
  sed "s|$PKI/|<pki>/|g" "$PKI/haproxy.cfg" >"$OUT/haproxy.cfg"
  sed "s/127.0.0.1:$HAPROXY_PORT /127.0.0.1:$HAPROXY_IDLE_PORT /" "$PKI/haproxy.cfg" \
    >"$PKI/haproxy-idle.cfg"
  haproxy -c -q -f "$PKI/haproxy.cfg" || fail "haproxy rejects the generated configuration"
fi

# The instances of the first seconds (first-Ns) and lb4j with one event loop: other ports.
if [[ " $TARGETS " == *" lb4j "* && $LB4J_MODE == server ]]; then
  sed "s/127.0.0.1:$LB4J_PORT/127.0.0.1:$LB4J_FIRST_PORT/; s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$ADMIN_FIRST_PORT/" \
    "$PKI/lb.yaml" >"$PKI/lb-first.yaml"
  sed "s/127.0.0.1:$LB4J_PORT/127.0.0.1:$LB4J_1LOOP_PORT/; s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$ADMIN_1LOOP_PORT/; s/^ioThreads: .*/ioThreads: 1/" \
    "$PKI/lb.yaml" >"$PKI/lb-1loop.yaml"
  [[ " $TARGETS " != *" lb4j-1loop "* ]] || cp "$PKI/lb-1loop.yaml" "$OUT/lb-1loop.yaml"
fi
if [[ " $TARGETS " == *" haproxy "* ]]; then
  sed "s/127.0.0.1:$HAPROXY_PORT /127.0.0.1:$HAPROXY_FIRST_PORT /" "$PKI/haproxy.cfg" \
    >"$PKI/haproxy-first.cfg"
fi

# Starts a proxy pinned to core 1, its output appended to its log, and waits until it listens.
# An instance is lb4j or haproxy, or lb4j-idle or haproxy-idle: the same on other ports.
start_target() {
  local instance=$1 log=$OUT/$1.log suffix=""
  suffix=${instance#lb4j}; suffix=${suffix#haproxy}
  echo "--- starting $instance at $(date -u +%H:%M:%S)" >>"$log"
  EXEC_AT[$instance]=${EPOCHREALTIME//[.,]/}
  case $instance in
    lb4j*)
      if [[ $LB4J_MODE == server ]]; then
        # The launcher execs the JVM, so the pid is the JVM's.
        JAVA_HOME=$SERVER_JAVA_HOME JAVA_OPTS=$LB4J_JVM_OPTS taskset -c "$PROXY_CPUS" "$SERVER_HOME/bin/lb4j" \
          --config "$PKI/lb$suffix.yaml" >>"$log" 2>&1 &
      else
        # shellcheck disable=SC2086
        taskset -c "$PROXY_CPUS" "$JAVA" $JAVA_NATIVE $LB4J_JVM_OPTS -cp "$BENCH_JAR" io.lb4j.bench.load.Lb4jMain \
          --listen "127.0.0.1:${PORT[$instance]}" \
          --hosts "127.0.0.1:$H1,127.0.0.1:$H2,127.0.0.1:$H3" --cert "$PKI/server.pem" \
          --key "$PKI/server-key.pem" --ca "$PKI/ca.pem" --io-threads "${IO_THREADS[$instance]:-$THREADS}" \
          $LB4J_LIBRARY_ARGS >>"$log" 2>&1 &
      fi ;;
    haproxy*)
      taskset -c "$PROXY_CPUS" haproxy -f "$PKI/haproxy$suffix.cfg" -db >>"$log" 2>&1 & ;;
  esac
  PID[$instance]=$!
  PIDS+=($!)
  # The first seconds' instances are awaited by whoever measures them.
  [[ $instance == *-first ]] || wait_port "${PORT[$instance]}" "${PID[$instance]}" "$log"
}

# Takes pids out of PIDS once their processes are gone, so that cleanup never signals a reused pid.
forget() {
  local kept=() p gone
  for p in "${PIDS[@]}"; do
    for gone in "$@"; do
      [[ $p == "$gone" ]] && continue 2
    done
    kept+=("$p")
  done
  PIDS=("${kept[@]}")
}

# Stops a proxy this script started.
stop_target() {
  local pid=${PID[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

# Sets PLAN to the command that runs named measures (see PlanMain) against instances, each
# measure against each instance in turn, in one load-generator JVM pinned to core 0.
# Arguments: the measures, the instances, then more PlanMain options.
plan_command() {
  local measures=$1 instances=$2 spec="" instance name
  shift 2
  for instance in $instances; do
    name=${instance%-idle}
    spec+="${spec:+,}${name%-first}=127.0.0.1:${PORT[$instance]}@${PID[$instance]}"
  done
  PLAN=(taskset -c "$LOAD_CPUS" "$JAVA" $JAVA_NATIVE -cp "$BENCH_JAR" io.lb4j.bench.load.PlanMain
    --measures "$measures" --targets "$spec"
    --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --ca "$PKI/ca.pem" "$@")
  if (( THREADS > 1 )); then
    PLAN+=(--threads "$THREADS")
  fi
}

# Runs a command in the background, its output appended to a log and, with "show", printed too,
# and waits for it: a signal to this script then ends the wait at once and the exit trap stops
# the command by its pid (a foreground command would delay the trap until it finished).
run_logged() {
  local log=$1 show=$2 offset pid tail_pid="" status=0
  shift 2
  offset=$(( $(stat -c %s "$log" 2>/dev/null || echo 0) + 1 ))
  "$@" >>"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  if [[ $show == show ]]; then
    tail -c +"$offset" --pid="$pid" -f "$log" &
    tail_pid=$!
    PIDS+=("$tail_pid")
  fi
  wait "$pid" || status=$?
  [[ -z $tail_pid ]] || wait "$tail_pid" || true
  forget "$pid" $tail_pid
  return $status
}

# ---- the first seconds after a start (first-Ns)

SLEEP_FD=""
# Sleeps a fraction of a second without starting a process: a read that times out on a pipe that
# nobody writes to.
short_sleep() {
  [[ -n $SLEEP_FD ]] || exec {SLEEP_FD}<> <(:)
  read -r -t "$1" -u "$SLEEP_FD" || true
}

# Sets LISTEN_MS to the milliseconds from a first-seconds instance's exec to its port accepting a
# connection: a connection attempt every 2 ms (a refused one costs this shell about 0.1 ms, and
# starts no process), the one that succeeds closed at once. Exact to about 3 ms.
timed_listen() {
  local instance=$1 fd now deadline
  deadline=$(( ${EXEC_AT[$instance]} + 30000000 ))
  while true; do
    if { exec {fd}<>"/dev/tcp/127.0.0.1/${PORT[$instance]}"; } 2>/dev/null; then
      now=${EPOCHREALTIME//[.,]/}
      exec {fd}>&-
      now=$(( now - ${EXEC_AT[$instance]} ))
      LISTEN_MS=$(( now / 1000 )).$(( now % 1000 / 100 ))
      return 0
    fi
    if ! kill -0 "${PID[$instance]}" 2>/dev/null; then
      echo "compare: $instance exited before it listened; its log ($OUT/$instance.log):" >&2
      tail -20 "$OUT/$instance.log" >&2
      exit 1
    fi
    if (( ${EPOCHREALTIME//[.,]/} > deadline )); then
      echo "compare: nothing listens on ${PORT[$instance]} 30 s after $instance started" >&2
      exit 1
    fi
    short_sleep 0.002
  done
}

# first-Ns, once, before the rounds: --starts fresh starts of each target, timed from exec to
# listening; then each of --first-loads on a fresh instance from the moment it listens, for N s
# with no warm-up. Figures go to the results under the measure first-Ns (CompareTable adds their
# ratios to the warmed main instances' figures).
first_seconds() {
  local m=$1 window=${1#first-} i target instance load offset plan_pid status
  echo
  echo "== $m: exec to listening, $STARTS starts of each; then $FIRST_LOADS for $window on a fresh instance each from the moment it listens"
  for i in $(seq "$STARTS"); do
    for target in $FRESH_TARGETS; do
      instance=$target-first
      start_target "$instance"
      timed_listen "$instance"
      printf '%s\t%d\t%s\tlistening after exec\tms\tlower\t%s\n' "$target" "$i" "$m" "$LISTEN_MS" \
        >>"$RESULTS"
      echo "  $target, start $i: listening $LISTEN_MS ms after exec"
      stop_target "$instance"
    done
  done
  for load in $FIRST_LOADS; do
    for target in $FRESH_TARGETS; do
      instance=$target-first
      echo
      echo "(a fresh $target on port ${PORT[$instance]}: $load from the moment it listens, for $window)"
      # The load generator starts first and says when it is ready; then the target starts, and
      # the generator reads its pid and start time from a file once it listens.
      rm -f "$WORK/plan-ready" "$WORK/$instance.pid"
      PID[$instance]=$WORK/$instance.pid
      plan_command "$load" "$instance" --warmup 0s --duration "$window" --await-listen 60s \
        --ready-file "$WORK/plan-ready" --file-under "$m" --results "$RESULTS" --round 1
      offset=$(( $(stat -c %s "$OUT/load.log" 2>/dev/null || echo 0) + 1 ))
      "${PLAN[@]}" >>"$OUT/load.log" 2>&1 &
      plan_pid=$!
      PIDS+=("$plan_pid")
      while [[ ! -e $WORK/plan-ready ]] && kill -0 "$plan_pid" 2>/dev/null; do
        short_sleep 0.01
      done
      start_target "$instance"
      echo "${PID[$instance]} ${EXEC_AT[$instance]}" >"$WORK/$instance.pid.new"
      mv "$WORK/$instance.pid.new" "$WORK/$instance.pid"
      status=0
      wait "$plan_pid" || status=$?
      forget "$plan_pid"
      tail -c +"$offset" "$OUT/load.log"
      if [[ $status != 0 ]]; then
        echo "compare: $m: $load against a fresh $target failed; going on" >&2
        FAILED=$((FAILED + 1))
      fi
      stop_target "$instance"
    done
  done
}

for target in $TARGETS; do
  start_target "$target"
done

rss_mib() {
  awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null
}

# Memory of the main instances while the rounds run, every 2 s: resident size of each, and for the
# reference server its heap and Netty's direct memory from its /metrics (one scrape costs it about a
# millisecond).
sample_memory() {
  local target line
  while true; do
    for target in $TARGETS; do
      line="$(date +%s)\t$target\t$(rss_mib "${PID[$target]}")"
      if [[ $target == lb4j && $LB4J_MODE == server ]]; then
        line+="\t$(curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '
          /^jvm_memory_used_bytes\{area="heap"/ { used += $NF }
          /^jvm_memory_committed_bytes\{area="heap"/ { committed += $NF }
          /^lb4j_netty_direct_memory_bytes / { direct = $NF }
          END { printf "%.1f\t%.1f\t%.1f", used / 1048576, committed / 1048576, direct / 1048576 }')"
      fi
      echo -e "$line" >>"$OUT/memory.tsv"
    done
    sleep 2
  done
}

# ---- the machine, for the record

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: lb-bench/compare.sh --rounds $ROUNDS --duration $DURATION --warmup $WARMUP --prewarm $PREWARM --idle-prewarm $IDLE_PREWARM --budget $BUDGET --measures '$MEASURES' --handshake-rate $HANDSHAKE_RATE --allocation '${ALLOCATION:-none}' --lb4j $LB4J_MODE${ONLY:+ --only $ONLY} --threads $THREADS --starts $STARTS --first-loads '$FIRST_LOADS'"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc --all) cores"
  echo "kernel: $(uname -r)"
  echo "java: $("$JAVA" -version 2>&1 | head -1)"
  if [[ " $TARGETS " == *" lb4j "* ]]; then
    if [[ $LB4J_MODE == server ]]; then
      echo "lb4j: server mode, bin/lb4j of $(basename "$SERVER_DIST"), JAVA_OPTS: ${LB4J_JVM_OPTS:-(none)}"
      cp "$SERVER_HOME/bin/lb4j" "$OUT/lb4j-launcher"
    else
      echo "lb4j: library mode, JVM options: ${LB4J_JVM_OPTS:-(none)}"
    fi
    LB4J_JVM_LINE=$(jvm_options_of "${PID[lb4j]}")
    echo "lb4j JVM options as started: $LB4J_JVM_LINE"
  fi
  [[ " $TARGETS " == *" haproxy "* ]] && echo "haproxy: $(haproxy -v | head -1), $(haproxy -vv | grep -m1 'Running on OpenSSL')"
  if (( THREADS > 1 )); then
    echo "pinning: none; lb4j with $THREADS event loops (lb4j-1loop with 1), HAProxy with nbthread $THREADS, the load generator with $THREADS threads, hosts, load generator and proxies sharing cores $PROXY_CPUS"
  else
    echo "pinning: proxies on core 1 (one thread each), load generator and hosts on core 0"
  fi
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "TCP memory: net.ipv4.tcp_mem $(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem) pages, now $(awk '/^TCP:/ {print $NF}' /proc/net/sockstat) pages in use"
  for target in $TARGETS; do
    echo "$target resident right after start: $(rss_mib "${PID[$target]}") MiB"
  done
  if [[ " $TARGETS " == *" lb4j "* ]]; then
    # shellcheck disable=SC2086
    echo "lb4j JVM flags in effect (on cores $PROXY_CPUS): $(taskset -c "$PROXY_CPUS" "$JAVA" $LB4J_JVM_LINE \
      -XX:+PrintCommandLineFlags -version 2>&1 | head -1)"
  fi
} | tee "$OUT/machine.txt"
PRESSURE_START=$(tcp_pressure_ms)
: >"$OUT/memory.tsv"
sample_memory &
PIDS+=($!)
SAMPLER_PID=$!

# ---- the rounds

# A JVM compiles its hot paths in its first seconds of load; HAProxy has nothing to compile. Every
# target gets the same unrecorded traffic first, so round 1 measures compiled code too.
if [[ $PREWARM != 0 ]]; then
  echo "prewarming: echo over 16 connections and TLS 1.3 handshakes, $PREWARM each, against $TARGETS (not recorded)"
  plan_command "echo-16 handshakes-tls13" "$TARGETS" --warmup 0s --duration "$PREWARM"
  run_logged "$OUT/prewarm.log" quiet "${PLAN[@]}" \
    || echo "compare: prewarming failed; see $OUT/prewarm.log" >&2
fi

# The memory measures run on instances of their own (see below); the others in one plan a round.
SHARED_MEASURES=""
IDLE_MEASURES=""
for m in $MEASURES; do
  if [[ $m == idle-* ]]; then IDLE_MEASURES+=" $m"; elif [[ $m != first-* ]]; then SHARED_MEASURES+=" $m"; fi
done

echo
echo "rounds: $ROUNDS; measures: $MEASURES; targets: $TARGETS; time budget: $BUDGET s"
echo "results: $RESULTS"
FAILED=0
ROUNDS_DONE=0
for m in $MEASURES; do
  [[ $m != first-* ]] || first_seconds "$m"
done
for round in $(seq "$ROUNDS"); do
  ROUND_STARTED=$(date +%s)
  if [[ -n $SHARED_MEASURES ]]; then
    plan_command "$SHARED_MEASURES" "$TARGETS" --warmup "$WARMUP" --duration "$DURATION" \
      --results "$RESULTS" --round "$round" --handshake-rate "$HANDSHAKE_RATE"
    if ! run_logged "$OUT/load.log" show "${PLAN[@]}"; then
      echo "compare: some runs of round $round failed; see $OUT/load.log" >&2
      FAILED=$((FAILED + 1))
    fi
    for target in $TARGETS; do
      kill -0 "${PID[$target]}" 2>/dev/null || fail "$target exited; see $OUT/$target.log"
    done
  fi
  for m in $IDLE_MEASURES; do
    for target in $FRESH_TARGETS; do
      # A process keeps memory it once used (a JVM its heap, HAProxy its pools), so memory per
      # connection is measured on a second instance started for it, after a short prewarm; the
      # main instance stays as it was, compiled code and all, for the other measures.
      instance=$target-idle
      echo
      echo "(a fresh $target on port ${PORT[$instance]} for $m)"
      start_target "$instance"
      plan_command "$m" "$instance" --idle-prewarm "$IDLE_PREWARM" --results "$RESULTS" \
        --round "$round"
      if ! run_logged "$OUT/load.log" show "${PLAN[@]}"; then
        echo "compare: $m against $target failed; going on" >&2
        FAILED=$((FAILED + 1))
      fi
      stop_target "$instance"
    done
  done
  ROUNDS_DONE=$round
  NOW=$(date +%s)
  if (( round < ROUNDS && NOW - SCRIPT_STARTED + NOW - ROUND_STARTED > BUDGET )); then
    echo
    echo "compare: warning: another round would end after the $BUDGET s budget; stopping after $round of $ROUNDS rounds" >&2
    echo "compare: (a busy machine? see the load average in $OUT/machine.txt; --budget raises it)" >&2
    break
  fi
done

# ---- bytes allocated per unit of work in lb4j, after the rounds so that the recording disturbs
# none of them: a Flight Recorder recording of per-thread allocation while these measures run
# once more against lb4j (AllocationMain); only the bytes per request / per MB go to the results.
if [[ -n $ALLOCATION && " $TARGETS " == *" lb4j "* ]]; then
  # The sampler's /metrics scrapes would count as the server's allocation: the rounds are over.
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  forget "$SAMPLER_PID"
  echo
  echo "allocation: $ALLOCATION against lb4j with a Flight Recorder recording (figures: bytes per unit of work)"
  # shellcheck disable=SC2086
  if ! run_logged "$OUT/allocation.log" show taskset -c "$LOAD_CPUS" "$JAVA" $JAVA_NATIVE -cp "$BENCH_JAR" \
      io.lb4j.bench.load.AllocationMain --measures "$ALLOCATION" \
      --target "lb4j=127.0.0.1:${PORT[lb4j]}@${PID[lb4j]}" \
      --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --ca "$PKI/ca.pem" \
      --warmup "$WARMUP" --duration "$DURATION" --results "$RESULTS" --round 1 --keep "$OUT"; then
    echo "compare: the allocation measure failed; see $OUT/allocation.log" >&2
    FAILED=$((FAILED + 1))
  fi
fi

echo
echo "== lb4j/HAProxy: medians over $ROUNDS_DONE round(s), (lowest–highest); $(( $(date +%s) - SCRIPT_STARTED )) s in all"
echo
if [[ $FRESH_TARGETS == "lb4j haproxy" ]]; then
  "$JAVA" -cp "$BENCH_JAR" io.lb4j.bench.load.CompareTable "$RESULTS" lb4j haproxy | tee "$OUT/table.md"
else
  "$JAVA" -cp "$BENCH_JAR" io.lb4j.bench.load.CompareTable "$RESULTS" "$FRESH_TARGETS" | tee "$OUT/table.md"
fi
if [[ " $TARGETS " == *" lb4j-1loop "* ]]; then
  {
    echo
    echo "== lb4j with $THREADS event loops / lb4j with 1 (both unpinned): CPU per unit of work"
    echo
    "$JAVA" -cp "$BENCH_JAR" io.lb4j.bench.load.CompareTable "$RESULTS" lb4j lb4j-1loop \
      --figures "target cpu" --goal "<= 1.1"
  } | tee -a "$OUT/table.md"
fi
PRESSURE_END=$(tcp_pressure_ms)
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo
for target in $TARGETS; do
  if [[ $target == lb4j && $LB4J_MODE == server ]]; then
    awk -F'\t' '$2 == "lb4j" && $3 != "" { if ($3 > r) r = $3; if ($4 > u) u = $4; if ($5 > c) c = $5;
        if ($6 > d) d = $6; n++ }
      END { printf "lb4j during the rounds (%d samples, peaks): resident %.1f MiB, heap used %.1f MiB, heap committed %.1f MiB, Netty direct %.1f MiB\n", n, r, u, c, d }' \
      "$OUT/memory.tsv"
  else
    awk -F'\t' -v t="$target" '$2 == t && $3 != "" { if ($3 > r) r = $3; n++ }
      END { printf "%s during the rounds (%d samples, peak): resident %.1f MiB\n", t, n, r }' "$OUT/memory.tsv"
  fi
done | tee -a "$OUT/machine.txt"
if [[ -n $PRESSURE_START && -n $PRESSURE_END && $PRESSURE_END != "$PRESSURE_START" ]]; then
  echo "TCP memory pressure during the run: $((PRESSURE_END - PRESSURE_START)) ms" >>"$OUT/machine.txt"
  echo
  echo "compare: warning: the kernel was under TCP memory pressure for $((PRESSURE_END - PRESSURE_START)) ms" \
    "during the run; runs with a 'kernel tcp pressure' note in $OUT/load.log measured the kernel" >&2
fi
echo
echo "results, logs and configurations are in $OUT"
[[ $FAILED == 0 ]] || { echo "compare: $FAILED run(s) failed; see $OUT/load.log" >&2; exit 1; }
