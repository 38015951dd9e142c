#!/usr/bin/env bash
# Bulwark throughput benchmark, run by `make bench`. See docs/performance.md.
#
#   DURATION=20      seconds of each measured wrk run
#   WARMUP=20        seconds of wrk warm-up before the first run of each gateway (JIT: a cold
#                    gateway on one CPU needs ~15-20 s of load to reach its steady state)
#   NGINX_WARMUP=3   seconds of wrk warm-up before the first direct and nginx-proxy runs
#   CONNECTIONS=64   wrk connections (-t1 always)
#   ROUNDS=1         measure every case this many times, interleaved; ratios use the medians
#   FRESH=1          with ROUNDS > 1, restart every gateway (a new JVM, warmed up again) before each
#                    round after the first: one JVM's JIT outcome moves a case by up to ~10%, and
#                    the median then spans several (FRESH=0: one JVM per case for all rounds)
#   ROUTES_SMALL=10, ROUTES_BIG=10000   route counts of the route-table scale test
#   SOAK=1           also run bench/reload-soak.sh afterwards (SOAK_SECONDS, default 600)
#   COMPRESS=1       also run bench/compress.sh afterwards: CPU per MiB of gzip 6 and Brotli 4
#                    against nginx's gzip module (= make bench-compress)
#   GRPC=1           also run bench/grpc.sh afterwards: gRPC unary calls per second, Bulwark against
#                    direct and nginx's grpc_pass on the same core (= make bench-grpc)
#   RESILIENCE=1     also measure a route with health checks + breaker + local rate limit, and a
#                    cluster (Redis) rate limit against a local one (RESILIENCE=0 skips them)
#   JWT=1            also measure a route with RS256 JWT verification (key from a file; JWT=0 skips it)
#   TLS=1            also measure TLS termination: nginx and Bulwark, each terminating TLS (same
#                    certificate, keep-alive wrk over https) in front of the plain upstream
#                    (TLS=0 skips them)
#   VPIPE=1          also measure vertx-pipe (bench/VertxPipe.java): the plainest reverse proxy on
#                    Vert.x core, with Bulwark's server and client options and none of its work, i.e.
#                    the floor of the stack Bulwark is built on; and netty-pipe (bench/NettyPipe.java):
#                    the plainest one on Netty alone, same JVM and flags, no Vert.x (VPIPE=0 skips both)
#   OBS=1            also measure the observability cost: a route with metrics, the access log and
#                    10% trace sampling (OTLP/HTTP to a sink on the upstream nginx) against the same
#                    route with all three off (OBS=0 skips them)
#   STARTUP_BENCH=1  afterwards, also run bench/startup.sh (launch to the first proxied 200 with the AOT
#                    cache, without it, and nginx; = make bench-startup)
#   FLEET=1          afterwards, also run bench/fleet.sh (etcd mode: propagation of a write to 3
#                    gateways, start-up with 10,000 routes from etcd against a file; ~2 minutes,
#                    installs etcd-server if missing); off by default, `make bench-fleet` runs it alone
#   WARMUP_BENCH=1   afterwards, also run bench/warmup.sh (the first 10 s after readiness against
#                    the same gateway warm, with and without server.warmup; ~5 minutes; = make
#                    bench-warmup)
#   FOOTPRINT=1      afterwards, also run bench/footprint.sh (idle RSS with the default JVM flags,
#                    RSS per idle keep-alive connection and per WebSocket; = make bench-footprint)
#   STRICT=1         exit 1 when a target is missed (errors and non-2xx always exit 1)
#   JVM flags: scripts/jvm-flags + $BULWARK_JAVA_OPTS, as ./bulwark uses, except the heap and the
#   collector: the fixed ones these figures were always measured with (BENCH_HEAP_FLAGS in
#   bench/lib.sh: ParallelGC, a pre-touched 512 MiB heap), not the container-sized defaults;
#   BENCH_JVM_FLAGS replaces them all
#
# Layout on the 2-core machine: the proxy under test (bulwark, or nginx as a reverse proxy) runs
# pinned to CPU 0; wrk and the upstream nginx share CPU 1. Everything on 127.0.0.1. All the
# proxies are started first and stay up (idle) while the others are measured.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
NGINX_WARMUP=${NGINX_WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}
FRESH=${FRESH:-1}
ROUTES_SMALL=${ROUTES_SMALL:-10}
ROUTES_BIG=${ROUTES_BIG:-10000}

