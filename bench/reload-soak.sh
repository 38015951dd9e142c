#!/usr/bin/env bash
# Memory under hot reload: the gateway serves a moderate wrk load while its config file is
# replaced every second, alternating two valid variants (the gateway watches its file). The
# heap after a full GC is sampled at intervals and must stay flat; the admin readiness endpoint
# must show reloadsSucceeded growing. Also run by `SOAK=1 bash bench/run.sh`.
#
#   SOAK_SECONDS=600        how long to reload under load
#   SOAK_INTERVAL=1         seconds between two config rewrites
#   SOAK_SAMPLE=30          seconds between two heap samples (jcmd GC.run + GC.heap_info)
#   SOAK_CONNECTIONS=16     wrk connections; each waits SOAK_DELAY_MS between its requests,
#   SOAK_DELAY_MS=2         which keeps the load moderate (a few thousand requests/s)
#   SOAK_ROUTES=200         routes in each variant
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_INTERVAL=${SOAK_INTERVAL:-1}
SOAK_SAMPLE=${SOAK_SAMPLE:-30}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-16}
SOAK_DELAY_MS=${SOAK_DELAY_MS:-2}
SOAK_ROUTES=${SOAK_ROUTES:-200}

ensure_tools
ensure_java
ensure_jar
bench_init

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/soak-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

mkdir -p "$BENCH_TMP/conf" "$BENCH_TMP/logs"
UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"
GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
CONF="$BENCH_TMP/conf/bulwark.yaml"
ACCESS="$BENCH_TMP/logs/access.log"

# Variant A and B differ in routes, in a middleware and in the upstream's timeouts, so every
# reload compiles a new route table and replaces the upstream (its connection pool is retired).
variant() {
  local v=$1 resp
  if [ "$v" = A ]; then resp=5s; else resp=6s; fi
  cat <<EOF
server:
  listen: "127.0.0.1:$GW_PORT"
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$GW_ADMIN"
observability:
  accessLog: { enabled: true, output: "$ACCESS" }
upstreams:
  api:
    targets: [ { url: "http://127.0.0.1:$UP_PORT" } ]
    timeouts: { connect: 1s, response: $resp, idle: 60s }
EOF
  if [ "$v" = B ]; then
    cat <<EOF
  spare:
    targets: [ { url: "http://127.0.0.1:$UP_PORT" } ]
middlewares:
  tag:
    headers:
      request: { set: { X-Soak-Variant: B } }
      response: { set: { X-Served-By: bulwark-soak } }
EOF
  fi
  echo "routes:"
  if [ "$v" = A ]; then
    printf '  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
  else
    printf '  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n    middlewares: [tag]\n'
  fi
  awk -v n="$SOAK_ROUTES" -v v="$v" 'BEGIN { for (i = 0; i < n; i++) printf "  - name: %s%d\n    match: { path: \"/%s%d/items/{id}\", methods: [GET] }\n    upstream: %s\n", tolower(v), i, tolower(v), i, (v == "B" && i % 2) ? "spare" : "api" }'
}

# GC and safepoint log of the gateway, to explain latency spikes (SOAK_GC_LOG=0: none)
if [ "${SOAK_GC_LOG:-1}" = 1 ]; then
  BULWARK_JAVA_OPTS="$BULWARK_JAVA_OPTS -Xlog:gc,safepoint:file=$RES/gc.log:uptime,time"
fi

variant A >"$CONF"
variant A >"$RES/variant-A.yaml"
variant B >"$RES/variant-B.yaml"
start_gateway "$CONF" "$GW_ADMIN" "$PROXY_CPU" soak
GPID=$GATEWAY_PID

