#!/usr/bin/env bash
# CPU cost of response compression per MiB of input: nginx's gzip module (gzip_comp_level 6)
# against Bulwark's compression middleware with gzip level 6 and Brotli quality 4, each proxy
# pinned to the same core. `make bench-compress` runs it; `COMPRESS=1 make bench` runs it after
# bench/run.sh. See docs/performance.md ("Compression").
#
#   DURATION=10      seconds of each measured wrk run
#   WARMUP=20        seconds of load on each Bulwark case before the first round (JIT)
#   ROUNDS=3         rounds, the cases interleaved in each; figures are the medians
#   CONNECTIONS=4    wrk connections (-t1): enough to keep the proxy's core busy with 1 MiB bodies
#   SIZE_KIB=1024    size of the JSON document the upstream serves
#
# Layout: the upstream nginx (a static file, with Content-Length) and wrk on LOAD_CPU; the proxy
# under test on PROXY_CPU. Each case's CPU is the proxy's own (utime + stime of all its threads,
# nginx master and worker together, from /proc) over the run, divided by the MiB of uncompressed
# body it served; "plain" runs of the same proxies without Accept-Encoding give the cost of
# proxying alone, and the difference is what compressing costs.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-20}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-4}
SIZE_KIB=${SIZE_KIB:-1024}

ensure_tools
ensure_java
ensure_jar
bench_init

STAMP=$(date +%Y%m%d-%H%M%S)
RES="$OUT_DIR/compress-$STAMP"
mkdir -p "$RES"
REPORT="$RES/report.txt"
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

# --- the document: JSON records from a fixed seed, SIZE_KIB KiB ----------------------------------
DOC_DIR="$BENCH_TMP/www"
mkdir -p "$DOC_DIR"
awk -v size=$((SIZE_KIB * 1024)) 'BEGIN {
  srand(7); split("alpha beta gamma delta epsilon orders users billing search profile", w, " ")
  s = "["; n = 0
  while (length(s) < size - 200) {
    s = s sprintf("%s{\"id\":%d,\"name\":\"%s-%d\",\"email\":\"%s.%d@example.com\",\"active\":%s,\"score\":%.3f,\"tags\":[\"%s\",\"%s\"],\"created\":\"2026-%02d-%02dT%02d:%02d:00Z\"}",
      n ? "," : "", n, w[int(rand() * 10) + 1], int(rand() * 100000), w[int(rand() * 10) + 1], n,
      rand() < 0.5 ? "true" : "false", rand() * 100, w[int(rand() * 10) + 1], w[int(rand() * 10) + 1],
      int(rand() * 12) + 1, int(rand() * 28) + 1, int(rand() * 24), int(rand() * 60))
    n++
  }
  printf "%s]", s }' >"$DOC_DIR/doc.json"
DOC_BYTES=$(wc -c <"$DOC_DIR/doc.json")
DOC_MIB=$(awk -v b="$DOC_BYTES" 'BEGIN { printf "%.6f", b / 1048576 }')

say "Bulwark compression benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
say "java: $("$JAVA" -version 2>&1 | head -n 1); nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
say "jar: $JAR ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo ', src has local changes'))"
say "JVM flags: $BULWARK_JAVA_OPTS"
say "document: $DOC_BYTES bytes of JSON; wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds, warm-up ${WARMUP}s per JVM"
say "CPUs: proxy under test on CPU $PROXY_CPU; wrk and the upstream nginx on CPU $LOAD_CPU"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- upstream: the document as a static file ---------------------------------------------------
UP_PORT=$(free_port)
{
  nginx_main upstream
  echo "http {"
  nginx_http_common upstream
  cat <<EOF
  server {
    listen 127.0.0.1:$UP_PORT backlog=4096;
    default_type application/json;
    location / { root $DOC_DIR; }
  }
}
EOF
} >"$BENCH_TMP/upstream.conf"
launch_nginx upstream "$BENCH_TMP/upstream.conf" "$LOAD_CPU" "http://127.0.0.1:$UP_PORT/doc.json"
UPSTREAM_PID=$NGINX_PID

# --- nginx: a keep-alive proxy with its gzip module at level 6 ---------------------------------
NX_PORT=$(free_port)
{
  nginx_main nginx-gzip
  echo "http {"
  nginx_http_common nginx-gzip
  cat <<EOF
  upstream backend { server 127.0.0.1:$UP_PORT; keepalive 64; }
  gzip on;
  gzip_comp_level 6;
  gzip_min_length 1024;
  gzip_proxied any;
  gzip_vary on;
  gzip_types application/json;
  server {
    listen 127.0.0.1:$NX_PORT backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
} >"$BENCH_TMP/nginx-gzip.conf"
cp "$BENCH_TMP/nginx-gzip.conf" "$RES/"
launch_nginx nginx-gzip "$BENCH_TMP/nginx-gzip.conf" "$PROXY_CPU" "http://127.0.0.1:$NX_PORT/doc.json"
NGINX_GZIP_PID=$NGINX_PID

# --- Bulwark: one route with the middleware (gzip 6 and br 4 offered; the client picks) ----------
GW_PORT=$(free_port)
GW_ADMIN=$(free_port)
cat >"$BENCH_TMP/bulwark.yaml" <<EOF
server:
  listen: "127.0.0.1:$GW_PORT"
  shutdown: { gracePeriod: 1s }
admin:
  listen: "127.0.0.1:$GW_ADMIN"
observability:
  accessLog: { enabled: false }
upstreams:
  api:
    targets: [ { url: "http://127.0.0.1:$UP_PORT" } ]
middlewares:
  zip:
    compression: { algorithms: [br, gzip], minSize: 1KiB, types: [application/json], levels: { gzip: 6, br: 4 } }
routes:
  - name: doc
    match: { path: "/**" }
    upstream: api
    middlewares: [zip]
EOF
cp "$BENCH_TMP/bulwark.yaml" "$RES/"
start_gateway "$BENCH_TMP/bulwark.yaml" "$GW_ADMIN" "$PROXY_CPU" bulwark
log "bulwark: pid $GATEWAY_PID on 127.0.0.1:$GW_PORT (CPU $PROXY_CPU)"

# --- the cases ----------------------------------------------------------------------------------
CASES=(nginx-plain nginx-gzip6 bulwark-plain bulwark-gzip6 bulwark-br4)
declare -A URL AE PIDOF
for c in "${CASES[@]}"; do
  case $c in
    nginx-*) URL[$c]="http://127.0.0.1:$NX_PORT/doc.json"; PIDOF[$c]=$NGINX_GZIP_PID ;;
    bulwark-*) URL[$c]="http://127.0.0.1:$GW_PORT/doc.json"; PIDOF[$c]=$GATEWAY_PID ;;
  esac
  case $c in
    *-plain) AE[$c]="Accept-Encoding: identity" ;;
    *-gzip6) AE[$c]="Accept-Encoding: gzip" ;;
    *-br4) AE[$c]="Accept-Encoding: br" ;;
  esac