ensure_tools
ensure_java
ensure_jar
bench_init

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/run-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

say "Bulwark benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB"
say "java: $("$JAVA" -version 2>&1 | head -n 1) ($JAVA_HOME)"
say "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); wrk: $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo ', src has local changes'))"
say "JVM flags: $BULWARK_JAVA_OPTS"
say "wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS round(s); warm-up ${WARMUP}s per gateway, ${NGINX_WARMUP}s for nginx$([ "$FRESH" = 1 ] && [ "$ROUNDS" -gt 1 ] && echo "; every gateway a new JVM (warmed up again) in each round")"
say "CPUs: proxy under test on CPU $PROXY_CPU; wrk and the upstream nginx on CPU $LOAD_CPU"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$BENCH_TMP/conf" "$BENCH_TMP/logs"
UP_PORT=$(free_port)
start_upstream "$UP_PORT" "$LOAD_CPU"
log "upstream nginx on 127.0.0.1:$UP_PORT (CPU $LOAD_CPU)"

PX_PORT=$(free_port)
start_nginx_proxy "$PX_PORT" "$UP_PORT" "$PROXY_CPU"
log "nginx proxy on 127.0.0.1:$PX_PORT (CPU $PROXY_CPU)"
PL_PORT=$(free_port)
start_nginx_log_proxy "$PL_PORT" "$UP_PORT" "$PROXY_CPU"
log "nginx proxy with its access log on 127.0.0.1:$PL_PORT (CPU $PROXY_CPU)"

declare -A URL PID GW_ADMIN_OF START_MS ACCESS_LOG
URL[direct]="http://127.0.0.1:$UP_PORT/api/items/42"
URL[nginx-proxy]="http://127.0.0.1:$PX_PORT/api/items/42"
PID[direct]=$UPSTREAM_PID
PID[nginx-proxy]=$NGINX_PROXY_PID
URL[nginx-log]="http://127.0.0.1:$PL_PORT/api/items/42"
PID[nginx-log]=$NGINX_LOG_PID

# Gateways: the config lives in conf/, the access log (on) in logs/ of the temp dir.
# launch_gateway CASE CONFIG_GENERATOR...: writes the config, starts it, records its URL base
launch_gateway() {
  local name=$1 port admin conf; shift
  port=$(free_port); admin=$(free_port)
  conf="$BENCH_TMP/conf/$name.yaml"
  ACCESS_LOG[$name]="$BENCH_TMP/logs/$name-access.log"
  "$@" "$port" "$admin" "$UP_PORT" "${ACCESS_LOG[$name]}" >"$conf"
  cp "$conf" "$RES/$name.yaml" 2>/dev/null || true
  start_gateway "$conf" "$admin" "$PROXY_CPU" "$name"
  PID[$name]=$GATEWAY_PID
  GW_ADMIN_OF[$name]=$admin
  START_MS[$name]=$GATEWAY_START_MS
  GW_PORT=$port
  log "$name: pid $GATEWAY_PID on 127.0.0.1:$port (admin $admin, CPU $PROXY_CPU), ready in ${GATEWAY_START_MS} ms"
}

# relaunch_gateway NAME: stops the case's gateway and starts a new JVM on the same config (same
# ports, the same access log, appended to)
relaunch_gateway() {
  local name=$1
  stop_pid "${PID[$name]}"
  start_gateway "$BENCH_TMP/conf/$name.yaml" "${GW_ADMIN_OF[$name]}" "$PROXY_CPU" "$name"
  PID[$name]=$GATEWAY_PID
  log "$name: new JVM, pid $GATEWAY_PID, ready in ${GATEWAY_START_MS} ms"
}

one_route_config() { # PORT ADMIN UPSTREAM ACCESS_LOG
  gateway_head "$1" "$2" "$4" "$3"
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
}
routes_config_small() { gen_routes_config "$ROUTES_SMALL" "$1" "$2" "$3" "$4"; }
routes_config_big() { gen_routes_config "$ROUTES_BIG" "$1" "$2" "$3" "$4"; }

launch_gateway bulwark one_route_config
URL[bulwark]="http://127.0.0.1:$GW_PORT/api/items/42"