ready() { curl -fsS --max-time 5 "http://127.0.0.1:$GW_ADMIN/health/ready" | tr -d ' \n'; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# heap_sample TAG: "liveKiB metaspaceKiB". GC.class_histogram runs a full GC and counts what is
# left, whatever allocations happen meanwhile; the histogram is kept for a per-class diff.
heap_sample() {
  "$JCMD" "$GPID" GC.class_histogram >"$RES/histo-$1.txt" 2>/dev/null || true
  {
    # GC filler arrays (dead space left by the compaction) are not live data
    awk '$4 ~ /jdk\.internal\.vm\.Filler/ { f += $3 } $1 == "Total" { t = $3 } END { printf "live %d\n", (t - f) / 1024 }' "$RES/histo-$1.txt"
    "$JCMD" "$GPID" VM.metaspace basic 2>/dev/null | head -n 3
  } | awk '
    $1 == "live" { heap = $2 }
    /^Metaspace +used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); meta = v } }
    END { printf "%d %d\n", heap, meta }'
}

say "Bulwark reload soak $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "java: $("$JAVA" -version 2>&1 | head -n 1); JVM flags: $BULWARK_JAVA_OPTS"
say "duration ${SOAK_SECONDS}s, a config rewrite (A/B alternating, ${SOAK_ROUTES}+ routes each, written to a temp file and renamed over the watched file) every ${SOAK_INTERVAL}s"
say "load: wrk -t1 -c$SOAK_CONNECTIONS with ${SOAK_DELAY_MS} ms between the requests of a connection; access log on; gateway on CPU $PROXY_CPU"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

R0=$(ready)
OK0=$(field reloadsSucceeded <<<"$R0")
FAIL0=$(field reloadsFailed <<<"$R0")

cat >"$BENCH_TMP/delay.lua" <<EOF
function delay() return $SOAK_DELAY_MS end
EOF
taskset -c "$LOAD_CPU" wrk -t1 -c"$SOAK_CONNECTIONS" -d"$((SOAK_SECONDS + 10))s" --timeout 5s --latency \
  -s "$BENCH_TMP/delay.lua" "http://127.0.0.1:$GW_PORT/api/items/42" >"$RES/wrk.txt" 2>&1 &
WRK_PID=$!
BENCH_PIDS+=("$WRK_PID")
sleep 2

SERIES=()
sample() {
  local t=$1 hs heap meta rss thr fds r t0 t1 mf
  t0=$(date +%s%N)
  hs=$(heap_sample "$t")
  t1=$(date +%s%N)
  mf=$(awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " "); print f[10] }' "/proc/$GPID/stat")
  heap=${hs% *}
  meta=${hs#* }
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$GPID/status")
  thr=$(ls "/proc/$GPID/task" | wc -l)
  fds=$(ls "/proc/$GPID/fd" | wc -l)
  r=$(ready)
  SERIES+=("$(printf '%6s %10.1f %10.1f %9.1f %7s %5s %9s %6s %8s %7s' "$t" "$(awk -v k="$heap" 'BEGIN{print k/1024}')" "$(awk -v k="$meta" 'BEGIN{print k/1024}')" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$thr" "$fds" "$(field reloadsSucceeded <<<"$r")" "$(field reloadsFailed <<<"$r")" "$(((t1 - t0) / 1000000))" "$mf")")
  HEAPS+=("$heap")
  TAGS+=("$t")
  log "t=${t}s heap after GC $((heap / 1024)) MiB, metaspace $((meta / 1024)) MiB, RSS $((rss / 1024)) MiB, $thr threads, $fds fds, reloads ok $(field reloadsSucceeded <<<"$r") failed $(field reloadsFailed <<<"$r")"
  : >"$ACCESS" # keep the access log small; the appender writes with O_APPEND
}

HEAPS=()
TAGS=()
START=$(date +%s)
sample 0
NEXT_SAMPLE=$((START + SOAK_SAMPLE))
v=B
WRITES=0
while :; do
  now=$(date +%s)
  [ $((now - START)) -lt "$SOAK_SECONDS" ] || break
  variant "$v" >"$BENCH_TMP/conf/.next.yaml"
  mv -f "$BENCH_TMP/conf/.next.yaml" "$CONF"
  WRITES=$((WRITES + 1))
  if [ "$v" = B ]; then v=A; else v=B; fi
  if [ "$now" -ge "$NEXT_SAMPLE" ]; then
    sample $((now - START))
    NEXT_SAMPLE=$((NEXT_SAMPLE + SOAK_SAMPLE))
  fi
  sleep "$SOAK_INTERVAL"
