#!/usr/bin/env bash
# Start-up benchmark, run by `make bench-startup` (and by `make bench` with STARTUP_BENCH=1). See the
# Start-up section of docs/performance.md and docs/startup.md.
#
# Measures, for each case, the wall time from launching it to its first proxied 200 (curl polling
# the proxied URL every 10 ms), and the CPU time the process had used by then (user + system, from
# /proc; the JVM's every thread, nginx's master and worker), as medians of ROUNDS rounds; the cases
# take turns within a round, so that a change in the machine's load hits them all alike:
#
#   bulwark-aot        ./bulwark run -c FILE, exactly as a user runs it: the launcher's flags
#                      (scripts/jvm-flags) and the AOT cache target/bulwark.aot from `make build`
#   bulwark            the same with BULWARK_AOT=off: no cache
#   bulwark-aot-warmup the same as bulwark-aot with the default server.warmup (the others run with
#   bulwark-warmup     warmup: 0s, so that the warm-up does not compete with the first request),
#                      and with ready = launch to /health/ready 200 (after the warm-up) as well
#   vertx-pipe-aot     the floor of the stack: bench/VertxPipe.java (a bare Vert.x reverse proxy,
#   vertx-pipe         no config, no routing) with the launcher's flags, with an AOT cache of its
#                      own (trained here on 500 requests) and without one (PIPE=0 leaves them out)
#   nginx              nginx as a reverse proxy (worker_processes 1), from its launch
#   (PRETOUCH=1 adds two reference cases, not targets: the same two gateways with
#   -XX:+AlwaysPreTouch -Xms512m -Xmx512m through BULWARK_JAVA_OPTS, the launcher's heap flags before
#   issue 21, which pre-touched 512 MiB at a cost of 1-2 s before main() on this VM)
#
# One route (/api/**) to an nginx upstream on 127.0.0.1, access log off, metrics on (the default).
# Not pinned: a JVM starts on every CPU it has (JIT and GC threads), like in production.
#
#   ROUNDS=5   rounds (medians over them)
#   PIPE=1     also the vertx-pipe cases (default 1)
#   WARMUP=1   also the cases with the default warm-up (default 1)
#   PRETOUCH=1 also the two cases with the old pre-touched 512 MiB heap (default 0)
#   TARGET_MS=1000  the target for bulwark-aot's median (exit 1 with STRICT=1 when missed)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
PRETOUCH=${PRETOUCH:-0}
PIPE=${PIPE:-1}
WARMUP=${WARMUP:-1}
TARGET_MS=${TARGET_MS:-1000}

ensure_tools
ensure_java
ensure_jar
bench_init

if [ "${BULWARK_AOT:-on}" = off ]; then die "BULWARK_AOT=off is set: unset it (the bench runs both ways itself)"; fi
aot_flag=$("$ROOT/scripts/jvm-flags" "$JAVA_HOME" "$JAR" 2>"$BENCH_TMP/aot-check.err" | tr ' ' '\n' | grep -E '^-XX:(AOTCache|SharedArchiveFile)=' || true)
if [ -z "$aot_flag" ]; then
  cat "$BENCH_TMP/aot-check.err" >&2
  die "no usable AOT cache for $JAR: run 'make build' (it trains target/bulwark.aot)"