VPIPE=${VPIPE:-1}
if [ "$VPIPE" = 1 ]; then
  declare -A PIPE_CLASS=([vertx-pipe]=VertxPipe [netty-pipe]=NettyPipe) PIPE_PORT
  for p in vertx-pipe netty-pipe; do
    PIPE_PORT[$p]=$(free_port)
    start_pipe "${PIPE_CLASS[$p]}" "${PIPE_PORT[$p]}" "$UP_PORT" "$PROXY_CPU"
    URL[$p]="http://127.0.0.1:${PIPE_PORT[$p]}/api/items/42"
    PID[$p]=$PIPE_PID
    log "$p: pid $PIPE_PID on 127.0.0.1:${PIPE_PORT[$p]} (CPU $PROXY_CPU)"
  done
fi

RESILIENCE=${RESILIENCE:-1}
# The resilience cases: every feature on the route, with limits far above what wrk can send, so
# that the cost is measured and nothing is refused.
resilience_upstream() { # extra lines under upstreams.api
  cat <<'EOF'
    healthCheck:
      active: { path: /health, interval: 1s, timeout: 500ms }
      passive: { consecutiveFailures: 5, ejectFor: 10s }
    circuitBreaker: { window: 100, minimumCalls: 50, openFor: 5s }
EOF
}
guarded_config() { # PORT ADMIN UPSTREAM ACCESS_LOG
  gateway_head "$1" "$2" "$4" "$3"
  resilience_upstream
  printf 'middlewares:\n  limit:\n    rateLimit: { key: client_ip, rate: 100000000/s, burst: 100000000 }\n'
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n    middlewares: [limit]\n'
}
rl_config() { # SCOPE PORT ADMIN UPSTREAM ACCESS_LOG
  local scope=$1; shift
  gateway_head "$1" "$2" "$4" "$3"
  if [ "$scope" = cluster ]; then printf 'cluster:\n  redis: "redis://127.0.0.1:%s"\n  timeout: 500ms\n' "$REDIS_PORT"; fi
  printf 'middlewares:\n  limit:\n    rateLimit: { key: client_ip, rate: 100000000/s, burst: 100000000, scope: %s }\n' "$scope"
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n    middlewares: [limit]\n'
}
rl_local_config() { rl_config local "$@"; }
rl_cluster_config() { rl_config cluster "$@"; }
if [ "$RESILIENCE" = 1 ]; then
  REDIS_PORT=$(free_port)
  start_redis "$REDIS_PORT" "$LOAD_CPU"
  log "redis-server on 127.0.0.1:$REDIS_PORT (CPU $LOAD_CPU)"
  launch_gateway guarded guarded_config
  URL[guarded]="http://127.0.0.1:$GW_PORT/api/items/42"
  launch_gateway rl-local rl_local_config
  URL[rl-local]="http://127.0.0.1:$GW_PORT/api/items/42"
  launch_gateway rl-cluster rl_cluster_config
  URL[rl-cluster]="http://127.0.0.1:$GW_PORT/api/items/42"
fi
R_SMALL="routes-$ROUTES_SMALL"
R_BIG="routes-$ROUTES_BIG"
launch_gateway "$R_SMALL" routes_config_small
URL[$R_SMALL]="http://127.0.0.1:$GW_PORT/svc$((ROUTES_SMALL / 2))/items/42"
launch_gateway "$R_BIG" routes_config_big
URL[$R_BIG]="http://127.0.0.1:$GW_PORT/svc$((ROUTES_BIG / 2))/items/42"
for c in "$R_SMALL" "$R_BIG"; do
  n=$(curl -fsS "http://127.0.0.1:${GW_ADMIN_OF[$c]}/health/ready" | tr -d ' \n' | sed -n 's/.*"routes":\([0-9]*\).*/\1/p')
  say "$c: $n routes in the table (config $(wc -c <"$BENCH_TMP/conf/$c.yaml") bytes), ready ${START_MS[$c]} ms after launch; request ${URL[$c]#http://*/}"
