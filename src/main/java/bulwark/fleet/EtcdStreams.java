package bulwark.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The streaming calls of etcd's JSON gateway: a watch (one long response of newline-separated JSON
 * messages) and a lease keep-alive (the first message of such a stream).
 */
public final class EtcdStreams {
  private EtcdStreams() {}

  /** A running watch; {@link #cancel} ends it without telling the listener. */
  public static final class Watch {
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile HttpClientRequest request;
    private final WatchListener listener;
    private final StringBuilder pending = new StringBuilder();

    Watch(WatchListener listener) {
      this.listener = listener;
    }

    public void cancel() {
      if (ended.compareAndSet(false, true)) close();
    }

    /** True once the watch has ended (failed, compacted or cancelled). */
    public boolean ended() {
      return ended.get();
    }

    private void close() {
      HttpClientRequest r = request;
      if (r != null) r.reset();
    }

    private void fail(Throwable cause) {
      if (ended.compareAndSet(false, true)) {
        close();
        listener.failed(cause);
      }
    }

    private void feed(Buffer b, String ep) {
      pending.append(b.toString(StandardCharsets.UTF_8));
      int nl;
      while (!ended.get() && (nl = pending.indexOf("\n")) >= 0) {
        String line = pending.substring(0, nl).trim();
        pending.delete(0, nl + 1);
        if (!line.isEmpty()) message(line, ep);
      }
    }

    private void message(String line, String ep) {
      JsonNode m;
      try {
        m = EtcdClient.JSON.readTree(line);
      } catch (Exception e) {
        fail(new EtcdException(-1, ep + ": watch message is not JSON"));
        return;
      }
      if (m.has("error")) {
        JsonNode err = m.get("error");
        String msg = err.isObject() ? err.path("message").asText() : err.asText();
        fail(new EtcdException(err.path("code").asInt(m.path("code").asInt(-1)), ep + ": " + msg));
        return;
      }
      JsonNode r = m.path("result");
      long compact = r.path("compact_revision").asLong();
      if (compact > 0) {
        if (ended.compareAndSet(false, true)) {
          close();
          listener.compacted(compact);
        }
        return;
      }
      if (r.path("canceled").asBoolean(false)) {
        fail(new EtcdException(-1, ep + ": watch cancelled: " + r.path("cancel_reason").asText()));
        return;
      }
      if (r.path("created").asBoolean(false)) listener.created(EtcdClient.revision(r));
      JsonNode events = r.path("events");
      if (!events.isArray() || events.isEmpty()) return;
      List<WatchEvent> out = new ArrayList<>(events.size());
      for (JsonNode e : events) {
        WatchEvent.Type t =
            "DELETE".equals(e.path("type").asText()) ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT;
        out.add(new WatchEvent(t, EtcdClient.keyValue(e.path("kv"))));
      }
      listener.events(EtcdClient.revision(r), List.copyOf(out));
    }
  }

  static Watch watch(EtcdClient c, String prefix, long from, WatchListener listener) {
    Watch w = new Watch(listener);
    int idx = c.currentIndex();
    String ep = c.endpoint(idx);
    ObjectNode create = EtcdClient.JSON.createObjectNode();
    create
        .putObject("create_request")
        .put("key", EtcdClient.b64(prefix))
        .put("range_end", EtcdClient.b64(EtcdClient.prefixEnd(prefix)))
        .put("start_revision", Long.toString(from));
    // started on a Vert.x context, so every step below (and the response's handlers, set in the
    // step that receives it) runs there in order: from a plain thread, a step chained after its
    // future completed would run on that thread, and chunks arriving meanwhile would be lost
    c.vertx().runOnContext(v -> start(c, idx, ep, create, w));
    return w;
  }

