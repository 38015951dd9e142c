#!/usr/bin/env bash
# Bulwark warm-up benchmark, run by `make bench-warmup` (and by `make bench` with WARMUP_BENCH=1).
# See docs/performance.md (Warm-up).
#
# For each mode, a new gateway (JVM flags of scripts/jvm-flags, as ./bulwark run; BENCH_JVM_FLAGS
# replaces them) is started pinned to CPU 0, and as soon as /health/ready answers 200 wrk (-t1,
# pinned to CPU 1 with the upstream nginx, as in bench/run.sh) measures the first WINDOW seconds;
# then LOAD seconds more of load, then a WINDOW-second run of the same JVM warm. The ratio of the
# two is what the start-up costs the first clients. The gateway's own CPU time per request in each
# window is recorded too (its threads, the JIT compilers included): warm/first of that is the same
# ratio in CPU, which other load on the machine disturbs much less than requests per second.
#   aot-warmup-on:  as ./bulwark runs after `make build`: the AOT cache (target/bulwark.aot, which
#                   carries the training run's method profiles) and the default config
#                   (server.warmup: its default, or SERVER_WARMUP when set); the target is judged here
#   aot-warmup-off: the AOT cache, server.warmup: 0s (readiness as soon as the listeners are bound)
#   warmup-on:      no AOT cache, the default warm-up
#   warmup-off:     no AOT cache, no warm-up
#
#   WINDOW=10        seconds of each measured run
#   LOAD=20          seconds of load between the first window and the warm one
#   CONNECTIONS=64   wrk connections
#   ROUNDS=3         fresh gateways per mode (interleaved); the ratios use the medians
#   SERVER_WARMUP=   a server.warmup value for the -on modes (default: the config default)
#   MODES="..."      the modes to run (default: all four; the AOT ones need `make build`'s cache)
#   STRICT=1         exit 1 when warmup-on misses the target (first window >= 0.8 of warm)
set -euo pipefail
# the launcher's default JVM flags, not the throughput benches' fixed heap (see bench/lib.sh)
BENCH_DEFAULT_FLAGS=1
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

WINDOW=${WINDOW:-10}
LOAD=${LOAD:-20}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
TARGET=0.8

ensure_tools
ensure_java
ensure_jar
bench_init

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/warmup-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark warm-up benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
say "java: $("$JAVA" -version 2>&1 | head -n 1)"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "JVM flags: $BULWARK_JAVA_OPTS"
say "wrk -t1 -c$CONNECTIONS: the first ${WINDOW}s after /health/ready turned 200, then ${LOAD}s of load, then ${WINDOW}s warm; $ROUNDS fresh gateway(s) per mode"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$BENCH_TMP/conf"
UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"

gw_config() { # MODE PORT ADMIN
  gateway_head "$2" "$3" "$BENCH_TMP/$1-access.log" "$UP_PORT" | awk -v mode="$1" -v w="${SERVER_WARMUP:-}" '
    { print }
    /^server:/ { if (mode ~ /warmup-off$/) print "  warmup: 0s"; else if (w != "") print "  warmup: " w }'
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# max latency of a wrk run, in ms
max_ms() { to_ms "$(awk '/^    Latency/ {print $4; exit}' "$1")"; }

declare -A COLD WARM RATIO MAXL READY US1 US2 CPUR
read -r -a MODES <<<"${MODES:-aot-warmup-on aot-warmup-off warmup-on warmup-off}"
# the launcher's AOT cache flag for this jar and these flags (empty when there is no usable cache)
AOT_OPT=$("$ROOT/scripts/jvm-flags" "$JAVA_HOME" "$JAR" 2>/dev/null | tr ' ' '\n' | grep -E '^-XX:(AOTCache|SharedArchiveFile)=' || true)
case " ${MODES[*]}" in
  *" aot-"*) [ -n "$AOT_OPT" ] || die "no usable AOT cache for $JAR: run 'make build' (or MODES=\"warmup-on warmup-off\")" ;;