done
JWT=${JWT:-1}
declare -A HDR
jwt_config() { # PORT ADMIN UPSTREAM ACCESS_LOG
  gateway_head "$1" "$2" "$4" "$3"
  printf 'middlewares:\n  auth:\n    jwt:\n      keysFile: "%s"\n      algorithms: [RS256]\n      issuer: https://id.bench/\n      audience: bench-api\n      forwardClaims: { sub: X-User-Id }\n' "$BENCH_TMP/jwt.pub"
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n    middlewares: [auth]\n'
}
if [ "$JWT" = 1 ]; then
  JWT_TOKEN=$(make_rs256_jwt "$BENCH_TMP")
  launch_gateway jwt jwt_config
  URL[jwt]="http://127.0.0.1:$GW_PORT/api/items/42"
  HDR[jwt]="Authorization: Bearer $JWT_TOKEN"
  # the same route without auth, sent the very same requests (token included): the difference
  # is what verifying costs, apart from the size of the header both must parse and forward
  launch_gateway bearer one_route_config
  URL[bearer]="http://127.0.0.1:$GW_PORT/api/items/42"
  HDR[bearer]="Authorization: Bearer $JWT_TOKEN"
fi

TLS=${TLS:-1}
tls_config() { # PORT ADMIN UPSTREAM ACCESS_LOG
  gateway_head "$1" "$2" "$4" "$3" | awk -v cert="$BENCH_TMP/bench.pem" -v key="$BENCH_TMP/bench.key" '
    { print }
    /^  shutdown:/ { printf "  tls:\n    certificates: [ { cert: \"%s\", key: \"%s\" } ]\n", cert, key }'
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
}
if [ "$TLS" = 1 ]; then
  make_cert "$BENCH_TMP"
  TLS_PX_PORT=$(free_port)
  start_nginx_tls_proxy "$TLS_PX_PORT" "$UP_PORT" "$PROXY_CPU" "$BENCH_TMP/bench.pem" "$BENCH_TMP/bench.key"
  log "nginx TLS proxy on 127.0.0.1:$TLS_PX_PORT (CPU $PROXY_CPU)"
  URL[nginx-tls]="https://127.0.0.1:$TLS_PX_PORT/api/items/42"
  PID[nginx-tls]=$NGINX_TLS_PID
  launch_gateway bulwark-tls tls_config
  URL[bulwark-tls]="https://127.0.0.1:$GW_PORT/api/items/42"
  say "bulwark-tls: $(grep -ho 'TLS \[.*' "$BENCH_TMP/bulwark-tls.out" "$BENCH_TMP/bulwark-tls.err" 2>/dev/null | head -n 1)"
fi
OBS=${OBS:-1}
obs_config() { # on|off PORT ADMIN UPSTREAM ACCESS_LOG
  local mode=$1; shift
  gateway_head "$1" "$2" "$4" "$3" | awk -v mode="$mode" -v up="$3" '
    /^  accessLog:/ {
      if (mode == "off") { print "  accessLog: { enabled: false }"; print "  metrics: { enabled: false }"; print "  tracing: { enabled: false }"; next }
      print; print "  metrics: { enabled: true }"
      printf "  tracing: { enabled: true, endpoint: \"http://127.0.0.1:%s\", sampleRatio: 10%%, serviceName: bulwark-bench }\n", up
      next
    }
    { print }'
  printf 'routes:\n  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
}
obs_on_config() { obs_config on "$@"; }
obs_off_config() { obs_config off "$@"; }
if [ "$OBS" = 1 ]; then
  launch_gateway obs-on obs_on_config
  URL[obs-on]="http://127.0.0.1:$GW_PORT/api/items/42"
  launch_gateway obs-off obs_off_config
  URL[obs-off]="http://127.0.0.1:$GW_PORT/api/items/42"
fi
say "bulwark: ready ${START_MS[bulwark]} ms after launch"
say ""

CASES=(direct nginx-proxy nginx-log bulwark)
if [ "$VPIPE" = 1 ]; then CASES+=(vertx-pipe netty-pipe); fi
CASES+=("$R_SMALL" "$R_BIG")
if [ "$RESILIENCE" = 1 ]; then CASES+=(guarded rl-local rl-cluster); fi
if [ "$JWT" = 1 ]; then CASES+=(bearer jwt); fi
if [ "$TLS" = 1 ]; then CASES+=(nginx-tls bulwark-tls); fi
if [ "$OBS" = 1 ]; then CASES+=(obs-off obs-on); fi
ERRORS=0
ROWS=()
declare -A ALL_RPS ALL_US SENT

