# Shared helpers for bench/run.sh and bench/reload-soak.sh. Sourced, not run.
# Everything listens on 127.0.0.1 only; every process started is recorded in BENCH_PIDS and
# killed by bench_cleanup (installed as the EXIT trap by bench_init).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR="$BENCH_DIR/out"
JAR="$ROOT/target/bulwark.jar"
# The JVM flags of the ./bulwark launcher: scripts/jvm-flags plus $BULWARK_JAVA_OPTS, as the
# launcher does, except the heap and the collector: the throughput benches keep the fixed ones
# their figures were always measured with (BENCH_HEAP_FLAGS), so that they stay comparable across
# the change of the defaults to a container-sized heap (issue 21). A script that measures the
# defaults themselves (footprint.sh, warmup.sh) sets BENCH_DEFAULT_FLAGS=1 before sourcing this.
# BENCH_JVM_FLAGS replaces them all.
BENCH_HEAP_FLAGS="-XX:+UseParallelGC -Xms512m -Xmx512m -XX:+AlwaysPreTouch"
if [ -n "${BENCH_JVM_FLAGS:-}" ]; then
  BULWARK_JAVA_OPTS=$BENCH_JVM_FLAGS
elif [ -x "$ROOT/scripts/jvm-flags" ] && JH=$("$ROOT/scripts/find-java" 2>/dev/null); then
  _flags=$("$ROOT/scripts/jvm-flags" "$JH")
  if [ -z "${BENCH_DEFAULT_FLAGS:-}" ]; then
    # the launcher's collector and heap sizing out, the bench's fixed ones in
    _flags="$BENCH_HEAP_FLAGS $(tr ' ' '\n' <<<"$_flags" | grep -Ev '^-(XX:[+-]Use[A-Za-z]+GC|XX:[A-Za-z]*RAMPercentage=.*|Xm[sxn].*|XX:[+-]AlwaysPreTouch)$' | grep . | tr '\n' ' ' | sed 's/ $//')"
  fi
  BULWARK_JAVA_OPTS="$_flags${BULWARK_JAVA_OPTS:+ $BULWARK_JAVA_OPTS}"
  unset _flags
else
  BULWARK_JAVA_OPTS="-XX:+UseParallelGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:-UsePerfData -Dio.netty.leakDetection.level=disabled${BULWARK_JAVA_OPTS:+ $BULWARK_JAVA_OPTS}"
fi
# CPU layout on the 2-core machine: the proxy under test (bulwark or nginx-as-proxy) on CPU 0,
# the load generator and the upstream on CPU 1.
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

