#!/usr/bin/env bash
# Mirroring's cost to the primary, side by side in one run (`make bench-mirror`, or MIRROR=1 with
# bench/run.sh). One gateway, four routes to the same upstream nginx, measured in interleaved rounds:
#   plain        no mirror
#   mirror-ok    every request copied to a second upstream (the same nginx under another name)
#   mirror-hang  every request copied to a server that accepts and never reads nor answers
#   mirror-down  every request copied to a closed port
# Prints requests/s and p99 of each, and each mirror case's ratio to plain (medians of ROUNDS).
# The issue's "a broken mirror changes nothing for the client" is the hang/down ratio near 1 and
# zero non-2xx; MirrorIT asserts the zero failures, this measures the latency.
#
#   DURATION=10 ROUNDS=3 CONNECTIONS=64 WARMUP=15
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-15}

ensure_tools
ensure_java
ensure_jar
bench_init
STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/mirror-$STAMP"
mkdir -p "$RES"

UP_PORT=$(free_port)
HANG_PORT=$(free_port)
DOWN_PORT=$(free_port)
GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"

# accepts connections and never reads nor answers: a mirror that hangs
taskset -c "$LOAD_CPU" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4096)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$HANG_PORT" &
BENCH_PIDS+=("$!")

conf="$BENCH_TMP/mirror.yaml"
cat >"$conf" <<YAML
server:
  listen: "127.0.0.1:$GW_PORT"
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$GW_ADMIN"
observability:
  accessLog: { enabled: false }
upstreams:
  api: { targets: [ { url: "http://127.0.0.1:$UP_PORT" } ] }
  shadow: { targets: [ { url: "http://127.0.0.1:$UP_PORT" } ] }
  hang: { targets: [ { url: "http://127.0.0.1:$HANG_PORT" } ], timeouts: { connect: 1s, response: 2s } }
  down: { targets: [ { url: "http://127.0.0.1:$DOWN_PORT" } ], timeouts: { connect: 1s } }
routes:
  - { name: plain, match: { path: /plain/** }, upstream: api }
  - { name: mirror-ok, match: { path: /mirror-ok/** }, upstream: api, mirror: { upstream: shadow, percent: 100% } }
  - { name: mirror-hang, match: { path: /mirror-hang/** }, upstream: api, mirror: { upstream: hang, percent: 100% } }
  - { name: mirror-down, match: { path: /mirror-down/** }, upstream: api, mirror: { upstream: down, percent: 100% } }
YAML
start_gateway "$conf" "$GW_ADMIN" "$PROXY_CPU" mirror-gw
log "gateway ready in ${GATEWAY_START_MS} ms; warming up ${WARMUP}s"
CASES=(plain mirror-ok mirror-hang mirror-down)
for c in "${CASES[@]}"; do run_wrk "$RES/warm-$c.txt" "http://127.0.0.1:$GW_PORT/$c/items/1" $((WARMUP / 4 + 1)) "$CONNECTIONS"; done

declare -A RPS_OF P99_OF BAD_OF
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    f="$RES/r$r-$c.txt"
    run_wrk "$f" "http://127.0.0.1:$GW_PORT/$c/items/1" "$DURATION" "$CONNECTIONS"
    parse_wrk "$f"
    RPS_OF[$c]+="$RPS "
    P99_OF[$c]+="$P99 "
    BAD_OF[$c]=$(( ${BAD_OF[$c]:-0} + NON2XX + SOCKERR ))
    log "round $r $c: $RPS req/s, p99 $P99 ms, non-2xx+errors $((NON2XX + SOCKERR))"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f%%", (lo > 0 ? 100 * (hi - lo) / lo : 0) }'; }
curl -fsS "http://127.0.0.1:$GW_ADMIN/metrics" | grep -E '^bulwark_mirror_(requests|dropped|responses)_total' >"$RES/mirror-metrics.txt" || true
{
  echo "mirroring cost, medians of $ROUNDS rounds x ${DURATION}s, $CONNECTIONS connections (gateway on CPU $PROXY_CPU)"
  printf '%-12s %10s %8s %10s %8s %11s %11s %s\n' case req/s spread p99_ms spread rps/plain p99/plain failed
  base_rps=$(echo "${RPS_OF[plain]}" | median)
  base_p99=$(echo "${P99_OF[plain]}" | median)
  for c in "${CASES[@]}"; do
    m=$(echo "${RPS_OF[$c]}" | median)
    p=$(echo "${P99_OF[$c]}" | median)
    printf '%-12s %10.0f %8s %10.2f %8s %11s %11s %s\n' "$c" "$m" "$(echo "${RPS_OF[$c]}" | spread)" "$p" \
      "$(echo "${P99_OF[$c]}" | spread)" "$(ratio "$m" "$base_rps")" "$(ratio "$p" "$base_p99")" "${BAD_OF[$c]}"
  done
  echo "mirror counters after the run:"
  sed 's/^/  /' "$RES/mirror-metrics.txt"
} | tee "$RES/summary.txt"