# judge RATIO TARGET: sets v to met or MISSED, and counts a miss
judge() {
  if ge "$1" "$2"; then v=met; else v=MISSED; MISSED=$((MISSED + 1)); fi
}

# measure CASE ROUND
measure() {
  local name=$1 round=$2 url=${URL[$1]} warm=0 before after pb pa c0 c1 other tag us
  if [ "$round" = 1 ]; then
    case $name in direct | nginx-proxy | nginx-log | nginx-tls) warm=$NGINX_WARMUP ;; *) warm=$WARMUP ;; esac
  elif [ "$FRESH" = 1 ] && [ -n "${GW_ADMIN_OF[$name]:-}" ]; then
    relaunch_gateway "$name"
    warm=$WARMUP
  elif [ "$FRESH" = 1 ] && [ -n "${PIPE_CLASS[$name]:-}" ]; then
    stop_pid "${PID[$name]}"
    start_pipe "${PIPE_CLASS[$name]}" "${PIPE_PORT[$name]}" "$UP_PORT" "$PROXY_CPU"
    PID[$name]=$PIPE_PID
    log "$name: new JVM, pid $PIPE_PID"
    warm=$WARMUP
  fi
  tag=$name; [ "$ROUNDS" = 1 ] || tag="$name#$round"
  if [ "$warm" -gt 0 ]; then
    log "$name: warm-up ${warm}s"
    run_wrk "$RES/$name-warmup.txt" "$url" "$warm" "$CONNECTIONS" "${HDR[$name]:-}"
    parse_wrk "$RES/$name-warmup.txt"
    SENT[$name]=$(( ${SENT[$name]:-0} + REQS ))
  fi
  # the access logs of earlier cases (tens of MB) are written back by the kernel some 30 s after
  # they were written: flush them now, so that work does not land in this case's measurement
  sync
  log "$tag: measuring ${DURATION}s: $url"
  pb=$(proc_snapshot); before=$(core_ticks)
  run_wrk "$RES/$name-$round.txt" "$url" "$DURATION" "$CONNECTIONS" "${HDR[$name]:-}"
  after=$(core_ticks); pa=$(proc_snapshot)
  parse_wrk "$RES/$name-$round.txt"
  SENT[$name]=$(( ${SENT[$name]:-0} + REQS ))
  c0=$(core_busy "$before" "$after" 0)
  c1=$(core_busy "$before" "$after" 1)
  # shellcheck disable=SC2086
  other=$(foreign_cpu "$pb" "$pa" "$DURATION" $$ "$UPSTREAM_PID" "$NGINX_PROXY_PID" "$NGINX_LOG_PID" ${PID[bulwark]} ${PID[vertx-pipe]:-} ${PID[netty-pipe]:-} ${PID[$R_SMALL]} ${PID[$R_BIG]} ${PID[guarded]:-} ${PID[rl-local]:-} ${PID[rl-cluster]:-} ${REDIS_PID:-} ${PID[nginx-tls]:-} ${PID[bulwark-tls]:-} ${PID[jwt]:-} ${PID[bearer]:-} ${PID[obs-on]:-} ${PID[obs-off]:-})
  us=$(cpu_us_per_req "$(tree_ticks "$pb" "${PID[$name]}")" "$(tree_ticks "$pa" "${PID[$name]}")" "$REQS")
  if [ "$RPS" = 0 ]; then
    log "$tag: wrk produced no result:"; cat "$RES/$name-$round.txt" >&2
    ERRORS=$((ERRORS + 1))
  fi
  if [ "$NON2XX" != 0 ] || [ "$SOCKERR" != 0 ]; then
    log "$tag: $NON2XX non-2xx responses, $SOCKERR socket errors"
    ERRORS=$((ERRORS + 1))
  fi
  ALL_RPS[$name]="${ALL_RPS[$name]:-} $RPS"
  ALL_US[$name]="${ALL_US[$name]:-} $us"
  ROWS+=("$(printf '%-16s %10.0f %8.3f %8.3f %8s %8s %7s %5s %5s %6s' "$tag" "$RPS" "$P50" "$P99" "$NON2XX" "$SOCKERR" "$us" "$c0" "$c1" "$other")")
  log "$tag: $RPS req/s, p50 ${P50}ms, p99 ${P99}ms, non-2xx $NON2XX, socket errors $SOCKERR; ${us} CPU-us/request; CPU0 ${c0}% CPU1 ${c1}% other processes ${other}%"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do measure "$c" "$round"; done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "$(printf '%-16s %10s %8s %8s %8s %8s %7s %5s %5s %6s' case 'req/s' 'p50 ms' 'p99 ms' non-2xx sockerr 'us/req' CPU0% CPU1% other%)"