BENCH_PIDS=()
BENCH_TMP=""

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bench_cleanup() {
  local pid f
  # keep the gateways' own logs (stdout/stderr) next to the results
  if [ -n "${RES:-}" ] && [ -d "${RES:-}" ] && [ -n "$BENCH_TMP" ]; then
    for f in "$BENCH_TMP"/*.err "$BENCH_TMP"/*.out "$BENCH_TMP"/*-error.log; do
      [ -s "$f" ] && cp "$f" "$RES/" 2>/dev/null || true
    done
  fi
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ] && [ -z "${BENCH_KEEP_TMP:-}" ]; then
    rm -rf "$BENCH_TMP"
  fi
}

bench_init() {
  BENCH_TMP=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
  chmod 755 "$BENCH_TMP"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$OUT_DIR"
}

# Stops one process that this script started (by pid) and forgets it.
stop_pid() {
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# --- tools -----------------------------------------------------------------------------------

ensure_tools() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
      # nginx-light is not in every release; plain nginx then
      local alt=("${missing[@]/nginx-light/nginx}")
      apt-get install -y -qq --no-install-recommends "${alt[@]}" >&2 || die "apt-get install ${alt[*]} failed"
    fi
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || die "nginx not found after install"
  if [ -n "${WANT_HEY:-}" ] && ! command -v hey >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey >&2 || log "hey not installed (optional)"
  fi
}

# etcd-server (Debian's etcd 3.4), for bench/fleet.sh
ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return
  log "installing etcd-server with apt-get"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install etcd-server"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >&2 || die "apt-get install etcd-server failed"
  command -v etcd >/dev/null 2>&1 || die "no etcd after installing etcd-server"
}

ensure_java() {
  JAVA_HOME=$("$ROOT/scripts/find-java") || die "no JDK >= 21 (scripts/find-java)"
  export JAVA_HOME
  JAVA="$JAVA_HOME/bin/java"
  JCMD="$JAVA_HOME/bin/jcmd"
}

ensure_jar() {
  if [ -f "$JAR" ] && [ -z "${REBUILD:-}" ]; then return; fi
  log "building $JAR"
  (cd "$ROOT" && mvn -o -q package -DskipTests >&2) || (cd "$ROOT" && mvn -q package -DskipTests >&2) || die "mvn package failed"
  [ -f "$JAR" ] || die "no $JAR after the build"
}

# A free TCP port on 127.0.0.1 (bound by the kernel, then released).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

wait_http() { # url [seconds]
  local url=$1 secs=${2:-60}
  for _ in $(seq 1 $((secs * 10))); do
    curl -kfsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# --- nginx -----------------------------------------------------------------------------------

UPSTREAM_BODY='{"ok":true,"service":"bench-upstream","items":[1,2,3]}'

# nginx_common NAME: main-context lines shared by both nginx roles
nginx_main() {
  local name=$1
  cat <<EOF
worker_processes 1;
daemon off;
pid $BENCH_TMP/$name.pid;
error_log $BENCH_TMP/$name-error.log warn;
events { worker_connections 4096; multi_accept on; }
EOF
}

nginx_http_common() {
  local name=$1 access="access_log off;"
  # nginx-log: the proxy with nginx's own default access log (combined format, one write per request)
  [ "$name" != proxylog ] || access="access_log $BENCH_TMP/proxylog-access.log combined;"
  cat <<EOF
  $access
  keepalive_timeout 120s;
  keepalive_requests 10000000;
  client_body_temp_path $BENCH_TMP/$name-client-body;
  proxy_temp_path $BENCH_TMP/$name-proxy-temp;
EOF
}

# launch_nginx NAME CONF CPU URL: runs nginx on CONF pinned to CPU and waits until URL answers;
# sets NGINX_PID
launch_nginx() {
  local name=$1 conf=$2 cpu=$3 url=$4
  taskset -c "$cpu" "$NGINX" -p "$BENCH_TMP" -e "$BENCH_TMP/$name-error.log" -c "$conf" \
    >"$BENCH_TMP/$name.out" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  wait_http "$url" 20 || { cat "$BENCH_TMP/$name-error.log" "$BENCH_TMP/$name.out" >&2; die "nginx $name did not start"; }
}

# start_upstream PORT CPU: nginx returning a small JSON body; sets UPSTREAM_PID
start_upstream() {
  local port=$1 cpu=$2 conf="$BENCH_TMP/upstream.conf"
  {
    nginx_main upstream
    echo "http {"
    nginx_http_common upstream
    cat <<EOF
  server {
    listen 127.0.0.1:$port backlog=4096;
    default_type application/json;
    location / { return 200 '$UPSTREAM_BODY'; }
    # an OTLP/HTTP sink for the observability case: an empty ExportTraceServiceResponse
    location = /v1/traces { default_type application/x-protobuf; return 200 ''; }
  }
}
EOF
  } >"$conf"
  launch_nginx upstream "$conf" "$cpu" "http://127.0.0.1:$port/"
  UPSTREAM_PID=$NGINX_PID
}

# start_redis PORT CPU: a throwaway redis-server (no persistence); sets REDIS_PID
start_redis() {
  local port=$1 cpu=$2
  taskset -c "$cpu" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$BENCH_TMP" >"$BENCH_TMP/redis.out" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$BENCH_TMP/redis.out" >&2
  die "redis-server did not start"
}

# nginx_proxy NAME PORT UPSTREAM_PORT CPU [CERT KEY]: a keep-alive reverse proxy to the upstream,
# terminating TLS 1.2/1.3 when a certificate is given; sets NGINX_PID
nginx_proxy() {
  local name=$1 port=$2 up=$3 cpu=$4 cert=${5:-} key=${6:-} conf="$BENCH_TMP/$1.conf" scheme=http tls=""
  if [ -n "$cert" ]; then
    scheme=https
    tls=" ssl"
  fi
  {
    nginx_main "$name"
    echo "http {"
    nginx_http_common "$name"
    cat <<EOF
  upstream backend {
    server 127.0.0.1:$up;
    keepalive 64;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:$port$tls backlog=4096;
EOF
    if [ -n "$cert" ]; then
      cat <<EOF
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
EOF
    fi
    cat <<EOF
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  } >"$conf"
  launch_nginx "$name" "$conf" "$cpu" "$scheme://127.0.0.1:$port/api/items/42"
}

# start_nginx_proxy PORT UPSTREAM_PORT CPU: plain keep-alive reverse proxy; sets NGINX_PROXY_PID
start_nginx_proxy() {
  nginx_proxy proxy "$1" "$2" "$3"
  NGINX_PROXY_PID=$NGINX_PID
}

# start_nginx_log_proxy PORT UPSTREAM_PORT CPU: the same proxy writing nginx's default access log
# to a file; sets NGINX_LOG_PID
start_nginx_log_proxy() {
  nginx_proxy proxylog "$1" "$2" "$3"
  NGINX_LOG_PID=$NGINX_PID
}

# make_cert DIR: a self-signed EC P-256 certificate for localhost and 127.0.0.1 (DIR/bench.pem,
# DIR/bench.key), the one both TLS proxies serve (wrk does not verify it)
make_cert() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/bench.key" -out "$dir/bench.pem" \
    >"$dir/openssl.out" 2>&1 || { cat "$dir/openssl.out" >&2; die "openssl could not make the bench certificate"; }
}

# start_nginx_tls_proxy PORT UPSTREAM_PORT CPU CERT KEY: the keep-alive reverse proxy of
# start_nginx_proxy, terminating TLS 1.2/1.3 with the given certificate; sets NGINX_TLS_PID
start_nginx_tls_proxy() {
  nginx_proxy proxy-tls "$1" "$2" "$3" "$4" "$5"
  NGINX_TLS_PID=$NGINX_PID
}

# start_etcd MEMBERS CPU: a new etcd cluster of MEMBERS members on loopback ports, data under
# $BENCH_TMP/etcd, pinned to CPU; waits until every member reports healthy (a leader elected).
# Sets ETCD_ENDPOINTS (space-separated client URLs) and ETCD_PIDS.
start_etcd() {
  local n=$1 cpu=$2 i initial="" cport pport
  local -a cports=() pports=()
  mkdir -p "$BENCH_TMP/etcd"
  for i in $(seq 0 $((n - 1))); do
    cports+=("$(free_port)")
    pports+=("$(free_port)")
    initial+="${initial:+,}m$i=http://127.0.0.1:${pports[$i]}"
  done
  ETCD_ENDPOINTS=""
  ETCD_PIDS=()
  for i in $(seq 0 $((n - 1))); do
    cport=${cports[$i]}
    pport=${pports[$i]}
    taskset -c "$cpu" etcd --name "m$i" --data-dir "$BENCH_TMP/etcd/m$i" \
      --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
      --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "bench-$$" \
      --logger zap --log-outputs stderr >"$BENCH_TMP/etcd-m$i.err" 2>&1 &
    ETCD_PIDS+=("$!")
    BENCH_PIDS+=("$!")
    ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+ }http://127.0.0.1:$cport"
  done
  for url in $ETCD_ENDPOINTS; do
    for _ in $(seq 1 600); do
      curl -fsS --max-time 1 "$url/health" 2>/dev/null | grep -q '"health":"true"' && continue 2
      sleep 0.1
    done
    tail -n 20 "$BENCH_TMP"/etcd-m*.err >&2
    die "etcd at $url did not become healthy"
  done
}

# --- bulwark ---------------------------------------------------------------------------------

# gateway_head PORT ADMIN_PORT ACCESS_LOG_FILE UPSTREAM_PORT: server/admin/log/upstream sections
gateway_head() {
  cat <<EOF
server:
  listen: "127.0.0.1:$1"
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$2"
observability:
  accessLog: { enabled: true, output: "$3" }
upstreams:
  api:
    targets: [ { url: "http://127.0.0.1:$4" } ]
EOF
}

# gen_routes_config N PORT ADMIN UPSTREAM ACCESS_LOG: N routes /svc{i}/items/{id} (i = 0..N-1) plus /api/**
gen_routes_config() {
  local n=$1
  gateway_head "$2" "$3" "$5" "$4"
  echo "routes:"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "  - name: svc%d\n    match: { path: \"/svc%d/items/{id}\", methods: [GET] }\n    upstream: api\n", i, i }'
  printf '  - name: api\n    match: { path: "/api/**" }\n    upstream: api\n'
}

# start_gateway CONFIG ADMIN_PORT CPU NAME: runs the fat jar; sets GATEWAY_PID and GATEWAY_START_MS
start_gateway() {
  local conf=$1 admin=$2 cpu=$3 name=${4:-gateway} t0 t1
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  taskset -c "$cpu" "$JAVA" $BULWARK_JAVA_OPTS -jar "$JAR" run -c "$conf" \
    >"$BENCH_TMP/$name.out" 2>"$BENCH_TMP/$name.err" &
  GATEWAY_PID=$!
  BENCH_PIDS+=("$GATEWAY_PID")
  if ! wait_http "http://127.0.0.1:$admin/health/ready" 120; then
    tail -n 30 "$BENCH_TMP/$name.err" >&2
    die "bulwark did not become ready ($conf)"
  fi
  t1=$(date +%s%N)
  GATEWAY_START_MS=$(((t1 - t0) / 1000000))
}

stop_gateway() {
  [ -n "${GATEWAY_PID:-}" ] && stop_pid "$GATEWAY_PID"
  GATEWAY_PID=""
}

# start_pipe CLASS PORT UPSTREAM_PORT CPU: one of the reference proxies in bench/ (VertxPipe,
# the plainest Vert.x core reverse proxy, i.e. Bulwark's stack with none of Bulwark's work;
# NettyPipe, the plainest Netty one, with no Vert.x), compiled once against the fat jar and run
# with the gateway's JVM flags; sets PIPE_PID
start_pipe() {
  local cls=$1 port=$2 up=$3 cpu=$4 classes="$BENCH_TMP/pipe-classes"
  if [ ! -f "$classes/$cls.class" ]; then
    "$JAVA_HOME/bin/javac" -nowarn -cp "$JAR" -d "$classes" "$BENCH_DIR/$cls.java" || die "bench/$cls.java did not compile"
  fi
  # shellcheck disable=SC2086
  taskset -c "$cpu" "$JAVA" $BULWARK_JAVA_OPTS -cp "$classes:$JAR" "$cls" "$port" "$up" \
    >"$BENCH_TMP/$cls.out" 2>&1 &
  PIPE_PID=$!
  BENCH_PIDS+=("$PIPE_PID")
  wait_http "http://127.0.0.1:$port/api/items/42" 60 || { cat "$BENCH_TMP/$cls.out" >&2; die "$cls did not start"; }
}

# --- wrk -------------------------------------------------------------------------------------

# run_wrk OUTFILE URL SECONDS CONNECTIONS: wrk pinned to LOAD_CPU
run_wrk() { # OUT URL SECONDS [CONNECTIONS] [HEADER]
  local out=$1 url=$2 secs=$3 conns=${4:-64} hdr=${5:-}
  local extra=()
  [ -z "$hdr" ] || extra=(-H "$hdr")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${secs}s" --timeout 5s --latency "${extra[@]}" "$url" >"$out" 2>&1 || true
}

# make_rs256_jwt DIR: an RSA key pair in DIR (jwt.key, jwt.pub) and, on stdout, an RS256 token
# valid for a day, signed with openssl
make_rs256_jwt() {
  local dir=$1 b64 h p now
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/jwt.key" 2>/dev/null
  openssl pkey -in "$dir/jwt.key" -pubout -out "$dir/jwt.pub" 2>/dev/null
  b64() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
  now=$(date +%s)
  h=$(printf '{"alg":"RS256","typ":"JWT","kid":"bench"}' | b64)
  p=$(printf '{"iss":"https://id.bench/","aud":"bench-api","sub":"user-1","scope":"read","iat":%d,"exp":%d}' "$now" $((now + 86400)) | b64)
  printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$dir/jwt.key" -binary | b64)"
}

# to_ms VALUE_WITH_UNIT (wrk prints us, ms or s)
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

# parse_wrk FILE: sets RPS P50 P99 NON2XX SOCKERR REQS
parse_wrk() {
  local f=$1
  RPS=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  P50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")")
  P99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")")
  NON2XX=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$f")
  NON2XX=${NON2XX:-0}
  SOCKERR=$(awk '/Socket errors:/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$f")
  SOCKERR=${SOCKERR:-0}
  REQS=$(awk '/requests in/ {print $1; exit}' "$f")
  RPS=${RPS:-0}
  REQS=${REQS:-0}
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# --- CPU accounting --------------------------------------------------------------------------

# core_ticks: "busy total" jiffies of each core, one line per core (cpu0 first)
core_ticks() {
  awk '/^cpu[0-9]+ / { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; print $1, busy, total }' /proc/stat
}

# core_busy BEFORE AFTER CORE: busy percentage of one core between two core_ticks snapshots
core_busy() {
  awk -v c="cpu$3" -v before="$1" -v after="$2" 'BEGIN {
    n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); if (f[1] == c) { b1 = f[2]; t1 = f[3] } }
    n = split(after, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); if (f[1] == c) { b2 = f[2]; t2 = f[3] } }
    if (t2 > t1) printf "%.0f", 100 * (b2 - b1) / (t2 - t1); else print "nan" }'
}

# proc_snapshot: "pid comm ticks ppid" for every process (utime + stime of all its threads)
proc_snapshot() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '{
    i = index($0, " ("); j = 0; s = $0
    while ((k = index(s, ") ")) > 0) { j += k; s = substr(s, k + 1) }
    comm = substr($0, i + 2, j - i - 2)
    gsub(/ /, "_", comm)
    n = split(substr($0, j + 2), f, " ")
    print substr($0, 1, i - 1), comm, f[12] + f[13], f[2] }'
}

# tree_ticks SNAPSHOT PID: CPU ticks of PID and its direct children (nginx master + worker)
tree_ticks() {
  awk -v p="$2" '$1 == p || $4 == p { s += $3 } END { print s + 0 }' <<<"$1"
}

# cpu_us_per_req TICKS_BEFORE TICKS_AFTER REQUESTS: CPU microseconds per request
cpu_us_per_req() {
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / hz / n; else print "nan" }'
}

# foreign_cpu BEFORE AFTER SECONDS OWN_PIDS...: CPU used meanwhile by processes other than the
# given pids and their direct children (pass the script's shell, which is wrk's parent, the nginx
# masters and the gateways), in percent of one core
foreign_cpu() {
  local before=$1 after=$2 secs=$3; shift 3
  local hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  awk -v before="$before" -v after="$after" -v secs="$secs" -v hz="$hz" -v own=" $* " 'BEGIN {
    n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); t0[f[1]] = f[3] }
    n = split(after, a, "\n"); sum = 0
    for (i = 1; i <= n; i++) {
      split(a[i], f, " ")
      if (index(own, " " f[1] " ") > 0 || index(own, " " f[4] " ") > 0) continue
      d = f[3] - ((f[1] in t0) ? t0[f[1]] : 0)
      if (d > 0) sum += d
    }
    printf "%.0f", 100 * sum / (secs * hz) }'
}
