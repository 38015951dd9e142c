#!/usr/bin/env bash
# Two Bulwark jars side by side, with vertx-pipe (the floor of the stack) in the same run: is
# Bulwark's own work (its CPU per request minus vertx-pipe's) the same for both? Used for the
# "speed must not change" checks of refactorings (docs/performance.md).
#
#   bash bench/ab.sh OLD.jar NEW.jar
#
#   ROUNDS=3       rounds, each case a new JVM warmed up again; the three cases interleaved
#   DURATION=10    seconds measured per case and round
#   WARMUP=20      seconds of warm-up per JVM
#   CONNECTIONS=64 wrk connections (-t1)
# The route and its access log are run.sh's "bulwark" case. Proxies on CPU 0; wrk and the upstream
# nginx on CPU 1.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: bench/ab.sh OLD.jar NEW.jar"
OLD=$(readlink -f "$1")
NEW=$(readlink -f "$2")
[ -f "$OLD" ] && [ -f "$NEW" ] || die "both jars must exist"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-64}

ensure_tools
ensure_java
bench_init
RES="$OUT_DIR/ab-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RES" "$BENCH_TMP/conf" "$BENCH_TMP/logs"
REPORT="$RES/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
say "Bulwark A/B $(date -u +%Y-%m-%dT%H:%M:%SZ): old $OLD, new $NEW"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
say "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds, warm-up ${WARMUP}s per JVM; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"

declare -A ALL_RPS ALL_US
# one_case NAME ROUND: a new JVM of the case, warmed up, measured, stopped
one_case() {
  local name=$1 round=$2 port admin conf pid pb pa us url
  port=$(free_port)
  case $name in
    vertx-pipe)
      JAR=$NEW
      start_pipe VertxPipe "$port" "$UP_PORT" "$PROXY_CPU"
      pid=$PIPE_PID ;;
    *)
      [ "$name" = old ] && JAR=$OLD || JAR=$NEW
      admin=$(free_port)
      conf="$BENCH_TMP/conf/$name.yaml"
      {
        gateway_head "$port" "$admin" "$BENCH_TMP/logs/$name-access.log" "$UP_PORT"
        printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
      } >"$conf"
      start_gateway "$conf" "$admin" "$PROXY_CPU" "$name"
      pid=$GATEWAY_PID ;;
  esac
  url="http://127.0.0.1:$port/api/items/42"
  run_wrk "$RES/$name-warmup-$round.txt" "$url" "$WARMUP" "$CONNECTIONS"
  sync
  pb=$(proc_snapshot)
  run_wrk "$RES/$name-$round.txt" "$url" "$DURATION" "$CONNECTIONS"
  pa=$(proc_snapshot)
  parse_wrk "$RES/$name-$round.txt"
  us=$(cpu_us_per_req "$(tree_ticks "$pb" "$pid")" "$(tree_ticks "$pa" "$pid")" "$REQS")
  [ "$NON2XX" = 0 ] && [ "$SOCKERR" = 0 ] || die "$name#$round: $NON2XX non-2xx, $SOCKERR socket errors"
  stop_pid "$pid"
  ALL_RPS[$name]="${ALL_RPS[$name]:-} $RPS"
  ALL_US[$name]="${ALL_US[$name]:-} $us"
  say "$(printf '%-12s round %d: %9.0f req/s, %6s CPU-us/request' "$name" "$round" "$RPS" "$us")"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in old new vertx-pipe; do one_case "$c" "$round"; done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }
P=$(median <<<"${ALL_US[vertx-pipe]}")
say ""
say "medians of $ROUNDS rounds (range):"
for c in old new vertx-pipe; do
  say "$(printf '  %-12s %9.0f req/s (%s), %6s CPU-us/request (%s)' "$c" "$(median <<<"${ALL_RPS[$c]}")" "$(range <<<"${ALL_RPS[$c]}")" "$(median <<<"${ALL_US[$c]}")" "$(range <<<"${ALL_US[$c]}")")"
done
O=$(median <<<"${ALL_US[old]}")
N=$(median <<<"${ALL_US[new]}")
say "Bulwark's own work (CPU-us/request over vertx-pipe's median): old $(awk -v a="$O" -v p="$P" 'BEGIN { printf "%.1f", a - p }'), new $(awk -v a="$N" -v p="$P" 'BEGIN { printf "%.1f", a - p }')"
say "new/old throughput: $(ratio "$(median <<<"${ALL_RPS[new]}")" "$(median <<<"${ALL_RPS[old]}")")"
say "report: $REPORT"