for row in "${ROWS[@]}"; do say "$row"; done
say "(us/req: CPU time of the process serving the case (the upstream for direct) per request, in microseconds;"
say " CPU0/CPU1: busy share of each core; other%: CPU used meanwhile by processes outside the benchmark, in % of one core)"
say ""

sleep 1
ACCESS_CASES=(bulwark "$R_SMALL" "$R_BIG")
if [ "$RESILIENCE" = 1 ]; then ACCESS_CASES+=(guarded rl-local rl-cluster); fi
if [ "$TLS" = 1 ]; then ACCESS_CASES+=(bulwark-tls); fi
if [ "$JWT" = 1 ]; then ACCESS_CASES+=(bearer jwt); fi
if [ "$OBS" = 1 ]; then ACCESS_CASES+=(obs-on); fi
for c in "${ACCESS_CASES[@]}"; do
  lines=$(wc -l <"${ACCESS_LOG[$c]}" 2>/dev/null || echo 0)
  say "$c: access log has $lines lines for ~${SENT[$c]} requests counted by wrk ($(ratio "$lines" "${SENT[$c]}"))"
done
say ""

MISSED=0
B=$(median <<<"${ALL_RPS[bulwark]}")
N=$(median <<<"${ALL_RPS[nginx-proxy]}")
r1=$(ratio "$B" "$N")
say "bulwark / nginx-proxy throughput: $r1 (not a target: bounded by the stack, see vertx-pipe and netty-pipe below and docs/performance.md)"
BU=$(median <<<"${ALL_US[bulwark]}")
NU=$(median <<<"${ALL_US[nginx-proxy]}")
say "  CPU per request: bulwark $BU us, nginx-proxy $NU us; efficiency nginx/bulwark $(ratio "$NU" "$BU") (less sensitive to other load)"
NL=$(median <<<"${ALL_RPS[nginx-log]}")
say "  like for like (both writing an access log; not the target): bulwark / nginx-log $(ratio "$B" "$NL"); nginx's own log costs it: nginx-log / nginx-proxy $(ratio "$NL" "$N")"
if [ "$VPIPE" = 1 ]; then
  VP=$(median <<<"${ALL_RPS[vertx-pipe]}")
  VU=$(median <<<"${ALL_US[vertx-pipe]}")
  say "  the floor of the stack: vertx-pipe / nginx-proxy $(ratio "$VP" "$N") (vertx-pipe $VU us per request);" \
    "bulwark / vertx-pipe $(ratio "$B" "$VP"): Bulwark's own work costs $(awk -v b="$BU" -v v="$VU" 'BEGIN { printf "%.1f", b - v }') us per request"
  NP=$(median <<<"${ALL_RPS[netty-pipe]}")
  NPU=$(median <<<"${ALL_US[netty-pipe]}")
  say "  without Vert.x: netty-pipe / nginx-proxy $(ratio "$NP" "$N") (netty-pipe $NPU us per request);" \
    "vertx-pipe / netty-pipe $(ratio "$VP" "$NP"): Vert.x's HTTP server and client cost $(awk -v a="$VU" -v b="$NPU" 'BEGIN { printf "%.1f", a - b }') us per request"
fi
S=$(median <<<"${ALL_RPS[$R_SMALL]}")
L=$(median <<<"${ALL_RPS[$R_BIG]}")
r2=$(ratio "$L" "$S")
judge "$r2" 0.95
say "$R_BIG / $R_SMALL throughput: $r2 (target >= 0.95: $v)"
SU=$(median <<<"${ALL_US[$R_SMALL]}")
LU=$(median <<<"${ALL_US[$R_BIG]}")
say "  CPU per request: $R_SMALL $SU us, $R_BIG $LU us; efficiency $(ratio "$SU" "$LU")"
if [ "$RESILIENCE" = 1 ]; then
  G=$(median <<<"${ALL_RPS[guarded]}")
  r3=$(ratio "$G" "$B")
  judge "$r3" 0.9
  say "guarded (health checks + breaker + local rate limit) / bulwark (plain route) throughput: $r3 (target >= 0.9: $v)"
  RL=$(median <<<"${ALL_RPS[rl-local]}")
  RC=$(median <<<"${ALL_RPS[rl-cluster]}")
  r4=$(ratio "$RC" "$RL")
  judge "$r4" 0.5
  say "rl-cluster (Redis) / rl-local rate limit throughput: $r4 (target >= 0.5: $v)"