done
sleep 2
sample $(($(date +%s) - START))
R1=$(ready)
OK1=$(field reloadsSucceeded <<<"$R1")
FAIL1=$(field reloadsFailed <<<"$R1")
# wrk prints its summary only when its duration is over
for _ in $(seq 1 300); do kill -0 "$WRK_PID" 2>/dev/null || break; sleep 0.2; done
stop_pid "$WRK_PID"
parse_wrk "$RES/wrk.txt"

say ""
say "$(printf '%6s %10s %10s %9s %7s %5s %9s %6s %8s %7s' 't s' 'heap MiB' 'meta MiB' 'RSS MiB' threads fds reloadsOK failed 'jcmd ms' majflt)"
for row in "${SERIES[@]}"; do say "$row"; done
say "(heap: live objects after a full GC (GC filler arrays left out), from jcmd GC.class_histogram; jcmd ms: how long the sample's jcmd calls"
say " took, the full GC included; majflt: the gateway's major page faults so far)"
say ""

n=${#HEAPS[@]}
first=${HEAPS[0]}
last=${HEAPS[$((n - 1))]}
third=$(((n + 2) / 3))
early=$(printf '%s\n' "${HEAPS[@]:0:$third}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
late=$(printf '%s\n' "${HEAPS[@]:$((n - third)):$third}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
growth=$((late - early))
limit=$((early / 20 > 2048 ? early / 20 : 2048))
if [ "$growth" -le "$limit" ]; then flat=flat; else flat=GROWING; fi
say "heap after GC: first $((first / 1024)) MiB, last $((last / 1024)) MiB; median of the first third $((early / 1024)) MiB, of the last third $((late / 1024)) MiB: growth ${growth} KiB ($flat; allowed max(2 MiB, 5%) = ${limit} KiB)"
# per-class growth between the second sample (load and reloads running) and the last
if [ "$n" -ge 3 ]; then
  say "classes whose live bytes grew most between t=${TAGS[1]}s and t=${TAGS[$((n - 1))]}s (bytes, instances):"
  awk 'FNR == NR { if ($1 ~ /^[0-9]+:$/) { b[$4] = $3; c[$4] = $2 } next }
       $1 ~ /^[0-9]+:$/ && $4 !~ /jdk\.internal\.vm\.Filler/ { d = $3 - b[$4]; if (d > 0) printf "%12d %10d  %s\n", d, $2 - c[$4], $4 }' \
    "$RES/histo-${TAGS[1]}.txt" "$RES/histo-${TAGS[$((n - 1))]}.txt" | sort -rn | head -n 8 | while read -r line; do say "  $line"; done
fi
if [ -s "$RES/gc.log" ]; then
  say "longest safepoints (gc.log): $(grep -o 'Total: [0-9]* ns' "$RES/gc.log" | awk '{ printf "%.1f\n", $2 / 1e6 }' | sort -rn | head -n 3 | tr '\n' ' ')ms; $(grep -c 'Pause Young.*ms$' "$RES/gc.log") young GCs, $(grep -c 'Pause Full.*ms$' "$RES/gc.log") full GCs (the samples')"
fi
say "config rewrites: $WRITES; reloadsSucceeded $OK0 -> $OK1 (+$((OK1 - OK0))), reloadsFailed $FAIL0 -> $FAIL1"
say "load: $RPS req/s, p50 ${P50} ms, p99 ${P99} ms, $REQS requests, non-2xx $NON2XX, socket errors $SOCKERR"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$REPORT" "$OUT_DIR/soak-latest.txt"

STATUS=0
[ "$flat" = flat ] || STATUS=1
[ $((OK1 - OK0)) -gt 0 ] || { log "reloadsSucceeded did not grow"; STATUS=1; }
[ "$FAIL1" = "$FAIL0" ] || { log "some reloads failed"; STATUS=1; }
[ "$NON2XX" = 0 ] && [ "$SOCKERR" = 0 ] || { log "errors under reload: $NON2XX non-2xx, $SOCKERR socket errors"; STATUS=1; }
exit "$STATUS"