fi

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/startup-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark start-up benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB"
say "java: $("$JAVA" -version 2>&1 | head -n 1) ($JAVA_HOME)"
say "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')); cache: ${aot_flag#*=} ($(du -h "${aot_flag#*=}" | cut -f1))"
say "launcher flags: $("$ROOT/scripts/jvm-flags" "$JAVA_HOME" 2>/dev/null)"
say "$ROUNDS round(s), cases interleaved; wall = launch to first proxied 200, cpu = the process's user+system CPU by then"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

UP_PORT=$(free_port)
mkdir -p "$BENCH_TMP/conf"
start_upstream "$UP_PORT" "0-$(($(nproc) - 1))"

GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
cat >"$BENCH_TMP/conf/gateway-warmup.yaml" <<EOF
server:
  listen: "127.0.0.1:$GW_PORT"
  shutdown: { gracePeriod: 1s, drainWindow: 0s }
admin:
  listen: "127.0.0.1:$GW_ADMIN"
observability:
  accessLog: { enabled: false }
upstreams:
  api:
    targets: [ { url: "http://127.0.0.1:$UP_PORT" } ]
routes:
  - name: api
    match: { path: "/api/**" }
    upstream: api
EOF
# the start-up cases: no warm-up (readiness is another figure, of the -warmup cases)
sed 's/^server:$/server:\n  warmup: 0s/' "$BENCH_TMP/conf/gateway-warmup.yaml" >"$BENCH_TMP/conf/gateway.yaml"
grep -q '^  warmup: 0s$' "$BENCH_TMP/conf/gateway.yaml" || die "could not write warmup: 0s into gateway.yaml"
cp "$BENCH_TMP/conf/gateway.yaml" "$BENCH_TMP/conf/gateway-warmup.yaml" "$RES/"

# the floor: a bare Vert.x reverse proxy with the launcher's flags, and an AOT cache of its own
PIPE_PORT=$(free_port)
PIPE_FLAGS=$("$ROOT/scripts/jvm-flags" "$JAVA_HOME" 2>/dev/null)
PIPE_CLASSES="$BENCH_TMP/vertx-pipe.jar"
PIPE_AOT="$BENCH_TMP/vertx-pipe.aot"
if [ "$PIPE" = 1 ]; then
  "$JAVA_HOME/bin/javac" -nowarn -cp "$JAR" -d "$PIPE_CLASSES.d" "$BENCH_DIR/VertxPipe.java" || die "bench/VertxPipe.java did not compile"
  # an AOT cache takes jars only on its class path
  "$JAVA_HOME/bin/jar" cf "$PIPE_CLASSES" -C "$PIPE_CLASSES.d" .
  # shellcheck disable=SC2086
  "$JAVA" $PIPE_FLAGS -XX:AOTCacheOutput="$PIPE_AOT" -cp "$PIPE_CLASSES:$JAR" VertxPipe "$PIPE_PORT" "$UP_PORT" \
    >"$BENCH_TMP/vertx-pipe-train.out" 2>&1 &
  tp=$!
  BENCH_PIDS+=("$tp")
  wait_http "http://127.0.0.1:$PIPE_PORT/api/items/42" 60 || { cat "$BENCH_TMP/vertx-pipe-train.out" >&2; die "vertx-pipe did not start"; }
  for _ in $(seq 1 500); do curl -fsS -o /dev/null "http://127.0.0.1:$PIPE_PORT/api/items/42"; done
  kill -TERM "$tp"
  wait "$tp" 2>/dev/null || true
  [ -s "$PIPE_AOT" ] || { tail -n 20 "$BENCH_TMP/vertx-pipe-train.out" >&2; die "vertx-pipe wrote no AOT cache"; }
fi

NX_PORT=$(free_port)
NX_CONF="$BENCH_TMP/nginx-start.conf"
{
  nginx_main nginxstart
  echo "http {"
  nginx_http_common nginxstart
  cat <<EOF
  upstream backend { server 127.0.0.1:$UP_PORT; keepalive 16; }
  server {
    listen 127.0.0.1:$NX_PORT;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
} >"$NX_CONF"

# cpu_of PID: user + system CPU in ms of PID and its direct children (nginx's worker)
cpu_of() {
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  tree_ticks "$(proc_snapshot)" "$1" | awk -v hz="$hz" '{ printf "%d", $1 * 1000 / hz }'
}

# measure CASE: launches the case, polls until the first proxied 200, stops it; sets WALL (ms) and
# CPU (ms)
measure() {
  local c=$1 url pid t0 t1 conf="$BENCH_TMP/conf/gateway.yaml"
  READY=""
  t0=$(date +%s%N)
  case "$c" in
    vertx-pipe*)
      url="http://127.0.0.1:$PIPE_PORT/api/items/42"
      local cache=""
      [ "$c" != vertx-pipe-aot ] || cache="-XX:AOTCache=$PIPE_AOT"
      # shellcheck disable=SC2086
      "$JAVA" $PIPE_FLAGS $cache -cp "$PIPE_CLASSES:$JAR" VertxPipe "$PIPE_PORT" "$UP_PORT" >"$BENCH_TMP/$c.out" 2>&1 &
      pid=$! ;;
    nginx)
      url="http://127.0.0.1:$NX_PORT/api/items/42"
      "$NGINX" -p "$BENCH_TMP" -e "$BENCH_TMP/nginxstart-error.log" -c "$NX_CONF" >"$BENCH_TMP/nginx.out" 2>&1 &
      pid=$! ;;
    *)
      url="http://127.0.0.1:$GW_PORT/api/items/42"
      local aot=on opts=""
      case "$c" in bulwark|bulwark-pretouch|bulwark-warmup) aot=off ;; esac
      case "$c" in *-pretouch) opts="-XX:+AlwaysPreTouch -Xms512m -Xmx512m" ;; esac
      case "$c" in *-warmup) conf="$BENCH_TMP/conf/gateway-warmup.yaml" ;; esac
      BULWARK_AOT=$aot BULWARK_JAVA_OPTS=$opts "$ROOT/bulwark" run --no-watch -c "$conf" \
        >"$BENCH_TMP/$c.out" 2>&1 &
      pid=$! ;;
  esac
  BENCH_PIDS+=("$pid")
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$BENCH_TMP/$c.out" >&2; die "$c exited before serving"; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  CPU=$(cpu_of "$pid")
  WALL=$(((t1 - t0) / 1000000))
  case "$c" in
    bulwark*)
      until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$GW_ADMIN/health/ready" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || die "$c exited before it was ready"
        sleep 0.01
      done
      READY=$((($(date +%s%N) - t0) / 1000000)) ;;
  esac
  stop_pid "$pid"
}

