package bulwark.fleet;

import bulwark.config.EtcdConfig;
import bulwark.config.EtcdTlsConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * etcd's v3 API through its JSON gateway ({@code /v3/kv/range}, {@code /v3/watch}...; keys and
 * values base64, 64-bit numbers as strings) on the Vert.x HTTP client, as Apache APISIX talks to
 * etcd: no gRPC stack next to the gateway's Netty. Several endpoints: a request that cannot reach
 * one (or finds it without quorum) is tried on the next. With a user name it authenticates on first
 * use and again when etcd says the token is no longer valid. Every method is asynchronous and
 * thread-safe; futures complete on the client's event loop.
 */
public final class EtcdClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final long UNARY_IDLE_MILLIS = 15_000;

  private final Vertx vertx;
  private final boolean ownVertx;
  private final HttpClient http;
  private final List<String> endpoints;
  private final String username;
  private final String password;
  private final long dialMillis;
  private volatile int current;
  private volatile String token;

  private EtcdClient(Vertx vertx, boolean ownVertx, EtcdConfig cfg) {
    this.vertx = vertx;
    this.ownVertx = ownVertx;
    this.endpoints = List.copyOf(cfg.endpoints());
    this.username = cfg.username() == null ? "" : cfg.username();
    this.password = cfg.password() == null ? "" : cfg.password();
    this.dialMillis = cfg.dialTimeout() == null ? 2000 : cfg.dialTimeout().toMillis();
    HttpClientOptions o =
        new HttpClientOptions().setKeepAlive(true).setConnectTimeout((int) dialMillis);
    EtcdTlsConfig tls = cfg.tls();
    if (tls != null) {
      if (tls.ca() != null) o.setTrustOptions(new PemTrustOptions().addCertPath(tls.ca()));
      if (tls.cert() != null)
        o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()));
    }
    this.http =
        vertx.httpClientBuilder().with(o).with(new PoolOptions().setHttp1MaxSize(32)).build();
  }

  /** A client on {@code vertx} (not closed by {@link #close}). */
  public static EtcdClient create(Vertx vertx, EtcdConfig cfg) {
    return new EtcdClient(vertx, false, cfg);
  }

  /** A client with its own one-thread Vert.x, closed by {@link #close}. */
  public static EtcdClient create(EtcdConfig cfg) {
    Vertx v = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    return new EtcdClient(v, true, cfg);
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The endpoints, in the order they are tried. */
  public List<String> endpoints() {
    return endpoints;
  }

  /**
   * Every key under {@code prefix} (a byte prefix: pass "/p/" to exclude "/p2"), at one revision.
   */
  public Future<RangeResult> range(String prefix) {
    ObjectNode b =
        JSON.createObjectNode().put("key", b64(prefix)).put("range_end", b64(prefixEnd(prefix)));
    return call("/v3/kv/range", b).map(EtcdClient::rangeResult);
  }

  /** The key, or null when it does not exist. */
  public Future<KeyValue> get(String key) {
    return call("/v3/kv/range", JSON.createObjectNode().put("key", b64(key)))
        .map(r -> rangeResult(r).kvs().stream().findFirst().orElse(null));
  }

  /** Sets {@code key}; the future holds the revision of the change. */
  public Future<Long> put(String key, String value) {
    return putWithLease(key, value, 0);
  }

  /** Sets {@code key}, attached to {@code leaseId} (deleted when the lease expires). */
  public Future<Long> putWithLease(String key, String value, long leaseId) {
    ObjectNode b = putBody(new TxnOp.Put(key, value.getBytes(StandardCharsets.UTF_8), leaseId));
    return call("/v3/kv/put", b).map(EtcdClient::revision);
  }

  /** Deletes {@code key}; the future holds the revision after it. */
  public Future<Long> delete(String key) {
    return call("/v3/kv/deleterange", JSON.createObjectNode().put("key", b64(key)))
        .map(EtcdClient::revision);
  }

  /**
   * Runs {@code success} if every compare holds, else {@code failure}, atomically at one revision.
   */
  public Future<TxnResult> txn(List<Compare> compares, List<TxnOp> success, List<TxnOp> failure) {
    ObjectNode b = JSON.createObjectNode();
    ArrayNode cs = b.putArray("compare");
    for (Compare c : compares) {
      ObjectNode n = cs.addObject().put("key", b64(c.key())).put("target", "MOD");
      n.put("result", c.result().name()).put("mod_revision", Long.toString(c.modRevision()));
      if (c.rangeEnd() != null) n.put("range_end", b64(c.rangeEnd()));
    }
    ops(b.putArray("success"), success);
    ops(b.putArray("failure"), failure);
    return call("/v3/kv/txn", b)
        .map(
            r -> {
              List<RangeResult> ranges = new ArrayList<>();
              for (JsonNode resp : r.path("responses")) {
                JsonNode range = resp.get("response_range");
                if (range != null) ranges.add(rangeResult(range));
              }
              return new TxnResult(r.path("succeeded").asBoolean(false), revision(r), ranges);
            });
  }

  /** Compacts the history up to {@code revision} (events before it are gone). */
  public Future<Void> compact(long revision) {
    ObjectNode b =
        JSON.createObjectNode().put("revision", Long.toString(revision)).put("physical", true);
    return call("/v3/kv/compaction", b).mapEmpty();
  }

  /** A lease of {@code ttlSeconds}; the future holds its id. */
  public Future<Long> leaseGrant(long ttlSeconds) {
    return call("/v3/lease/grant", JSON.createObjectNode().put("TTL", Long.toString(ttlSeconds)))
        .map(r -> r.path("ID").asLong());
  }

  /** Revokes the lease: every key attached to it is deleted at once. */
  public Future<Void> leaseRevoke(long leaseId) {
    return call("/v3/lease/revoke", JSON.createObjectNode().put("ID", Long.toString(leaseId)))
        .mapEmpty();
  }

  /**
   * Renews the lease once; the future holds the TTL it now has, 0 when it has expired (its keys are
   * gone: grant a new one and put them again).
   */
  public Future<Long> keepAlive(long leaseId) {
    return EtcdStreams.keepAlive(this, leaseId);
  }

  /**
   * Watches every key under {@code prefix} from {@code fromRevision} (one stream); the listener
   * hears batches of events, a compaction, or the end of the watch.
   */
  public EtcdStreams.Watch watch(String prefix, long fromRevision, WatchListener listener) {
    return EtcdStreams.watch(this, prefix, fromRevision, listener);
  }

  @Override
  public void close() {
    http.close();
    if (ownVertx) vertx.close();
  }

  // --- transport

  /** A unary call with failover over the endpoints and re-authentication. */
  Future<JsonNode> call(String path, ObjectNode body) {
    return attempt(path, body, 0, false);
  }

  private Future<JsonNode> attempt(String path, ObjectNode body, int tried, boolean reauthed) {
    int idx = current;
    String ep = endpoints.get(idx % endpoints.size());
    return authToken(ep)
        .compose(t -> send(ep, path, body, t, UNARY_IDLE_MILLIS))
        .recover(
            err -> {
              EtcdException e = asEtcd(ep, err);
              if (e.code() == EtcdException.UNAUTHENTICATED && !username.isEmpty() && !reauthed) {
                token = null;
                return attempt(path, body, tried, true);
              }
              if (e.unavailable() && tried + 1 < endpoints.size()) {
                failover(idx);
                return attempt(path, body, tried + 1, reauthed);
              }
              return Future.failedFuture(e);
            });
  }

  /** Moves to the next endpoint, unless another caller already did. */
  void failover(int from) {
    if (current == from) current = (from + 1) % endpoints.size();
  }

  int currentIndex() {
    return current;
  }

  String endpoint(int idx) {
    return endpoints.get(idx % endpoints.size());
  }

  /** The token to send to {@code ep}, authenticating first when there is a user and no token. */
  Future<String> authToken(String ep) {
    if (username.isEmpty()) return Future.succeededFuture(null);
    String t = token;
    if (t != null) return Future.succeededFuture(t);
    ObjectNode b = JSON.createObjectNode().put("name", username).put("password", password);
    return send(ep, "/v3/auth/authenticate", b, null, UNARY_IDLE_MILLIS)
        .map(
            r -> {
              String nt = r.path("token").asText();
              token = nt;
              return nt;
            });
  }

  /** Sets the token as if etcd had issued it: for tests of re-authentication. */
  void forceToken(String t) {
    token = t;
  }

  void invalidateToken() {
    token = null;
  }

  RequestOptions options(String ep, String path, String authToken, long idleMillis) {
    RequestOptions o =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(ep + path)
            .setConnectTimeout(dialMillis)
            .setIdleTimeout(idleMillis)
            .putHeader("Content-Type", "application/json");
    if (authToken != null) o.putHeader("Authorization", authToken);
    return o;
  }

  HttpClient http() {
    return http;
  }

  private Future<JsonNode> send(
      String ep, String path, ObjectNode body, String authToken, long idleMillis) {
    // body() is asked for in the callback that sends, on the connection's event loop: a callback
    // chained from the caller's thread may run after the body arrived, and it would be lost (an
    // empty answer: a range without keys at revision 0)
    // and the chain starts on a Vert.x context, so no step of it runs on the caller's thread
    Promise<JsonNode> p = Promise.promise();
    vertx.runOnContext(
        v ->
            http.request(options(ep, path, authToken, idleMillis))
                .compose(
                    req ->
                        req.send(Buffer.buffer(body.toString()))
                            .compose(
                                resp -> resp.body().map(b -> checked(ep, resp.statusCode(), b))))
                .onComplete(p));
    return p.future();
  }

  static JsonNode checked(String ep, int status, Buffer b) {
    JsonNode r;
    try {
      r = JSON.readTree(b.toString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new EtcdException(-1, ep + ": HTTP " + status + ", not a JSON answer");
    }
    if (r.has("error") || r.has("code") && !r.has("header")) {
      String msg = r.path("message").asText(r.path("error").asText());
      throw new EtcdException(r.path("code").asInt(-1), ep + ": " + msg);
    }
    if (status != 200) throw new EtcdException(-1, ep + ": HTTP " + status);
    return r;
  }

  static EtcdException asEtcd(String ep, Throwable err) {
    if (err instanceof EtcdException e) return e;
    String m = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return new EtcdException(-1, ep + ": " + m);
  }

  // --- encoding

  private static void ops(ArrayNode out, List<TxnOp> ops) {
    for (TxnOp op : ops) {
      ObjectNode n = out.addObject();
      switch (op) {
        case TxnOp.Put p -> n.set("request_put", putBody(p));
        case TxnOp.Delete d -> n.set("request_delete_range", keyRange(d.key(), d.rangeEnd()));
        case TxnOp.Get g -> n.set("request_range", keyRange(g.key(), g.rangeEnd()));
      }
    }
  }

  private static ObjectNode putBody(TxnOp.Put p) {
    ObjectNode b = JSON.createObjectNode().put("key", b64(p.key()));
    b.put("value", Base64.getEncoder().encodeToString(p.value()));
    if (p.lease() != 0) b.put("lease", Long.toString(p.lease()));
    return b;
  }

  private static ObjectNode keyRange(String key, String rangeEnd) {
    ObjectNode n = JSON.createObjectNode().put("key", b64(key));
    if (rangeEnd != null) n.put("range_end", b64(rangeEnd));
    return n;
  }

  static RangeResult rangeResult(JsonNode r) {
    List<KeyValue> kvs = new ArrayList<>();
    for (JsonNode kv : r.path("kvs")) kvs.add(keyValue(kv));
    return new RangeResult(revision(r), List.copyOf(kvs));
  }

  static KeyValue keyValue(JsonNode kv) {
    return new KeyValue(
        new String(unb64(kv.path("key").asText()), StandardCharsets.UTF_8),
        unb64(kv.path("value").asText()),
        kv.path("create_revision").asLong(),
        kv.path("mod_revision").asLong(),
        kv.path("version").asLong(),
        kv.path("lease").asLong());
  }

  static long revision(JsonNode r) {
    return r.path("header").path("revision").asLong();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] unb64(String s) {
    return s.isEmpty() ? new byte[0] : Base64.getDecoder().decode(s);
  }

  /** The end of the range of keys that start with {@code prefix}: its last byte plus one. */
  public static String prefixEnd(String prefix) {
    byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xff) {
        b[i]++;
        return new String(b, 0, i + 1, StandardCharsets.ISO_8859_1);
      }
    }
    return "\0";
  }
}
