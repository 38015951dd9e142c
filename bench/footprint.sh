#!/usr/bin/env bash
# Bulwark memory footprint, run by `make bench-footprint`. See docs/performance.md (Footprint).
#
# Starts the gateway with the default JVM flags (scripts/jvm-flags, as ./bulwark run uses; with
# BENCH_JVM_FLAGS, those instead) and the default config apart from the listen addresses and
# server.limits.idleTimeout (10m, so that idle connections stay open while they are counted), and
# reads its resident set size (VmRSS of /proc/PID/status):
#   - idle, SETTLE seconds after /health/ready turned 200 (the start-up warm-up included);
#   - with CONNECTIONS idle keep-alive connections, each of which carried one GET through the
#     gateway to the upstream nginx;
#   - in a new gateway, with CONNECTIONS idle WebSockets through the gateway to a loopback WebSocket
#     upstream (bench/idle_conns.py ws-upstream; each tunnel holds a client and an upstream socket).
# Prints RSS and KB per connection against the targets (idle <= 150 MB, <= 20 KB per keep-alive
# connection).
#
#   CONNECTIONS=5000   connections of each kind
#   SETTLE=5           seconds to wait before each reading
#   STRICT=1           exit 1 when a target is missed
set -euo pipefail
# the launcher's default JVM flags, not the throughput benches' fixed heap (see bench/lib.sh)
BENCH_DEFAULT_FLAGS=1
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

N=${CONNECTIONS:-5000}
SETTLE=${SETTLE:-5}
IDLE_TARGET_MB=150
PER_CONN_TARGET_KB=20

ensure_tools
ensure_java
ensure_jar
command -v python3 >/dev/null 2>&1 || die "python3 is needed for the connection clients"
bench_init

# the client, the gateway (two sockets per WebSocket) and the upstreams each need N+ descriptors
need=$((2 * N + 1024))
if [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
[ "$(ulimit -n)" -ge "$need" ] || die "ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)); $need are needed for $N connections"

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/footprint-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark footprint $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(free -m | awk '/Mem:/ {print $2}') MiB, memory limit of the cgroup: $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo none)"
say "java: $("$JAVA" -version 2>&1 | head -n 1)"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "JVM flags: $BULWARK_JAVA_OPTS"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$BENCH_TMP/conf"
UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"
WS_PORT=$(free_port)
taskset -c "$LOAD_CPU" python3 "$BENCH_DIR/idle_conns.py" ws-upstream "$WS_PORT" >"$BENCH_TMP/ws-upstream.out" 2>&1 &
BENCH_PIDS+=("$!")
wait_http "http://127.0.0.1:$WS_PORT/" 20 || die "the WebSocket upstream did not start"

GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
CONF="$BENCH_TMP/conf/footprint.yaml"
{
  gateway_head "$GW_PORT" "$GW_ADMIN" "$BENCH_TMP/access.log" "$UP_PORT" |
    sed 's/^  shutdown: { gracePeriod: 1s }$/  shutdown: { gracePeriod: 1s }\n  limits: { idleTimeout: 10m }/'
  cat <<EOF
  ws:
    targets: [ { url: "http://127.0.0.1:$WS_PORT" } ]
    maxTunnelsPerTarget: $((N + 100))
routes:
  - name: api
    match: { path: "/api/**" }
    upstream: api
  - name: ws
    match: { path: "/ws/**" }
    upstream: ws
EOF
} >"$CONF"
cp "$CONF" "$RES/"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
rss_detail() { awk '/^(RssAnon|RssFile|RssShmem):/ {printf "%s %s kB  ", $1, $2}' "/proc/$1/status"; }

# connections KIND PATH: opens N idle connections of KIND through the gateway, reads the RSS, closes
# them; sets DELTA_KB
connections() {
  local kind=$1 path=$2 fifo="$BENCH_TMP/$1.fifo" out="$BENCH_TMP/$1-client.out" before after
  before=$(rss_kb "$GATEWAY_PID")
  mkfifo "$fifo"
  taskset -c "$LOAD_CPU" python3 "$BENCH_DIR/idle_conns.py" "$kind" "$N" 127.0.0.1 "$GW_PORT" "$path" <"$fifo" >"$out" 2>&1 &
  local client=$!
  BENCH_PIDS+=("$client")
  exec 7>"$fifo"
  for _ in $(seq 1 1200); do
    grep -q '^open' "$out" 2>/dev/null && break
    kill -0 "$client" 2>/dev/null || { cat "$out" >&2; die "the $kind client failed"; }
    sleep 0.1
  done
  grep -q '^open' "$out" || die "the $kind client did not open $N connections in 120 s"
  sleep "$SETTLE"
  after=$(rss_kb "$GATEWAY_PID")
  local conns
  conns=$(curl -fsS "http://127.0.0.1:$GW_ADMIN/metrics" 2>/dev/null | awk '/^bulwark_client_connections / {print $2}' || true)
  say "$kind: $N idle connections open (gateway counts ${conns:-?}): RSS $((after / 1024)) MB ($(rss_detail "$GATEWAY_PID"))"
  DELTA_KB=$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')
  exec 7>&-
  wait "$client" 2>/dev/null || true
}

launch() {
  start_gateway "$CONF" "$GW_ADMIN" "$PROXY_CPU" "footprint-$1"
  sleep "$SETTLE"
  IDLE_KB=$(rss_kb "$GATEWAY_PID")
  say "$1 gateway: pid $GATEWAY_PID ready in ${GATEWAY_START_MS} ms; idle RSS $((IDLE_KB / 1024)) MB ($(rss_detail "$GATEWAY_PID"))"
}

MISSED=0
judge() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then v=met; else v=MISSED; MISSED=$((MISSED + 1)); fi; }

launch first
IDLE1=$IDLE_KB
connections http /api/items/42
HTTP_KB=$DELTA_KB
stop_gateway

launch second
IDLE2=$IDLE_KB
connections ws /ws/socket
WS_KB=$DELTA_KB
stop_gateway

say ""
IDLE_MB=$(awk -v a="$IDLE1" -v b="$IDLE2" 'BEGIN { printf "%.0f", (a < b ? a : b) / 1024 }')
judge "$IDLE_MB" "$IDLE_TARGET_MB"
say "idle RSS: $((IDLE1 / 1024)) MB and $((IDLE2 / 1024)) MB (two gateways) (target <= $IDLE_TARGET_MB MB: $v)"
judge "$HTTP_KB" "$PER_CONN_TARGET_KB"
say "keep-alive connections: $HTTP_KB KB of RSS each (target <= $PER_CONN_TARGET_KB KB: $v)"
say "WebSockets (client + upstream socket each): $WS_KB KB of RSS each"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$REPORT" "$OUT_DIR/footprint-latest.txt"
[ -z "${STRICT:-}" ] || [ "$MISSED" = 0 ] || exit 1