CASES=(bulwark-aot bulwark)
[ "$WARMUP" != 1 ] || CASES+=(bulwark-aot-warmup bulwark-warmup)
[ "$PRETOUCH" != 1 ] || CASES+=(bulwark-aot-pretouch bulwark-pretouch)
[ "$PIPE" != 1 ] || CASES+=(vertx-pipe-aot vertx-pipe)
CASES+=(nginx)
declare -A WALLS CPUS READIES
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    measure "$c"
    WALLS[$c]+="$WALL "
    CPUS[$c]+="$CPU "
    [ -z "$READY" ] || READIES[$c]+="$READY "
    log "round $r: $c ${WALL} ms (cpu ${CPU} ms)${READY:+, ready ${READY} ms}"
  done
done
# the launcher said nothing about the cache in the cached cases, and one INFO line without it
grep -q "running without the AOT cache" "$BENCH_TMP/bulwark-aot.out" && die "bulwark-aot ran without its cache: $(grep 'without the AOT' "$BENCH_TMP/bulwark-aot.out")"

stat_of() { # values...: median min max
  tr ' ' '\n' <<<"$*" | grep . | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d %d\n", m, v[1], v[NR] }'
}

say ""
say "| case | wall ms, median | min - max | CPU ms, median | min - max | ready ms, median | min - max |"
say "| --- | --- | --- | --- | --- | --- | --- |"
declare -A MED
for c in "${CASES[@]}"; do
  read -r wm wmin wmax < <(stat_of "${WALLS[$c]}")
  read -r cm cmin cmax < <(stat_of "${CPUS[$c]}")
  rd="- | -"
  if [ -n "${READIES[$c]:-}" ]; then read -r rm rmin rmax < <(stat_of "${READIES[$c]}"); rd="$rm | $rmin - $rmax"; fi
  MED[$c]=$wm
  say "| $c | $wm | $wmin - $wmax | $cm | $cmin - $cmax | $rd |"
done
say ""
say "(wall: launch to the first proxied 200; ready: launch to /health/ready 200; the cases without -warmup run with server.warmup: 0s)"
say "bulwark / bulwark-aot (wall): $(ratio "${MED[bulwark]}" "${MED[bulwark-aot]}"); bulwark-aot / nginx: $(ratio "${MED[bulwark-aot]}" "${MED[nginx]}")"
if [ "$PIPE" = 1 ]; then
  say "the floor: vertx-pipe-aot ${MED[vertx-pipe-aot]} ms, vertx-pipe ${MED[vertx-pipe]} ms; bulwark-aot - vertx-pipe-aot: $((MED[bulwark-aot] - MED[vertx-pipe-aot])) ms (what Bulwark's own start adds to a bare Vert.x proxy's, both with an AOT cache)"
fi
met=no
[ "${MED[bulwark-aot]}" -le "$TARGET_MS" ] && met=yes
say "target: bulwark-aot <= $TARGET_MS ms: ${MED[bulwark-aot]} ms ($met)"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "raw: $RES"
for c in "${CASES[@]}"; do echo "$c wall ${WALLS[$c]}cpu ${CPUS[$c]}ready ${READIES[$c]:-}" >>"$RES/raw.txt"; done
cp "$REPORT" "$OUT_DIR/startup-latest.txt"
[ -z "${STRICT:-}" ] || [ "$met" = yes ] || exit 1
exit 0