fi
if [ "$JWT" = 1 ]; then
  JW=$(median <<<"${ALL_RPS[jwt]}")
  r6=$(ratio "$JW" "$B")
  JB=$(median <<<"${ALL_RPS[bearer]}")
  r7=$(ratio "$JW" "$JB")
  judge "$r7" 0.85
  say "jwt (RS256 verified with cached keys) / bearer (the same route without auth, same requests with the token): $r7 (target >= 0.85, i.e. at most 15% cost: $v)"
  say "jwt / bulwark (plain route, requests without the 600-byte token header): $r6"
fi
if [ "$TLS" = 1 ]; then
  BT=$(median <<<"${ALL_RPS[bulwark-tls]}")
  NT=$(median <<<"${ALL_RPS[nginx-tls]}")
  r5=$(ratio "$BT" "$NT")
  judge "$r5" 0.75
  say "bulwark-tls / nginx-tls throughput (both terminating TLS, same certificate): $r5 (target >= 0.75: $v)"
  say "  CPU per request: bulwark-tls $(median <<<"${ALL_US[bulwark-tls]}") us, nginx-tls $(median <<<"${ALL_US[nginx-tls]}") us;" \
    "TLS cost: bulwark-tls / bulwark $(ratio "$BT" "$B"), nginx-tls / nginx-proxy $(ratio "$NT" "$N")"
fi
if [ "$OBS" = 1 ]; then
  OON=$(median <<<"${ALL_RPS[obs-on]}")
  OOFF=$(median <<<"${ALL_RPS[obs-off]}")
  r8=$(ratio "$OON" "$OOFF")
  say "obs-on (metrics + access log + 10% tracing) / obs-off (all three off): $r8 (not a target: what the three cost, see docs/performance.md)"
  say "  CPU per request: obs-on $(median <<<"${ALL_US[obs-on]}") us, obs-off $(median <<<"${ALL_US[obs-off]}") us"
  spans=$(curl -fsS "http://127.0.0.1:${GW_ADMIN_OF[obs-on]}/metrics" 2>/dev/null | grep -E '^bulwark_tracing_spans_(exported|dropped)_total' | tr '\n' ' ' || true)
  say "  obs-on tracing counters after the runs: ${spans:-none}"
fi
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "raw wrk output and configs: $RES"
cp "$REPORT" "$OUT_DIR/latest.txt"

bench_cleanup

STATUS=0
[ "$ERRORS" = 0 ] || { log "$ERRORS run(s) had errors or non-2xx responses"; STATUS=1; }
[ -z "${STRICT:-}" ] || [ "$MISSED" = 0 ] || STATUS=1

if [ "${SOAK:-0}" = 1 ]; then
  bash "$BENCH_DIR/reload-soak.sh" || STATUS=1
fi
if [ "${FLEET:-0}" = 1 ]; then
  bash "$BENCH_DIR/fleet.sh" || STATUS=1
fi
if [ "${COMPRESS:-0}" = 1 ]; then
  bash "$BENCH_DIR/compress.sh" || STATUS=1
fi
if [ "${GRPC:-0}" = 1 ]; then
  bash "$BENCH_DIR/grpc.sh" || STATUS=1
fi
if [ "${STARTUP_BENCH:-0}" = 1 ]; then
  bash "$BENCH_DIR/startup.sh" || STATUS=1
fi
if [ "${WARMUP_BENCH:-0}" = 1 ]; then
  bash "$BENCH_DIR/warmup.sh" || STATUS=1
fi
if [ "${FOOTPRINT:-0}" = 1 ]; then
  bash "$BENCH_DIR/footprint.sh" || STATUS=1
fi
exit "$STATUS"