  private static void start(EtcdClient c, int idx, String ep, ObjectNode create, Watch w) {
    c.authToken(ep)
        .compose(t -> c.http().request(c.options(ep, "/v3/watch", t, 0)))
        .compose(
            req -> {
              w.request = req;
              if (w.ended()) req.reset();
              return req.send(Buffer.buffer(create.toString()));
            })
        .onSuccess(
            resp -> {
              if (resp.statusCode() != 200) {
                resp.body()
                    .onComplete(
                        b -> {
                          Throwable e;
                          try {
                            EtcdClient.checked(ep, resp.statusCode(), b.result());
                            e = new EtcdException(-1, ep + ": HTTP " + resp.statusCode());
                          } catch (RuntimeException x) {
                            e = x;
                          }
                          ended(c, idx, w, e);
                        });
                return;
              }
              resp.handler(b -> w.feed(b, ep));
              resp.exceptionHandler(e -> ended(c, idx, w, EtcdClient.asEtcd(ep, e)));
              resp.endHandler(v -> ended(c, idx, w, new EtcdException(-1, ep + ": watch closed")));
            })
        .onFailure(e -> ended(c, idx, w, EtcdClient.asEtcd(ep, e)));
  }

  private static void ended(EtcdClient c, int idx, Watch w, Throwable e) {
    if (w.ended()) return;
    if (e instanceof EtcdException x) {
      if (x.code() == EtcdException.UNAUTHENTICATED) c.invalidateToken();
      else if (x.unavailable()) c.failover(idx);
    }
    w.fail(e);
  }

  static Future<Long> keepAlive(EtcdClient c, long leaseId) {
    int idx = c.currentIndex();
    String ep = c.endpoint(idx);
    ObjectNode body = EtcdClient.JSON.createObjectNode().put("ID", Long.toString(leaseId));
    Promise<Long> p = Promise.promise();
    // on a Vert.x context, as the watch is started (see there)
    c.vertx().runOnContext(v -> keepAlive(c, idx, ep, body, p));
    return p.future();
  }

  private static void keepAlive(
      EtcdClient c, int idx, String ep, ObjectNode body, Promise<Long> p) {
    c.authToken(ep)
        .compose(t -> c.http().request(c.options(ep, "/v3/lease/keepalive", t, 15_000)))
        .compose(
            req -> req.send(Buffer.buffer(body.toString())).map(resp -> first(req, resp, ep, p)))
        .onFailure(
            e -> {
              EtcdException x = EtcdClient.asEtcd(ep, e);
              if (x.unavailable()) c.failover(idx);
              if (x.code() == EtcdException.UNAUTHENTICATED) c.invalidateToken();
              p.tryFail(x);
            });
  }

  /** Completes {@code p} with the TTL of the first message, then closes the stream. */
  private static Void first(
      HttpClientRequest req, HttpClientResponse resp, String ep, Promise<Long> p) {
    StringBuilder sb = new StringBuilder();
    Consumer<Throwable> failed = e -> p.tryFail(EtcdClient.asEtcd(ep, e));
    resp.handler(
        b -> {
          sb.append(b.toString(StandardCharsets.UTF_8));
          int nl = sb.indexOf("\n");
          if (nl < 0 || p.future().isComplete()) return;
          try {
            JsonNode m =
                EtcdClient.checked(ep, resp.statusCode(), Buffer.buffer(sb.substring(0, nl)));
            JsonNode r = m.has("result") ? m.get("result") : m;
            p.tryComplete(r.path("TTL").asLong(0));
          } catch (RuntimeException e) {
            failed.accept(e);
          }
          req.reset();
        });
    resp.exceptionHandler(failed::accept);
    resp.endHandler(
        v -> {
          if (!p.future().isComplete()) {
            try {
              JsonNode m = EtcdClient.checked(ep, resp.statusCode(), Buffer.buffer(sb.toString()));
              JsonNode r = m.has("result") ? m.get("result") : m;
              p.tryComplete(r.path("TTL").asLong(0));
            } catch (RuntimeException e) {
              failed.accept(e);
            }
          }
        });
    return null;
  }
}