done

# every case decodes to the document, with the coding it claims; the compressed size, once
declare -A SIZE
for c in "${CASES[@]}"; do
  hdr="$BENCH_TMP/$c.headers"
  curl -fsS -H "${AE[$c]}" -D "$hdr" -o "$BENCH_TMP/$c.body" "${URL[$c]}"
  SIZE[$c]=$(wc -c <"$BENCH_TMP/$c.body")
  enc=$(awk -F': *' 'tolower($1) == "content-encoding" { gsub("\r", "", $2); print $2 }' "$hdr")
  case $c in
    *-plain) [ -z "$enc" ] && cmp -s "$BENCH_TMP/$c.body" "$DOC_DIR/doc.json" || die "$c: not the document as it is ($enc)" ;;
    *-gzip6) [ "$enc" = gzip ] && gzip -dc "$BENCH_TMP/$c.body" | cmp -s - "$DOC_DIR/doc.json" || die "$c: not gzip of the document ($enc)" ;;
    *-br4)
      [ "$enc" = br ] || die "$c: Content-Encoding '$enc', not br"
      curl -fsS --compressed -H "${AE[$c]}" "${URL[$c]}" | cmp -s - "$DOC_DIR/doc.json" || die "$c: br does not decode to the document"
      ;;
  esac
done

# warm-up: the JVM's JIT (every path it will run), and nginx's caches
log "warm-up: ${WARMUP}s on each Bulwark case, 3s on each nginx case"
for c in "${CASES[@]}"; do
  case $c in bulwark-*) w=$WARMUP ;; *) w=3 ;; esac
  run_wrk "$BENCH_TMP/warm-$c.txt" "${URL[$c]}" "$w" "$CONNECTIONS" "${AE[$c]}"
done

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
declare -A MS_PER_MIB
for r in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    before=$(proc_snapshot)
    run_wrk "$RES/wrk-$c-$r.txt" "${URL[$c]}" "$DURATION" "$CONNECTIONS" "${AE[$c]}"
    after=$(proc_snapshot)
    parse_wrk "$RES/wrk-$c-$r.txt"
    [ "$NON2XX" = 0 ] && [ "$SOCKERR" = 0 ] || die "$c: $NON2XX non-2xx, $SOCKERR socket errors"
    t0=$(tree_ticks "$before" "${PIDOF[$c]}")
    t1=$(tree_ticks "$after" "${PIDOF[$c]}")
    other=$(foreign_cpu "$before" "$after" "$DURATION" $$ "$UPSTREAM_PID" "$NGINX_GZIP_PID" "$GATEWAY_PID")
    ms=$(awk -v a="$t0" -v b="$t1" -v n="$REQS" -v m="$DOC_MIB" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1000 / hz / (n * m); else print "nan" }')
    MS_PER_MIB[$c]="${MS_PER_MIB[$c]:-} $ms"
    log "round $r $c: $REQS responses, ${RPS}/s, proxy CPU $ms ms per MiB, other ${other}%"
    printf '%s round %s: %s responses (%s/s), proxy CPU %s ms per MiB of input, other%% %s\n' \
      "$c" "$r" "$REQS" "$RPS" "$ms" "$other" >>"$REPORT"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A MED
for c in "${CASES[@]}"; do MED[$c]=$(median "${MS_PER_MIB[$c]}"); done
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
nginx_only=$(sub "${MED[nginx-gzip6]}" "${MED[nginx-plain]}")

say ""
say "CPU ms per MiB of uncompressed body (medians of $ROUNDS rounds; 'compressing' = the case minus the same proxy uncompressed)"
say "| case | proxy CPU ms/MiB | compressing ms/MiB | vs nginx gzip 6 (compressing) | output size | ratio |"
say "| --- | --- | --- | --- | --- | --- |"
for c in "${CASES[@]}"; do
  case $c in
    nginx-*) plain=${MED[nginx-plain]} ;;
    *) plain=${MED[bulwark-plain]} ;;
  esac
  comp="-"; vs="-"
  if [[ $c != *-plain ]]; then
    comp=$(sub "${MED[$c]}" "$plain")
    vs=$(ratio "$comp" "$nginx_only")
  fi
  say "| $c | ${MED[$c]} | $comp | $vs | ${SIZE[$c]} | $(ratio "${SIZE[$c]}" "$DOC_BYTES") |"
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$REPORT" "$OUT_DIR/compress-latest.txt"
log "report: $REPORT"