esac
say "AOT cache for the aot- modes: ${AOT_OPT:-none}"
BASE_OPTS=$BULWARK_JAVA_OPTS
TARGET_MODE=warmup-on
case " ${MODES[*]} " in *" aot-warmup-on "*) TARGET_MODE=aot-warmup-on ;; esac
ERRORS=0
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${MODES[@]}"; do
    port=$(free_port); admin=$(free_port)
    conf="$BENCH_TMP/conf/$mode.yaml"
    gw_config "$mode" "$port" "$admin" >"$conf"
    cp "$conf" "$RES/$mode.yaml"
    url="http://127.0.0.1:$port/api/items/42"
    BULWARK_JAVA_OPTS=$BASE_OPTS
    case "$mode" in aot-*) BULWARK_JAVA_OPTS="$BASE_OPTS $AOT_OPT" ;; esac
    start_gateway "$conf" "$admin" "$PROXY_CPU" "$mode-$round"
    BULWARK_JAVA_OPTS=$BASE_OPTS
    done_line=$(grep -ho 'warm-up done: [^"]*' "$BENCH_TMP/$mode-$round.out" "$BENCH_TMP/$mode-$round.err" 2>/dev/null | head -n 1 || true)
    [ -z "$done_line" ] || log "$mode round $round: $done_line"
    ready_ms=$GATEWAY_START_MS
    pb=$(proc_snapshot)
    run_wrk "$RES/$mode-$round-first.txt" "$url" "$WINDOW" "$CONNECTIONS"
    pa=$(proc_snapshot)
    parse_wrk "$RES/$mode-$round-first.txt"
    cold=$RPS; e1=$((NON2XX + SOCKERR)); maxl=$(max_ms "$RES/$mode-$round-first.txt")
    us1=$(cpu_us_per_req "$(tree_ticks "$pb" "$GATEWAY_PID")" "$(tree_ticks "$pa" "$GATEWAY_PID")" "$REQS")
    run_wrk "$RES/$mode-$round-load.txt" "$url" "$LOAD" "$CONNECTIONS"
    pb=$(proc_snapshot)
    run_wrk "$RES/$mode-$round-warm.txt" "$url" "$WINDOW" "$CONNECTIONS"
    pa=$(proc_snapshot)
    parse_wrk "$RES/$mode-$round-warm.txt"
    warm=$RPS; e2=$((NON2XX + SOCKERR))
    us2=$(cpu_us_per_req "$(tree_ticks "$pb" "$GATEWAY_PID")" "$(tree_ticks "$pa" "$GATEWAY_PID")" "$REQS")
    stop_gateway
    if [ "$e1" != 0 ] || [ "$e2" != 0 ] || [ "$cold" = 0 ] || [ "$warm" = 0 ]; then
      log "$mode round $round: errors or non-2xx ($e1 in the first window, $e2 warm)"
      ERRORS=$((ERRORS + 1))
    fi
    r=$(ratio "$cold" "$warm")
    COLD[$mode]="${COLD[$mode]:-} $cold"
    WARM[$mode]="${WARM[$mode]:-} $warm"
    RATIO[$mode]="${RATIO[$mode]:-} $r"
    MAXL[$mode]="${MAXL[$mode]:-} $maxl"
    cr=$(ratio "$us2" "$us1")
    US1[$mode]="${US1[$mode]:-} $us1"
    US2[$mode]="${US2[$mode]:-} $us2"
    CPUR[$mode]="${CPUR[$mode]:-} $cr"
    READY[$mode]="${READY[$mode]:-} $ready_ms"
    log "$mode round $round: ready in $ready_ms ms; first ${WINDOW}s $cold req/s (max latency $maxl ms, $us1 CPU-us/req), warm $warm req/s ($us2 CPU-us/req); ratio $r, in CPU $cr; load $(cut -d' ' -f1 /proc/loadavg)"
  done
done

say ""
say "$(printf '%-15s %9s %12s %11s %11s %12s %9s %9s %11s %12s' mode 'ready ms' 'first req/s' 'warm req/s' 'first/warm' spread 'first us' 'warm us' 'CPU ratio' spread)"
for mode in "${MODES[@]}"; do
  say "$(printf '%-15s %9.0f %12.0f %11.0f %11s %12s %9s %9s %11s %12s' "$mode" \
    "$(median <<<"${READY[$mode]}")" "$(median <<<"${COLD[$mode]}")" "$(median <<<"${WARM[$mode]}")" \
    "$(median <<<"${RATIO[$mode]}")" "$(spread <<<"${RATIO[$mode]}")" \
    "$(median <<<"${US1[$mode]}")" "$(median <<<"${US2[$mode]}")" "$(median <<<"${CPUR[$mode]}")" "$(spread <<<"${CPUR[$mode]}")")"
  say "  max latency in the first window, ms: $(median <<<"${MAXL[$mode]}") (rounds:${MAXL[$mode]})"
done
say "(medians over $ROUNDS round(s); spread: lowest-highest; ready ms: from launch to /health/ready 200, the"
say " warm-up included; first/warm us: the gateway's CPU time per request in each window; CPU ratio:"
say " warm us / first us, the same ratio in CPU, far less disturbed by other load than req/s)"
on=$(median <<<"${RATIO[$TARGET_MODE]}")
if ge "$on" "$TARGET"; then v=met; else v=MISSED; fi
say "first ${WINDOW}s / warm, $TARGET_MODE: $on (target >= $TARGET: $v)"
for mode in "${MODES[@]}"; do
  say "  $mode: first/warm $(median <<<"${RATIO[$mode]}") ($(spread <<<"${RATIO[$mode]}")), in CPU per request $(median <<<"${CPUR[$mode]}"), ready $(median <<<"${READY[$mode]}") ms"
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$REPORT" "$OUT_DIR/warmup-latest.txt"

bench_cleanup
STATUS=0
[ "$ERRORS" = 0 ] || STATUS=1
[ -z "${STRICT:-}" ] || [ "$v" = met ] || STATUS=1
exit "$STATUS"
