#!/usr/bin/env bash
# The fleet benchmark (issue 18), run by `make bench-fleet` and by `FLEET=1 bash bench/run.sh`.
# See docs/performance.md, "Fleet: propagation and start-up from etcd".
#
# 1. Propagation: a local etcd cluster and FLEET_GATEWAYS gateways in etcd mode (prefix /bulwark).
#    bench/FleetProbe.java writes WARM_WRITES unmeasured routes, then WRITES routes
#    /bulwark/routes/pN (path /pN, upstream: the nginx upstream) through etcd's JSON gateway,
#    one at a time; it times each put's round trip, and polls every gateway (GET /pN) until all
#    answer 200. Reported: p50/p99 of the put, and of the time from the put's answer (the write
#    committed) to every gateway serving the route, and their ratio.
# 2. Start-up: START_ROUTES routes (/svcI/items/{id}) in a file against the same routes in etcd
#    (prefix /bulwark-start, written in txns of 128 puts), START_ROUNDS rounds, interleaved (the
#    order rotates each round), a new JVM each time: the time from launching the process to the
#    first 200 on /svc{START_ROUTES/2}/items/1 and to /health/ready 200, and the CPU time the
#    process used by then. Medians and every round.
#
#   ETCD_MEMBERS=3     etcd members (1 or 3), on loopback ports, data in the temp directory
#   FLEET_GATEWAYS=3   gateways in the propagation test
#   WRITES=200         measured writes; WARM_WRITES=20 unmeasured ones before them
#   POLL_PAUSE_US=1000 pause between two polls of one gateway (0: back to back)
#   BASE_ROUTES=0      routes /svcI/items/{id} under /bulwark before the gateways start (each write
#                      then changes a config of that size: a batch re-binds and re-compiles it all)
#   START_ROUTES=10000, START_ROUNDS=3
#   START_BASE=1       also start a gateway with one route from a file in each round (the JVM's and
#                      the gateway's own start, for reference; START_BASE=0 skips it)
#   PROPAGATION=1, STARTUP=1   run either part alone with the other set to 0
#   GW_CPUS=$PROXY_CPU (0)     taskset CPU list of the gateways; etcd, the upstream nginx and the
#                              probe run on LOAD_CPU (1)
#   JVM flags of the gateways: as bench/run.sh (scripts/jvm-flags + $BULWARK_JAVA_OPTS)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ETCD_MEMBERS=${ETCD_MEMBERS:-3}
FLEET_GATEWAYS=${FLEET_GATEWAYS:-3}
WRITES=${WRITES:-200}
WARM_WRITES=${WARM_WRITES:-20}
POLL_PAUSE_US=${POLL_PAUSE_US:-1000}
START_ROUTES=${START_ROUTES:-10000}
START_ROUNDS=${START_ROUNDS:-3}
START_BASE=${START_BASE:-1}
BASE_ROUTES=${BASE_ROUTES:-0}
PROPAGATION=${PROPAGATION:-1}
STARTUP=${STARTUP:-1}
GW_CPUS=${GW_CPUS:-$PROXY_CPU}
START_TIMEOUT=${START_TIMEOUT:-300}

ensure_tools
ensure_etcd
ensure_java
ensure_jar
bench_init

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/fleet-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark fleet benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB"
say "java: $("$JAVA" -version 2>&1 | head -n 1); etcd: $(etcd --version | awk '/etcd Version/ {print $3}')"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo ', src has local changes'))"
say "JVM flags: $BULWARK_JAVA_OPTS"
say "CPUs: gateways on $GW_CPUS; etcd ($ETCD_MEMBERS member(s)), the upstream nginx and the probe on $LOAD_CPU"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$BENCH_TMP/conf" "$BENCH_TMP/probe-classes"
"$JAVA_HOME/bin/javac" -nowarn -d "$BENCH_TMP/probe-classes" "$BENCH_DIR/FleetProbe.java" || die "bench/FleetProbe.java did not compile"
# probe OUT COMMAND ARGS...: runs FleetProbe on LOAD_CPU with its output in OUT (stderr in OUT.err),
# in the background and waited for, so that a signal ends the script at once and the trap kills
# the probe too; returns the probe's exit status
probe() {
  local out=$1 pid rc=0 keep=() p
  shift
  taskset -c "$LOAD_CPU" "$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$BENCH_TMP/probe-classes" \
    FleetProbe "$@" >"$out" 2>"$out.err" &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
  [ "$rc" = 0 ] || { cat "$out" "$out.err" >&2; log "FleetProbe $1 failed (exit $rc)"; }
  return "$rc"
}
# say_file FILE: every line of FILE into the report
say_file() { while IFS= read -r l; do say "$l"; done <"$1"; }

UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"
start_etcd "$ETCD_MEMBERS" "$LOAD_CPU"
ETCD0=${ETCD_ENDPOINTS%% *}
say "etcd: $ETCD_ENDPOINTS"
log "upstream nginx on 127.0.0.1:$UP_PORT"

# head PORT ADMIN: the parts of a config file that are the same in both modes (no access log:
# neither test is about it)
head_config() {
  cat <<EOF
server:
  listen: "127.0.0.1:$1"
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$2"
observability:
  accessLog: { enabled: false }
EOF
}

# etcd_bootstrap PORT ADMIN PREFIX CACHE_FILE: a bootstrap file of a gateway in etcd mode
etcd_bootstrap() {
  head_config "$1" "$2"
  printf 'configSource:\n  type: etcd\n  etcd:\n    endpoints: ['
  local first=1 e
  for e in $ETCD_ENDPOINTS; do
    [ $first = 1 ] || printf ', '
    printf '"%s"' "$e"
    first=0
  done
  printf ']\n    prefix: %s\n    dialTimeout: 2s\n    cacheFile: "%s"\n' "$3" "$4"
}

# file_config PORT ADMIN N: the same N routes /svcI/items/{id} (GET) plus /api/** in a file
file_config() {
  head_config "$1" "$2"
  printf 'upstreams:\n  api:\n    targets: [ { url: "http://127.0.0.1:%s" } ]\nroutes:\n' "$UP_PORT"
  printf '  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
  awk -v n="$3" 'BEGIN { for (i = 0; i < n; i++) printf "  - name: svc%d\n    match: { path: \"/svc%d/items/{id}\", methods: [GET] }\n    upstream: api\n", i, i }'
}

# launch NAME CONF: starts a gateway on GW_CPUS; sets LAUNCH_PID and LAUNCH_T0 (epoch ns just
# before the launch)
launch() {
  local name=$1 conf=$2
  LAUNCH_T0=$(date +%s%N)
  # shellcheck disable=SC2086
  taskset -c "$GW_CPUS" "$JAVA" $BULWARK_JAVA_OPTS -jar "$JAR" run -c "$conf" \
    >"$BENCH_TMP/$name.out" 2>"$BENCH_TMP/$name.err" &
  LAUNCH_PID=$!
  BENCH_PIDS+=("$LAUNCH_PID")
}

# cpu_ms PID: CPU time (user + system, all threads) the process has used so far, in ms
cpu_ms() {
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  awk -v hz="$hz" '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); printf "%d", (f[12] + f[13]) * 1000 / hz }' "/proc/$1/stat"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }

STATUS=0

