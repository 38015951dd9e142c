#!/usr/bin/env bash
# gRPC unary calls per second through Bulwark, against the same calls direct to the server and
# through nginx's grpc_pass, the proxies pinned to the same core, in the same run. `make bench-grpc`
# runs it; `GRPC=1 make bench` runs it after bench/run.sh. See docs/performance.md ("gRPC").
#
#   DURATION=10      seconds of each measured h2load run
#   ROUNDS=3         rounds, the cases interleaved in each; figures are the medians
#   WARMUP=30        seconds of load before the first measured run of each JVM: the gRPC server
#                    (in the first direct run) and the gateway
#   NGINX_WARMUP=2   seconds of load before nginx's first run
#   CONNECTIONS=8    h2load connections (-c; -t1 always)
#   STREAMS=16       concurrent streams per connection (-m): CONNECTIONS x STREAMS calls in flight
#   SIZE=64          bytes of each request message (the server echoes it)
#   ACCESS_LOG=1     Bulwark writes its access log (as run.sh's bulwark case); 0: off
#   SERVER_JVM_FLAGS the gRPC server's JVM flags (default: ParallelGC, 256 MiB heap, no leak detection)
#   JVM flags of the gateway: scripts/jvm-flags + $BULWARK_JAVA_OPTS, as ./bulwark and run.sh use
#
# Layout (as run.sh): the proxy under test (Bulwark, or nginx with grpc_pass) on PROXY_CPU (0);
# h2load and the gRPC server (grpc-java on Netty, one JVM, direct executor) share LOAD_CPU (1).
# The server is a real gRPC server: bench/GrpcEcho.java, compiled against the test classpath
# (grpc-java is a test dependency). h2load (Debian's nghttp2-client) sends gRPC unary calls: POST
# with content-type application/grpc, te: trailers and a length-prefixed message, over h2c.
# h2load does not read trailers, so before and after the runs a grpc-java client (GrpcEcho check)
# makes calls through each path and requires status OK and the echo; Bulwark's own
# bulwark_grpc_requests_total then shows the grpc-status of every call it proxied.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-30}
NGINX_WARMUP=${NGINX_WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
STREAMS=${STREAMS:-16}
SIZE=${SIZE:-64}
ACCESS_LOG=${ACCESS_LOG:-1}
SERVER_JVM_FLAGS=${SERVER_JVM_FLAGS:--XX:+UseParallelGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:-UsePerfData -Dio.netty.leakDetection.level=disabled -Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled}

ensure_grpc_tools() {
  local missing=()
  command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
      local alt=("${missing[@]/nginx-light/nginx}")
      apt-get install -y -qq --no-install-recommends "${alt[@]}" >&2 || die "apt-get install ${alt[*]} failed"
    fi
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || die "nginx not found after install"
  "$NGINX" -V 2>&1 | grep -q -- '--with-http_v2_module' || die "$NGINX has no HTTP/2 module"
  ! "$NGINX" -V 2>&1 | grep -q -- '--without-http_grpc_module' || die "$NGINX has no grpc module"
}

ensure_grpc_tools
ensure_java
ensure_jar
bench_init

# --- the gRPC server and checker: bench/GrpcEcho.java against the test classpath ----------------
CP_FILE="$ROOT/target/bench-grpc.classpath"
if [ ! -s "$CP_FILE" ] || [ "$ROOT/pom.xml" -nt "$CP_FILE" ]; then
  log "resolving the test classpath (grpc-java) into $CP_FILE"
  (cd "$ROOT" && mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >&2) ||
    (cd "$ROOT" && mvn -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >&2) ||
    die "mvn dependency:build-classpath failed"
fi
CLASSES="$BENCH_TMP/grpc-classes"
"$JAVA_HOME/bin/javac" -nowarn -cp "$(cat "$CP_FILE")" -d "$CLASSES" "$BENCH_DIR/GrpcEcho.java" || die "bench/GrpcEcho.java did not compile"
GCP="$CLASSES:$(cat "$CP_FILE")"

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/grpc-$STAMP"
mkdir -p "$RES" "$BENCH_TMP/logs"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark gRPC benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
say "java: $("$JAVA" -version 2>&1 | head -n 1); nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $(h2load --version 2>&1 | head -n 1)"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo ', src has local changes'))"
say "gateway JVM flags: $BULWARK_JAVA_OPTS"
say "server JVM flags: $SERVER_JVM_FLAGS"
say "h2load -t1 -c$CONNECTIONS -m$STREAMS -D$DURATION, $SIZE-byte messages, $ROUNDS rounds; warm-up ${WARMUP}s per JVM, ${NGINX_WARMUP}s for nginx; Bulwark access log $([ "$ACCESS_LOG" = 1 ] && echo on || echo off)"
say "CPUs: proxy under test on CPU $PROXY_CPU; h2load and the gRPC server on CPU $LOAD_CPU"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT
wait_port() {
  for _ in $(seq 1 $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

UP_PORT=$(free_port)
# shellcheck disable=SC2086
taskset -c "$LOAD_CPU" "$JAVA" $SERVER_JVM_FLAGS -cp "$GCP" GrpcEcho serve "$UP_PORT" \
  >"$BENCH_TMP/grpc-server.out" 2>&1 &
SERVER_PID=$!
BENCH_PIDS+=("$SERVER_PID")
wait_port "$UP_PORT" 60 || { cat "$BENCH_TMP/grpc-server.out" >&2; die "the gRPC server did not start"; }
log "gRPC server (grpc-java) on 127.0.0.1:$UP_PORT (CPU $LOAD_CPU), pid $SERVER_PID"

# --- nginx: an h2c listener, grpc_pass to the server over kept-alive connections ----------------
NX_PORT=$(free_port)
{
  nginx_main nginx-grpc
  echo "http {"
  nginx_http_common nginx-grpc
  cat <<EOF
  upstream grpc_backend {
    server 127.0.0.1:$UP_PORT;
    keepalive 1024;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:$NX_PORT http2 backlog=4096;
    http2_max_concurrent_streams 1024;
    location / { grpc_pass grpc://grpc_backend; }
  }
}
EOF
} >"$BENCH_TMP/nginx-grpc.conf"
cp "$BENCH_TMP/nginx-grpc.conf" "$RES/"
taskset -c "$PROXY_CPU" "$NGINX" -p "$BENCH_TMP" -e "$BENCH_TMP/nginx-grpc-error.log" -c "$BENCH_TMP/nginx-grpc.conf" \
  >"$BENCH_TMP/nginx-grpc.out" 2>&1 &
NGINX_GRPC_PID=$!
BENCH_PIDS+=("$NGINX_GRPC_PID")
wait_port "$NX_PORT" 20 || { cat "$BENCH_TMP/nginx-grpc-error.log" >&2; die "nginx did not start"; }
log "nginx grpc_pass on 127.0.0.1:$NX_PORT (CPU $PROXY_CPU)"

# --- Bulwark: an h2c listener, one route to an h2c upstream -------------------------------------
GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
if [ "$ACCESS_LOG" = 1 ]; then
  ACCESS_LINE="accessLog: { enabled: true, output: \"$BENCH_TMP/logs/bulwark-access.log\" }"
else
  ACCESS_LINE="accessLog: { enabled: false }"
fi
cat >"$BENCH_TMP/bulwark-grpc.yaml" <<EOF
server:
  listen: "127.0.0.1:$GW_PORT"
  http2: true
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$GW_ADMIN"
observability:
  $ACCESS_LINE
  metrics: { enabled: true }
upstreams:
  echo:
    protocol: h2c
    targets: [ { url: "http://127.0.0.1:$UP_PORT" } ]
routes:
  - { name: echo, match: { path: "/bench.Echo/**" }, upstream: echo }
EOF
cp "$BENCH_TMP/bulwark-grpc.yaml" "$RES/"
start_gateway "$BENCH_TMP/bulwark-grpc.yaml" "$GW_ADMIN" "$PROXY_CPU" bulwark-grpc
log "bulwark: pid $GATEWAY_PID on 127.0.0.1:$GW_PORT (CPU $PROXY_CPU), ready in ${GATEWAY_START_MS} ms"

CASES=(direct nginx bulwark)
declare -A PORT PIDOF
PORT[direct]=$UP_PORT
PORT[nginx]=$NX_PORT
PORT[bulwark]=$GW_PORT
PIDOF[direct]=$SERVER_PID
PIDOF[nginx]=$NGINX_GRPC_PID
PIDOF[bulwark]=$GATEWAY_PID

# check WHEN: a grpc-java client makes 200 calls through every path; each must be OK and echo
check_all() {
  local c out
  for c in "${CASES[@]}"; do
    out=$(taskset -c "$LOAD_CPU" "$JAVA" -Xshare:auto -cp "$GCP" GrpcEcho check "${PORT[$c]}" 200 "$SIZE" 2>&1) ||
      { printf '%s\n' "$out" >&2; die "$1: gRPC calls through $c failed"; }
    say "check $1, $c: $(printf '%s\n' "$out" | tail -n 1)"
  done
}
check_all before

# the request body: one length-prefixed gRPC message (flag 0, 4-byte big-endian length, SIZE bytes)
REQ="$BENCH_TMP/request.bin"
python3 -c 'import struct, sys; n = int(sys.argv[1]); sys.stdout.buffer.write(b"\0" + struct.pack(">I", n) + b"x" * n)' "$SIZE" >"$REQ"

run_h2load() { # OUT PORT SECONDS
  taskset -c "$LOAD_CPU" h2load -t1 -c"$CONNECTIONS" -m"$STREAMS" -D "$3" -d "$REQ" \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$2/bench.Echo/Unary" >"$1" 2>&1 || true
}

# parse_h2load FILE: sets RPS DONE OK FAILED ERRORED MEAN_MS
parse_h2load() {
  local f=$1
  RPS=$(awk '/^finished in/ { print $4; exit }' "$f")
  DONE=$(awk '/^requests:/ { print $6; exit }' "$f")
  OK=$(awk '/^requests:/ { print $8; exit }' "$f")
  FAILED=$(awk '/^requests:/ { print $10; exit }' "$f")
  ERRORED=$(awk '/^requests:/ { print $12 + $14; exit }' "$f")
  MEAN_MS=$(to_ms "$(awk '/^time for request:/ { print $6; exit }' "$f")")
  RPS=${RPS:-0}
  DONE=${DONE:-0}
  OK=${OK:-0}
  FAILED=${FAILED:-0}
  ERRORED=${ERRORED:-0}
}

# thread_ticks PID: "name ticks" for each thread of PID (utime + stime; spaces in names as _)
thread_ticks() {
  local t c st
  for t in /proc/"$1"/task/[0-9]*; do
    c=$(tr ' ' '_' <"$t/comm" 2>/dev/null) || continue
    st=$(sed 's/.*) //' "$t/stat" 2>/dev/null) || continue
    awk -v c="$c" '{ print c, $12 + $13 }' <<<"$st"
  done
}

# thread_top BEFORE AFTER SECONDS: the threads (by name, numbers folded: "GC_Thread#N") that used
# the most CPU between two thread_ticks snapshots, in % of one core
thread_top() {
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  awk -v before="$1" -v after="$2" -v secs="$3" -v hz="$hz" 'BEGIN {
    n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); k = f[1]; gsub(/[0-9]+$/, "N", k); t[k] -= f[2] }
    n = split(after, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); k = f[1]; gsub(/[0-9]+$/, "N", k); t[k] += f[2] }
    for (k in t) if (t[k] > 0) printf "%.1f %s\n", 100 * t[k] / (secs * hz), k }' | sort -gr | head -n 6 |
    awk '{ printf "%s%s %s%%", (NR > 1 ? ", " : ""), $2, $1 }'
}

