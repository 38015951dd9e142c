package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.ByteSize;
import bulwark.config.UpstreamTlsConfig;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "http": GET {@code path} on a fresh connection (no keep-alive, so every check also proves the
 * target accepts connections). The check passes on an expected status (by default any 2xx or 3xx).
 * The answer's body is read up to {@link #BODY_CAP} bytes and, when it is a JSON object, kept for
 * the score; a longer body is cut off and counts as no JSON.
 */
final class HttpHealthCheck implements HealthCheck {
  private static final Logger LOG = LoggerFactory.getLogger(HttpHealthCheck.class);
  static final int BODY_CAP = 64 * 1024;

  private final Vertx vertx;
  private final HttpClient client;
  private final String path;
  private final List<Integer> statuses;
  private final HostAndPort authority;
  private final long timeoutMillis;

  /**
   * The TLS server name of https targets when configured (upstreams.*.tls.serverName), else null.
   */
  private final String serverName;

  HttpHealthCheck(String upstream, ActiveCheckConfig config, UpstreamTlsConfig tls, Vertx vertx) {
    this.vertx = vertx;
    this.path = config.path() == null ? "/health" : config.path();
    this.statuses = config.statuses() == null ? List.of() : List.copyOf(config.statuses());
    this.authority =
        config.host() == null || config.host().isBlank()
            ? null
            : HostAndPort.parseAuthority(config.host(), -1);
    this.timeoutMillis = Math.max(1, config.timeout().toMillis());
    this.serverName = tls == null ? null : tls.serverName();
    // an error on a check's connection (a reset) fails that check, which reports it; without a
    // handler of its own Vert.x would also log it at ERROR with nothing to name the target
    this.client =
        vertx
            .httpClientBuilder()
            .with(
                UpstreamTls.apply(new HttpClientOptions(), tls)
                    .setKeepAlive(false)
                    .setConnectTimeout((int) timeoutMillis)
                    .setDecompressionSupported(false)
                    .setName("bulwark-health-" + upstream))
            .with(new PoolOptions().setHttp1MaxSize(2))
            .withConnectHandler(
                conn ->
                    conn.exceptionHandler(
                        e -> {
                          if (LOG.isDebugEnabled())
                            LOG.debug(
                                "upstream '{}': health check connection to {}: {}",
                                upstream,
                                conn.remoteAddress(),
                                e.getMessage());
                        }))
            .build();
  }

  boolean passes(int status) {
    return statuses.isEmpty() ? status >= 200 && status < 400 : statuses.contains(status);
  }

  @Override
  public Future<CheckResult> check(Target target) {
    Promise<CheckResult> result = Promise.promise();
    HttpClientRequest[] current = new HttpClientRequest[1];
    long timer =
        vertx.setTimer(
            timeoutMillis,
            id -> {
              if (result.tryComplete(
                      CheckResult.unreachable("no answer within " + timeoutMillis + "ms"))
                  && current[0] != null) {
                current[0].reset();
              }
            });
    RequestOptions ro =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(target.host())
            .setPort(target.port())
            .setSsl(target.ssl())
            .setURI(path)
            .setConnectTimeout(timeoutMillis)
            .putHeader("Accept", "application/json, */*;q=0.5")
            .putHeader("User-Agent", "bulwark-health");
    if (target.ssl() && serverName != null)
      ro.setServer(SocketAddress.inetSocketAddress(target.port(), target.host()))
          .setHost(serverName);
    client
        .request(ro)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                result.tryComplete(CheckResult.unreachable(HealthCheck.describe(ar.cause())));
                return;
              }
              HttpClientRequest req = ar.result();
              if (result.future().isComplete()) {
                req.reset();
                return;
              }
              current[0] = req;
              if (authority != null) {
                req.authority(authority);
              }
              req.send()
                  .onComplete(
                      rar -> {
                        if (rar.failed()) {
                          result.tryComplete(
                              CheckResult.unreachable(HealthCheck.describe(rar.cause())));
                        } else {
                          read(rar.result(), req, result);
                        }
                      });
            });
    return result.future().onComplete(x -> vertx.cancelTimer(timer));
  }

  /** Reads the body up to the cap, then completes with the verdict on the status. */
  private void read(HttpClientResponse resp, HttpClientRequest req, Promise<CheckResult> result) {
    int status = resp.statusCode();
    boolean passed = passes(status);
    String detail = String.valueOf(status);
    Buffer body = Buffer.buffer();
    resp.exceptionHandler(e -> result.tryComplete(verdict(passed, detail, null)));
    resp.handler(
        chunk -> {
          if (result.future().isComplete()) {
            return;
          }
          if (body.length() + chunk.length() > BODY_CAP) {
            result.tryComplete(
                verdict(
                    passed,
                    detail + " (body over " + ByteSize.human(BODY_CAP) + ", ignored)",
                    null));
            req.reset();
            return;
          }
          body.appendBuffer(chunk);
        });
    resp.endHandler(v -> result.tryComplete(verdict(passed, detail, json(body))));
  }

  private static CheckResult verdict(boolean passed, String detail, JsonObject body) {
    return passed ? CheckResult.passed(detail, body) : CheckResult.failed(detail, body);
  }

  /** The body as a JSON object, or null when it is not one. */
  static JsonObject json(Buffer body) {
    int i = 0;
    int n = body.length();
    while (i < n && Character.isWhitespace(body.getByte(i))) {
      i++;
    }
    if (i == n || body.getByte(i) != '{') {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