# --- 1. propagation --------------------------------------------------------------------------
if [ "$PROPAGATION" = 1 ]; then
  say ""
  say "== propagation: $FLEET_GATEWAYS gateways in etcd mode, $BASE_ROUTES routes to start with, $WRITES writes (after $WARM_WRITES unmeasured), ${POLL_PAUSE_US} us between polls"
  probe "$BENCH_TMP/load.txt" load "$ETCD0" /bulwark "$BASE_ROUTES" "$UP_PORT" || die "could not write to etcd"
  say_file "$BENCH_TMP/load.txt"
  GW_URLS=()
  GW_PIDS=()
  GW_ADMINS=()
  for i in $(seq 1 "$FLEET_GATEWAYS"); do
    port=$(free_port)
    admin=$(free_port)
    etcd_bootstrap "$port" "$admin" /bulwark "$BENCH_TMP/gw$i-cache.json" >"$BENCH_TMP/conf/gw$i.yaml"
    launch "gw$i" "$BENCH_TMP/conf/gw$i.yaml"
    GW_PIDS+=("$LAUNCH_PID")
    GW_URLS+=("127.0.0.1:$port")
    GW_ADMINS+=("$admin")
    wait_http "http://127.0.0.1:$port/api/x" "$START_TIMEOUT" || { tail -n 30 "$BENCH_TMP/gw$i.err" >&2; die "gateway gw$i did not start"; }
    log "gw$i: pid $LAUNCH_PID on 127.0.0.1:$port (admin $admin)"
  done
  CPU_BEFORE=()
  for pid in "${GW_PIDS[@]}"; do CPU_BEFORE+=("$(cpu_ms "$pid")"); done
  PROPAGATED=1
  if probe "$RES/propagation.txt" propagate "$ETCD0" /bulwark "$WRITES" "$WARM_WRITES" "$POLL_PAUSE_US" "$RES/propagation.csv" "${GW_URLS[@]}"; then
    grep -v '^RESULT' "$RES/propagation.txt" >"$BENCH_TMP/propagation-report.txt" || true
    say_file "$BENCH_TMP/propagation-report.txt"
  else
    PROPAGATED=0
    STATUS=1
  fi
  say "etcd member answering the puts: $ETCD0; leader: $(curl -fsS -X POST -d '{}' "$ETCD0/v3/maintenance/status" | tr -d ' \n' | sed -n 's/.*"member_id":"\([0-9]*\)".*"leader":"\([0-9]*\)".*/member \1, leader \2/p')"
  for i in $(seq 1 "$FLEET_GATEWAYS"); do
    n=$(curl -fsS "http://127.0.0.1:${GW_ADMINS[$((i - 1))]}/health/ready" | tr -d ' \n' | sed -n 's/.*"routes":\([0-9]*\).*/\1/p')
    say "gw$i: $n routes in its table at the end"
  done
  for i in $(seq 0 $((FLEET_GATEWAYS - 1))); do
    used=$(($(cpu_ms "${GW_PIDS[$i]}") - CPU_BEFORE[i]))
    say "gw$((i + 1)): $used ms of CPU during the $((WRITES + WARM_WRITES)) writes: $(awk -v u="$used" -v n=$((WRITES + WARM_WRITES)) 'BEGIN { printf "%.1f", u / n }') ms per write (its share of the work, less sensitive to other load than the times)"
  done
  for pid in "${GW_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$PROPAGATED" = 1 ]; then
    logs=()
    for i in $(seq 1 "$FLEET_GATEWAYS"); do logs+=("$BENCH_TMP/gw$i.err"); done
    if probe "$BENCH_TMP/breakdown.txt" breakdown "$RES/propagation.csv" "${logs[@]}"; then
      say_file "$BENCH_TMP/breakdown.txt"
    else
      STATUS=1
    fi
  fi
fi