ERRORS=0
ROWS=()
declare -A ALL_RPS ALL_US ALL_SUS THREADS_OF
measure() { # CASE ROUND
  local name=$1 round=$2 warm=0 pb pa before after c0 c1 other us sus
  if [ "$round" = 1 ]; then
    case $name in nginx) warm=$NGINX_WARMUP ;; *) warm=$WARMUP ;; esac
  fi
  if [ "$warm" -gt 0 ]; then
    log "$name: warm-up ${warm}s"
    run_h2load "$RES/$name-warmup.txt" "${PORT[$name]}" "$warm"
  fi
  sync
  log "$name#$round: measuring ${DURATION}s"
  local tb="" ta=""
  [ "$name" = direct ] || tb=$(thread_ticks "${PIDOF[$name]}")
  pb=$(proc_snapshot); before=$(core_ticks)
  run_h2load "$RES/$name-$round.txt" "${PORT[$name]}" "$DURATION"
  after=$(core_ticks); pa=$(proc_snapshot)
  if [ "$name" = bulwark ]; then
    ta=$(thread_ticks "${PIDOF[$name]}")
    THREADS_OF[$round]=$(thread_top "$tb" "$ta" "$DURATION")
  fi
  parse_h2load "$RES/$name-$round.txt"
  c0=$(core_busy "$before" "$after" 0)
  c1=$(core_busy "$before" "$after" 1)
  other=$(foreign_cpu "$pb" "$pa" "$DURATION" $$ "$SERVER_PID" "$NGINX_GRPC_PID" "$GATEWAY_PID")
  us=$(cpu_us_per_req "$(tree_ticks "$pb" "${PIDOF[$name]}")" "$(tree_ticks "$pa" "${PIDOF[$name]}")" "$DONE")
  sus=$(cpu_us_per_req "$(tree_ticks "$pb" "$SERVER_PID")" "$(tree_ticks "$pa" "$SERVER_PID")" "$DONE")
  if [ "$RPS" = 0 ] || [ "$OK" != "$DONE" ] || [ "$ERRORED" != 0 ]; then
    log "$name#$round: h2load: $DONE done, $OK succeeded, $FAILED failed, $ERRORED errored or timed out"
    tail -n 20 "$RES/$name-$round.txt" >&2
    ERRORS=$((ERRORS + 1))
  fi
  ALL_RPS[$name]="${ALL_RPS[$name]:-} $RPS"
  ALL_US[$name]="${ALL_US[$name]:-} $us"
  ALL_SUS[$name]="${ALL_SUS[$name]:-} $sus"
  ROWS+=("$(printf '%-12s %10.0f %9s %9s %8s %8s %7s %7s %5s %5s %6s' "$name#$round" "$RPS" "$MEAN_MS" "$DONE" "$FAILED" "$ERRORED" "$us" "$sus" "$c0" "$c1" "$other")")
  log "$name#$round: $RPS calls/s, mean ${MEAN_MS}ms, $DONE done ($OK 2xx); ${us} CPU-us/call (server ${sus}); CPU0 ${c0}% CPU1 ${c1}% other ${other}%"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do measure "$c" "$round"; done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f-%.0f", v[1], v[NR] }'; }

say ""
say "$(printf '%-12s %10s %9s %9s %8s %8s %7s %7s %5s %5s %6s' case 'calls/s' 'mean ms' done failed errored 'us/call' 'srv us' CPU0% CPU1% other%)"
for row in "${ROWS[@]}"; do say "$row"; done
say "(us/call: CPU time of the process serving the case (the gRPC server for direct, nginx or the gateway"
say " otherwise) per call; srv us: the gRPC server's CPU time per call in that case; other%: CPU used"
say " meanwhile by processes outside the benchmark, in % of one core)"
say ""

say "Bulwark's busiest threads in each measured run, in % of one core (a JIT still compiling shows as C2/C1_CompilerThre):"
for round in $(seq 1 "$ROUNDS"); do say "  bulwark#$round: ${THREADS_OF[$round]:-}"; done
say ""

check_all after

D=$(median <<<"${ALL_RPS[direct]}")
N=$(median <<<"${ALL_RPS[nginx]}")
B=$(median <<<"${ALL_RPS[bulwark]}")
say "medians (spread over $ROUNDS rounds): direct $D ($(spread <<<"${ALL_RPS[direct]}")), nginx $N ($(spread <<<"${ALL_RPS[nginx]}")), bulwark $B ($(spread <<<"${ALL_RPS[bulwark]}")) calls/s"
say "bulwark / direct: $(ratio "$B" "$D"); bulwark / nginx (grpc_pass): $(ratio "$B" "$N"); nginx / direct: $(ratio "$N" "$D")"
BU=$(median <<<"${ALL_US[bulwark]}")
NU=$(median <<<"${ALL_US[nginx]}")
say "CPU per call (medians; less disturbed by other load than calls/s): bulwark $BU us ($(spread <<<"${ALL_US[bulwark]}")), nginx $NU us ($(spread <<<"${ALL_US[nginx]}")): nginx/bulwark $(ratio "$NU" "$BU")"
say "  the gRPC server per call: direct $(median <<<"${ALL_SUS[direct]}") us, behind nginx $(median <<<"${ALL_SUS[nginx]}") us, behind bulwark $(median <<<"${ALL_SUS[bulwark]}") us"
say "Bulwark's grpc counter after the runs (every call it proxied, warm-ups and checks included):"
curl -fsS "http://127.0.0.1:$GW_ADMIN/metrics" | grep '^bulwark_grpc_requests_total' | sed 's/^/  /' | tee -a "$REPORT" || true
if [ "$ACCESS_LOG" = 1 ]; then
  say "Bulwark access log: $(wc -l <"$BENCH_TMP/logs/bulwark-access.log") lines"
fi
say "nginx error log: $(cat "$BENCH_TMP/nginx-grpc-error.log" 2>/dev/null | wc -l) lines"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "raw h2load output and configs: $RES"

bench_cleanup
[ "$ERRORS" = 0 ] || { log "$ERRORS run(s) had failed or errored calls"; exit 1; }
