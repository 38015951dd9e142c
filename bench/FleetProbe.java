import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The measuring side of bench/fleet.sh (JDK only: plain sockets, no HTTP library, so that what is
 * timed is the servers and the loopback, not a client's machinery). Three commands:
 *
 * <pre>
 * load ETCD PREFIX N UPSTREAM_PORT
 *     writes PREFIX/upstreams/api, PREFIX/routes/api (/api/**) and N routes PREFIX/routes/svcI
 *     (/svcI/items/{id}, GET), through etcd's JSON gateway in txns of at most 128 puts
 * propagate ETCD PREFIX WRITES WARM PAUSE_US OUT_CSV GATEWAY...
 *     WARM unmeasured writes, then WRITES measured ones: each puts PREFIX/routes/pI (a route /pI to
 *     upstream api) and polls every gateway (GET /pI, one keep-alive connection each, PAUSE_US
 *     between polls) until all answer 200; prints p50/p99 of the put's round trip and of the time
 *     from the put's answer (the write committed) to every gateway serving the route
 * breakdown OUT_CSV GATEWAY_LOG...
 *     from the gateways' own logs ("config reloaded (etcd revision R)", logged when the new route
 *     table is published): p50/p99 of the time from the put's answer to that line, per gateway and
 *     for the last of them, i.e. the gateway's side of the propagation without the polling
 * startup T0_EPOCH_NANOS PID ROUTE_URL READY_URL TIMEOUT_S
 *     polls both URLs (1 ms apart) until each answers 200; prints the milliseconds from T0 (taken by
 *     the script just before it started the gateway) to the first 200 of each
 * </pre>
 */
public class FleetProbe {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "load" -> load(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
      case "propagate" ->
          propagate(
              args[1],
              args[2],
              Integer.parseInt(args[3]),
              Integer.parseInt(args[4]),
              Long.parseLong(args[5]),
              Path.of(args[6]),
              Arrays.copyOfRange(args, 7, args.length));
      case "startup" ->
          startup(
              Long.parseLong(args[1]),
              Long.parseLong(args[2]),
              args[3],
              args[4],
              Integer.parseInt(args[5]));
      case "breakdown" -> breakdown(Path.of(args[1]), Arrays.copyOfRange(args, 2, args.length));
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  // --- load --------------------------------------------------------------------------------------

  static void load(String etcd, String prefix, int n, int upstreamPort) throws IOException {
    List<String[]> kvs = new ArrayList<>();
    kvs.add(
        new String[] {
          prefix + "/upstreams/api",
          "{\"targets\":[{\"url\":\"http://127.0.0.1:" + upstreamPort + "\"}]}"
        });
    kvs.add(
        new String[] {
          prefix + "/routes/api", "{\"match\":{\"path\":\"/api/**\"},\"upstream\":\"api\"}"
        });
    for (int i = 0; i < n; i++)
      kvs.add(
          new String[] {
            prefix + "/routes/svc" + i,
            "{\"match\":{\"path\":\"/svc"
                + i
                + "/items/{id}\",\"methods\":[\"GET\"]},\"upstream\":\"api\"}"
          });
    long t0 = System.nanoTime();
    long bytes = 0;
    int txns = 0;
    String last = "";
    try (Http h = new Http(etcd)) {
      for (int from = 0; from < kvs.size(); from += 128) {
        StringBuilder b = new StringBuilder("{\"success\":[");
        for (int i = from; i < Math.min(kvs.size(), from + 128); i++) {
          if (i > from) b.append(',');
          bytes += kvs.get(i)[0].length() + kvs.get(i)[1].length();
          b.append("{\"requestPut\":{\"key\":\"")
              .append(b64(kvs.get(i)[0]))
              .append("\",\"value\":\"")
              .append(b64(kvs.get(i)[1]))
              .append("\"}}");
        }
        last = etcdCall(h, "/v3/kv/txn", b.append("]}").toString());
        if (!last.contains("\"succeeded\":true"))
          throw new IllegalStateException("txn not applied: " + last);
        txns++;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "wrote %d keys (%d bytes of keys and values) in %d txns in %.0f ms; revision %d%n",
        kvs.size(),
        bytes,
        txns,
        (System.nanoTime() - t0) / 1e6,
        revision(last));
  }

  // --- propagate ---------------------------------------------------------------------------------

  static void propagate(
      String etcd, String prefix, int writes, int warm, long pauseUs, Path csv, String[] gateways)
      throws Exception {
    int g = gateways.length;
    ExecutorService pool = Executors.newFixedThreadPool(g);
    Http[] clients = new Http[g];
    for (int i = 0; i < g; i++) clients[i] = new Http(gateways[i]);
    long[] put = new long[writes];
    long[] watched = new long[writes];
    long[] after = new long[writes];
    long[] total = new long[writes];
    long[][] each = new long[writes][g];
    long totalPolls = 0;
    try (Http e = new Http(etcd);
        WatchTap tap = new WatchTap(etcd, prefix);
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
      out.println(
          "write,put_us,commit_to_all_us,send_to_all_us,revision,polls,commit_epoch_us,commit_to_watch_us"
              + gwHeader(g));
      for (int w = -warm; w < writes; w++) {
        String name = (w < 0 ? "w" + (-w) : "p" + w);
        String key = prefix + "/routes/" + name;
        String value = "{\"match\":{\"path\":\"/" + name + "\"},\"upstream\":\"api\"}";
        String body = "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}";
        CountDownLatch go = new CountDownLatch(1);
        List<Future<long[]>> polls = new ArrayList<>();
        for (int i = 0; i < g; i++) {
          Http c = clients[i];
          polls.add(pool.submit(() -> pollUntil200(c, "/" + name, go, pauseUs, 30)));
        }
        long t0 = System.nanoTime();
        go.countDown();
        String answer = etcdCall(e, "/v3/kv/put", body);
        long t1 = System.nanoTime();
        long t1Epoch = epochNanos();
        long[] seen = new long[g];
        long n = 0;
        for (int i = 0; i < g; i++) {
          long[] r = polls.get(i).get(60, TimeUnit.SECONDS);
          seen[i] = r[0];
          n += r[1];
        }
        long rev = revision(answer);
        long tw = tap.at(rev);
        if (w < 0) continue;
        totalPolls += n;
        put[w] = t1 - t0;
        watched[w] = tw - t1;
        after[w] = Math.max(0, maxOf(seen) - t1);
        total[w] = maxOf(seen) - t0;
        StringBuilder row =
            new StringBuilder()
                .append(w)
                .append(',')
                .append(put[w] / 1000)
                .append(',')
                .append(after[w] / 1000)
                .append(',')
                .append(total[w] / 1000)
                .append(',')
                .append(rev)
                .append(',')
                .append(n)
                .append(',')
                .append(t1Epoch / 1000)
                .append(',')
                .append(watched[w] / 1000);
        for (int i = 0; i < g; i++) {
          each[w][i] = seen[i] - t0;
          row.append(',').append(each[w][i] / 1000);
        }
        out.println(row);
      }
    } finally {
      pool.shutdownNow();
      for (Http c : clients) c.close();
    }
    double p50put = pct(put, 50), p99put = pct(put, 99);
    double p50after = pct(after, 50), p99after = pct(after, 99);
    System.out.printf(
        Locale.ROOT,
        "%d writes (after %d unmeasured), %d gateways, %d us between polls, %.1f polls per gateway"
            + " per write%n",
        writes,
        warm,
        g,
        pauseUs,
        totalPolls / (double) writes / g);
    System.out.printf(
        Locale.ROOT,
        "etcd put round trip              p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms%n",
        p50put,
        p99put,
        maxOf(put) / 1e6);
    System.out.printf(
        Locale.ROOT,
        "commit -> the event at a bare watch (this probe)  p50 %.2f ms  p99 %.2f ms%n",
        pct(watched, 50),
        pct(watched, 99));
    System.out.printf(
        Locale.ROOT,
        "commit -> every gateway serving  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms%n",
        p50after,
        p99after,
        maxOf(after) / 1e6);
    System.out.printf(
        Locale.ROOT,
        "put sent -> every gateway serving p50 %7.2f ms  p99 %8.2f ms%n",
        pct(total, 50),
        pct(total, 99));
    for (int i = 0; i < g; i++) {
      long[] col = new long[writes];
      for (int w = 0; w < writes; w++) col[w] = each[w][i];
      System.out.printf(
          Locale.ROOT,
          "  gateway %d (%s): put sent -> serving p50 %.2f ms, p99 %.2f ms%n",
          i + 1,
          gateways[i],
          pct(col, 50),
          pct(col, 99));
    }
    System.out.printf(
        Locale.ROOT,
        "ratio propagation / put: p50 %.2f, p99 %.2f%n",
        p50after / p50put,
        p99after / p99put);
    System.out.printf(
        Locale.ROOT,
        "RESULT put_p50_ms=%.3f put_p99_ms=%.3f prop_p50_ms=%.3f prop_p99_ms=%.3f%n",
        p50put,
        p99put,
        p50after,
        p99after);
  }

  private static String gwHeader(int g) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < g; i++) b.append(",gw").append(i + 1).append("_us");
    return b.toString();
  }

  /** Polls PATH until it answers 200: {nanoTime of that answer, polls sent}. */
  private static long[] pollUntil200(
      Http c, String path, CountDownLatch go, long pauseUs, int timeoutS) throws Exception {
    go.await();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
    long n = 0;
    while (true) {
      n++;
      int status;
      try {
        status = c.get(path).status;
      } catch (IOException e) {
        c.close();
        status = -1;
      }
      if (status == 200) return new long[] {System.nanoTime(), n};
      if (System.nanoTime() > deadline)
        throw new IllegalStateException(
            c.hostPort + path + " never answered 200 (last " + status + ")");
      if (pauseUs > 0) LockSupport.parkNanos(pauseUs * 1000);
    }
  }

  // --- breakdown -------------------------------------------------------------------------------

  private static final Pattern RELOADED =
      Pattern.compile("\"@timestamp\":\"([^\"]+)\".*config reloaded \\(etcd revision (\\d+)\\)");

  static void breakdown(Path csv, String[] logs) throws IOException {
    List<java.util.Map<Long, Long>> published = new ArrayList<>();
    for (String log : logs) {
      java.util.Map<Long, Long> m = new java.util.HashMap<>();
      for (String l : Files.readAllLines(Path.of(log))) {
        Matcher x = RELOADED.matcher(l);
        if (!x.find()) continue;
        Instant t = Instant.parse(x.group(1));
        m.put(Long.parseLong(x.group(2)), t.getEpochSecond() * 1_000_000L + t.getNano() / 1000);
      }
      published.add(m);
    }
    List<String> rows = Files.readAllLines(csv);
    int n = rows.size() - 1, g = logs.length, missing = 0;
    long[][] each = new long[g][n];
    long[] last = new long[n];
    for (int r = 0; r < n; r++) {
      String[] f = rows.get(r + 1).split(",");
      long rev = Long.parseLong(f[4]), commit = Long.parseLong(f[6]);
      long worst = Long.MIN_VALUE;
      for (int i = 0; i < g; i++) {
        Long at = published.get(i).get(rev);
        if (at == null) {
          missing++;
          continue;
        }
        each[i][r] = (at - commit) * 1000;
        worst = Math.max(worst, each[i][r]);
      }
      last[r] = worst;
    }
    if (missing > 0) System.out.printf("(%d publications not found in the logs)%n", missing);
    System.out.printf(
        Locale.ROOT,
        "commit -> the last gateway's new table published (its log line) p50 %.2f ms, p99 %.2f ms%n",
        pct(last, 50),
        pct(last, 99));
    for (int i = 0; i < g; i++)
      System.out.printf(
          Locale.ROOT,
          "  gateway %d: commit -> published p50 %.2f ms, p99 %.2f ms%n",
          i + 1,
          pct(each[i], 50),
          pct(each[i], 99));
  }

  // --- startup -----------------------------------------------------------------------------------

  static void startup(long t0, long pid, String routeUrl, String readyUrl, int timeoutS)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Long> route = pool.submit(() -> firstOk(t0, pid, routeUrl, timeoutS));
      Future<Long> ready = pool.submit(() -> firstOk(t0, pid, readyUrl, timeoutS));
      long r = route.get(), h = ready.get();
      System.out.printf(Locale.ROOT, "%.0f %.0f%n", r / 1e6, h / 1e6);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Nanoseconds from T0 (epoch nanos) to the first 200 of URL. */
  private static long firstOk(long t0, long pid, String url, int timeoutS) throws Exception {
    URI u = URI.create(url);
    String path = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
    try (Http c = new Http(u.getHost() + ":" + u.getPort())) {
      while (true) {
        int status;
        try {
          status = c.get(path).status;
        } catch (IOException e) {
          c.close();
          status = -1;
        }
        if (status == 200) return epochNanos() - t0;
        if (System.nanoTime() > deadline)
          throw new IllegalStateException(url + " never answered 200 (last " + status + ")");
        if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true))
          throw new IllegalStateException("the gateway (pid " + pid + ") exited");
        LockSupport.parkNanos(1_000_000);
      }
    }
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  // --- helpers -----------------------------------------------------------------------------------

  private static String etcdCall(Http h, String path, String json) throws IOException {
    Http.Response r = h.post(path, json);
    String body = new String(r.body, StandardCharsets.UTF_8);
    if (r.status != 200 || body.contains("\"error\""))
      throw new IllegalStateException(path + ": HTTP " + r.status + " " + body);
    return body;
  }

  private static final Pattern REVISION = Pattern.compile("\"revision\":\"?(\\d+)");

  private static long revision(String body) {
    Matcher m = REVISION.matcher(body);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static long maxOf(long[] a) {
    long m = Long.MIN_VALUE;
    for (long v : a) m = Math.max(m, v);
    return m;
  }

  /** Nearest-rank percentile, in milliseconds. */
  private static double pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, rank - 1)] / 1e6;
  }

  /**
   * A bare etcd watch on the prefix, through the JSON gateway as the gateways' own: the nanoTime at
   * which each revision's event reached this process, i.e. etcd's side of the propagation.
   */
  static final class WatchTap implements AutoCloseable {
    final java.util.concurrent.ConcurrentHashMap<Long, Long> arrived =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final Socket socket = new Socket();
    private final Thread reader;

    WatchTap(String etcd, String prefix) throws IOException {
      String hp = etcd.replaceFirst("^https?://", "").replaceFirst("/.*$", "");
      int colon = hp.lastIndexOf(':');
      socket.setTcpNoDelay(true);
      socket.connect(
          new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1))),
          1000);
      byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
      end = Arrays.copyOf(end, end.length + 1);
      end[end.length - 1] = '0'; // prefix + "/" -> prefix + "0": every key under prefix + "/"
      String body =
          "{\"create_request\":{\"key\":\""
              + b64(prefix + "/")
              + "\",\"range_end\":\""
              + Base64.getEncoder().encodeToString(end)
              + "\"}}";
      socket
          .getOutputStream()
          .write(
              ("POST /v3/watch HTTP/1.1\r\nHost: "
                      + hp
                      + "\r\nContent-Type: application/json\r\nContent-Length: "
                      + body.length()
                      + "\r\n\r\n"
                      + body)
                  .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = new BufferedInputStream(socket.getInputStream(), 65536);
      reader = new Thread(() -> read(in), "watch-tap");
      reader.setDaemon(true);
      reader.start();
    }

    private void read(InputStream in) {
      StringBuilder line = new StringBuilder();
      try {
        int c;
        // skip the response head; then take the body's bytes as they come (the chunk-size lines
        // are not JSON and are skipped below): one JSON message per line
        int state = 0;
        while (state < 4 && (c = in.read()) != -1) state = (c == '\r' || c == '\n') ? state + 1 : 0;
        while ((c = in.read()) != -1) {
          if (c != '\n') {
            line.append((char) c);
            continue;
          }
          long now = System.nanoTime();
          String l = line.toString();
          line.setLength(0);
          if (!l.contains("\"events\"")) continue;
          Matcher m = REVISION.matcher(l);
          if (m.find()) arrived.putIfAbsent(Long.parseLong(m.group(1)), now);
        }
      } catch (IOException e) {
        // closed
      }
    }

    /** When revision {@code rev} arrived (nanoTime), waiting up to a few seconds for it. */
    long at(long rev) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < deadline) {
        Long t = arrived.get(rev);
        if (t != null) return t;
        LockSupport.parkNanos(100_000);
      }
      throw new IllegalStateException("the watch did not report revision " + rev);
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** A blocking HTTP/1.1 client on one keep-alive connection (Content-Length or chunked). */
  static final class Http implements AutoCloseable {
    record Response(int status, byte[] body) {}

    final String hostPort;
    private final String host;
    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    Http(String hostPortOrUrl) {
      String hp = hostPortOrUrl.replaceFirst("^https?://", "").replaceFirst("/.*$", "");
      this.hostPort = hp;
      this.host = hp.substring(0, hp.lastIndexOf(':'));
      this.port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
    }

    Response get(String path) throws IOException {
      return send("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\n\r\n", null);
    }

    Response post(String path, String json) throws IOException {
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      return send(
          "POST "
              + path
              + " HTTP/1.1\r\nHost: "
              + hostPort
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + b.length
              + "\r\n\r\n",
          b);
    }

    private Response send(String head, byte[] body) throws IOException {
      if (socket == null) {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 1000);
        socket.setSoTimeout(5000);
        in = new BufferedInputStream(socket.getInputStream(), 65536);
        out = socket.getOutputStream();
      }
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      if (body == null) out.write(h);
      else {
        byte[] all = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        out.write(all);
      }
      out.flush();
      String status = line();
      if (status == null) throw new IOException("connection closed");
      int code = Integer.parseInt(status.split(" ")[1]);
      long length = -1;
      boolean chunked = false, close = false;
      for (String l = line(); l != null && !l.isEmpty(); l = line()) {
        String lower = l.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:"))
          length = Long.parseLong(lower.substring(15).trim());
        else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked"))
          chunked = true;
        else if (lower.startsWith("connection:") && lower.contains("close")) close = true;
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      if (chunked) {
        while (true) {
          int size = Integer.parseInt(line().split(";")[0].trim(), 16);
          if (size == 0) {
            while (!line().isEmpty()) {}
            break;
          }
          b.write(in.readNBytes(size));
          line();
        }
      } else if (length >= 0) b.write(in.readNBytes((int) length));
      else close = true; // read to the end: not used by the servers measured here
      if (close) close();
      return new Response(code, b.toByteArray());
    }

    private String line() throws IOException {
      StringBuilder s = new StringBuilder();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\n') {
          int n = s.length();
          return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
        }
        s.append((char) c);
      }
      return s.isEmpty() ? null : s.toString();
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      socket = null;
    }
  }
}