# --- 2. start-up -----------------------------------------------------------------------------
if [ "$STARTUP" = 1 ]; then
  MODES="file etcd"
  [ "$START_BASE" != 1 ] || MODES+=" base"
  say ""
  say "== start-up with $START_ROUTES routes: file against etcd$([ "$START_BASE" != 1 ] || echo ", and base (a file with one route: the JVM's and the gateway's own start)"); $START_ROUNDS rounds interleaved (the order rotates), a new JVM each"
  probe "$BENCH_TMP/load.txt" load "$ETCD0" /bulwark-start "$START_ROUTES" "$UP_PORT" || die "could not write to etcd"
  say_file "$BENCH_TMP/load.txt"
  declare -A ROUTE_MS READY_MS LISTEN_MS READ_MS CPU_MS
  # log_ms LOG TEXT: milliseconds from LAUNCH_T0 to the first log line containing TEXT
  log_ms() {
    local ts
    ts=$(grep -m1 -F "$2" "$1" | sed -n 's/.*"@timestamp":"\([^"]*\)".*/\1/p')
    [ -n "$ts" ] || { echo "?"; return; }
    echo $((($(date -d "$ts" +%s%N) - LAUNCH_T0) / 1000000))
  }
  # start_once MODE ROUND: one gateway start in MODE (file|etcd|base), measured, then stopped
  start_once() {
    local mode=$1 round=$2 port admin conf name t cpu n known read_ms listen_ms
    port=$(free_port)
    admin=$(free_port)
    name="start-$mode-$round"
    conf="$BENCH_TMP/conf/$name.yaml"
    known="/svc$((START_ROUTES / 2))/items/1"
    case $mode in
      file) file_config "$port" "$admin" "$START_ROUTES" >"$conf" ;;
      base)
        file_config "$port" "$admin" 0 >"$conf"
        known=/api/items/1
        ;;
      etcd)
        rm -f "$BENCH_TMP/start-cache.json"
        etcd_bootstrap "$port" "$admin" /bulwark-start "$BENCH_TMP/start-cache.json" >"$conf"
        ;;
    esac
    sync
    launch "$name" "$conf"
    if ! probe "$BENCH_TMP/$name-probe.txt" startup "$LAUNCH_T0" "$LAUNCH_PID" "http://127.0.0.1:$port$known" "http://127.0.0.1:$admin/health/ready" "$START_TIMEOUT"; then
      tail -n 30 "$BENCH_TMP/$name.err" >&2
      die "$mode start-up, round $round: no 200"
    fi
    t=$(tail -n 1 "$BENCH_TMP/$name-probe.txt")
    cpu=$(cpu_ms "$LAUNCH_PID")
    n=$(curl -fsS "http://127.0.0.1:$admin/health/ready" | tr -d ' \n' | sed -n 's/.*"routes":\([0-9]*\).*/\1/p')
    stop_pid "$LAUNCH_PID"
    # the gateway's own log: when it had read etcd, and when it listened (ms after the launch)
    read_ms=$(log_ms "$BENCH_TMP/$name.err" 'routing config read from etcd')
    listen_ms=$(log_ms "$BENCH_TMP/$name.err" 'bulwark listening on')
    CPU_MS[$mode]="${CPU_MS[$mode]:-} $cpu"
    ROUTE_MS[$mode]="${ROUTE_MS[$mode]:-} ${t% *}"
    READY_MS[$mode]="${READY_MS[$mode]:-} ${t#* }"
    LISTEN_MS[$mode]="${LISTEN_MS[$mode]:-} $listen_ms"
    [ "$mode" != etcd ] || READ_MS[$mode]="${READ_MS[$mode]:-} $read_ms"
    say "$(printf 'round %d %-4s: first 200 on %s after %6s ms, /health/ready 200 after %6s ms (%s routes; config file %s bytes)' \
      "$round" "$mode" "$known" "${t% *}" "${t#* }" "$n" "$(wc -c <"$conf")")"
    say "            its log: $([ "$mode" != etcd ] || echo "etcd read at $read_ms ms, ")listening at $listen_ms ms; CPU used by then (all threads): $cpu ms"
  }
  read -r -a mode_list <<<"$MODES"
  for round in $(seq 1 "$START_ROUNDS"); do
    k=${#mode_list[@]}
    for j in $(seq 0 $((k - 1))); do start_once "${mode_list[$(((j + round - 1) % k))]}" "$round"; done
  done
  say ""
  say "$(printf '%-5s %-24s %-24s %-24s %-24s' mode 'first 200 ms (median, rounds)' '/health/ready ms' 'listening (its log) ms' 'CPU ms')"
  for mode in $MODES; do
    say "$(printf '%-5s %-24s %-24s %-24s %-24s' "$mode" \
      "$(median <<<"${ROUTE_MS[$mode]}") ($(spread <<<"${ROUTE_MS[$mode]}"))" \
      "$(median <<<"${READY_MS[$mode]}") ($(spread <<<"${READY_MS[$mode]}"))" \
      "$(median <<<"${LISTEN_MS[$mode]}") ($(spread <<<"${LISTEN_MS[$mode]}"))" \
      "$(median <<<"${CPU_MS[$mode]}") ($(spread <<<"${CPU_MS[$mode]}"))")"
  done
  say "etcd mode: read from etcd (its log) median $(median <<<"${READ_MS[etcd]:-}") ms ($(spread <<<"${READ_MS[etcd]:-}")) after the launch"
  say "etcd / file: first 200 $(ratio "$(median <<<"${ROUTE_MS[etcd]}")" "$(median <<<"${ROUTE_MS[file]}")"), CPU $(ratio "$(median <<<"${CPU_MS[etcd]}")" "$(median <<<"${CPU_MS[file]}")")"
fi

say ""
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "raw figures (propagation.csv: one row per write, microseconds) and logs: $RES"
cp "$REPORT" "$OUT_DIR/fleet-latest.txt"
exit "$STATUS"
