package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.ByteSize;
import bulwark.config.UpstreamTlsConfig;
import bulwark.transport.GrpcTimeout;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "grpc": a unary call of {@code /grpc.health.v1.Health/Check} (the standard gRPC health protocol)
 * on a fresh HTTP/2 connection, closed after the call, so every check also proves the target
 * accepts connections: h2c by prior knowledge to http:// targets, TLS with ALPN offering only h2 to
 * https:// targets (the upstream's tls options apply, as for the proxy's connections).
 *
 * <p>The check passes when the call ends with {@code grpc-status: 0} (in the trailers, or in the
 * headers of a trailers-only answer) and the answer's HealthCheckResponse is SERVING. Everything
 * else fails with a reason: NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, another grpc-status (and its
 * grpc-message), an HTTP status other than 200, a malformed answer. No answer within the timeout, a
 * refused connection or a failed handshake are unreachable results. The answer's body is read up to
 * {@link #BODY_CAP} bytes (a HealthCheckResponse is a few bytes).
 */
final class GrpcHealthCheck implements HealthCheck {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcHealthCheck.class);
  static final String PATH = "/grpc.health.v1.Health/Check";
  static final int BODY_CAP = 64 * 1024;

  /** The longest grpc-message kept in a result (the admin API and the logs show it). */
  private static final int MESSAGE_CAP = 200;

  private final String upstream;
  private final Vertx vertx;
  private final HttpClientAgent client;
  private final String service;
  private final byte[] request;
  private final HostAndPort authority;
  private final long timeoutMillis;

  /**
   * The TLS server name of https targets when configured (upstreams.*.tls.serverName), else null.
   */
  private final String serverName;

  GrpcHealthCheck(String upstream, ActiveCheckConfig config, UpstreamTlsConfig tls, Vertx vertx) {
    this.upstream = upstream;
    this.vertx = vertx;
    this.service = config.grpcService();
    this.request = GrpcHealthMessages.requestFrame(service);
    this.authority =
        config.host() == null || config.host().isBlank()
            ? null
            : HostAndPort.parseAuthority(config.host(), -1);
    this.timeoutMillis = Math.max(1, config.timeout().toMillis());
    this.serverName = tls == null ? null : tls.serverName();
    this.client =
        vertx
            .httpClientBuilder()
            .with(
                UpstreamTls.apply(new HttpClientOptions(), tls)
                    .setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false)
                    .setConnectTimeout((int) timeoutMillis)
                    .setDecompressionSupported(false)
                    .setName("bulwark-health-" + upstream))
            .build();
  }

  @Override
  public Future<CheckResult> check(Target target) {
    Promise<CheckResult> result = Promise.promise();
    HttpClientConnection[] conn = new HttpClientConnection[1];
    long timer =
        vertx.setTimer(
            timeoutMillis,
            id ->
                result.tryComplete(
                    CheckResult.unreachable("no answer within " + timeoutMillis + "ms")));
    HttpConnectOptions co =
        new HttpConnectOptions()
            .setHost(target.host())
            .setPort(target.port())
            .setSsl(target.ssl())
            .setProtocolVersion(HttpVersion.HTTP_2)
            .setConnectTimeout(timeoutMillis);
    if (target.ssl() && serverName != null) {
      co.setServer(SocketAddress.inetSocketAddress(target.port(), target.host()))
          .setHost(serverName);
    }
    client
        .connect(co)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                result.tryComplete(CheckResult.unreachable(explain(target, ar.cause())));
                return;
              }
              HttpClientConnection c = ar.result();
              conn[0] = c;
              // an error on the check's connection (a reset) fails the check, which reports it
              c.exceptionHandler(
                  e -> {
                    if (LOG.isDebugEnabled())
                      LOG.debug(
                          "upstream '{}': gRPC health check connection to {}: {}",
                          upstream,
                          target.key(),
                          e.getMessage());
                  });
              if (result.future().isComplete()) {
                c.close();
                return;
              }
              call(c, target, result);
            });
    return result
        .future()
        .onComplete(
            x -> {
              vertx.cancelTimer(timer);
              if (conn[0] != null) conn[0].close();
            });
  }

  /** The call itself, on a connection of its own. */
  private void call(HttpClientConnection c, Target target, Promise<CheckResult> result) {
    RequestOptions ro =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(target.ssl() && serverName != null ? serverName : target.host())
            .setPort(target.port())
            .setSsl(target.ssl())
            .setURI(PATH)
            .putHeader("content-type", "application/grpc")
            .putHeader("te", "trailers")
            .putHeader("grpc-timeout", grpcTimeout(timeoutMillis))
            .putHeader("user-agent", "bulwark-health");
    c.request(ro)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                result.tryComplete(CheckResult.unreachable(HealthCheck.describe(ar.cause())));
                return;
              }
              HttpClientRequest req = ar.result();
              if (authority != null) req.authority(authority);
              req.send(Buffer.buffer(request))
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
  }

  /** The grpc-timeout header: at most 8 digits, in milliseconds or, beyond that, seconds. */
  static String grpcTimeout(long millis) {
    return GrpcTimeout.format(millis);
  }

  /** Reads the answer up to the cap, then completes with the verdict. */
  private void read(HttpClientResponse resp, HttpClientRequest req, Promise<CheckResult> result) {
    if (resp.statusCode() != 200) {
      result.tryComplete(
          CheckResult.failed(
              "HTTP " + resp.statusCode() + " to " + PATH + ": not a gRPC answer", null));
      return;
    }
    Buffer body = Buffer.buffer();
    resp.exceptionHandler(
        e ->
            result.tryComplete(
                CheckResult.failed("the answer broke off: " + HealthCheck.describe(e), null)));
    resp.handler(
        chunk -> {
          if (result.future().isComplete()) return;
          if (body.length() + chunk.length() > BODY_CAP) {
            result.tryComplete(
                CheckResult.failed(
                    "the answer is over "
                        + ByteSize.human(BODY_CAP)
                        + ": not a HealthCheckResponse",
                    null));
            req.reset();
            return;
          }
          body.appendBuffer(chunk);
        });
    resp.endHandler(v -> result.tryComplete(verdict(resp, body)));
  }

  /** The verdict on a whole answer: its grpc-status, then its serving status. */
  CheckResult verdict(HttpClientResponse resp, Buffer body) {
    String status = resp.getTrailer("grpc-status");
    String message = resp.getTrailer("grpc-message");
    if (status == null) { // a trailers-only answer (gRPC's errors) has them in its headers
      status = resp.getHeader("grpc-status");
      message = resp.getHeader("grpc-message");
    }
    if (status == null) {
      String type = resp.getHeader("content-type");
      return CheckResult.failed(
          type == null || !type.startsWith("application/grpc")
              ? "content-type " + type + " and no grpc-status: not a gRPC answer"
              : "no grpc-status in the answer",
          null);
    }
    int code;
    try {
      code = Integer.parseInt(status.trim());
    } catch (NumberFormatException e) {
      return CheckResult.failed("grpc-status '" + status + "' is not a number", null);
    }
    if (code != 0) return CheckResult.failed(grpcError(code, message), null);
    int serving;
    try {
      serving = GrpcHealthMessages.servingStatus(GrpcHealthMessages.unaryMessage(body.getBytes()));
    } catch (IllegalArgumentException e) {
      return CheckResult.failed(e.getMessage(), null);
    }
    String name = GrpcHealthMessages.servingName(serving);
    if (serving == GrpcHealthMessages.SERVING) return CheckResult.passed(name, null);
    return CheckResult.failed(
        service.isEmpty() ? name : name + " (service '" + service + "')", null);
  }

  /** "grpc-status 12 UNIMPLEMENTED: ..." with what the usual codes mean for a health check. */
  private String grpcError(int code, String message) {
    StringBuilder b =
        new StringBuilder("grpc-status ")
            .append(code)
            .append(' ')
            .append(GrpcHealthMessages.codeName(code));
    if (message != null && !message.isBlank()) {
      String m = GrpcHealthMessages.percentDecode(message);
      int nl = m.indexOf('\n');
      if (nl >= 0) m = m.substring(0, nl);
      if (m.length() > MESSAGE_CAP) m = m.substring(0, MESSAGE_CAP) + "...";
      b.append(": ").append(m);
    }
    if (code == 12) {
      b.append(" (the server has no grpc.health.v1.Health service)");
    } else if (code == 5) {
      b.append(" (the server's health service does not know service '")
          .append(service)
          .append("')");
    }
    return b.toString();
  }

  /**
   * Why a connection failed, in words: a target that did not pick h2 in ALPN, or answered h2c's
   * preface in HTTP/1.1, says so, and a failed handshake names its innermost cause (Vert.x's
   * "Failed to create SSL connection" alone does not say why).
   */
  static String explain(Target target, Throwable cause) {
    Throwable root = cause;
    for (Throwable x = cause; x != null; x = x.getCause()) {
      String m = x.getMessage();
      if (m != null) {
        String l = m.toLowerCase(Locale.ROOT);
        if (l.contains("no_application_protocol")
            || l.contains("application layer protocol")
            || l.contains("http/1.1 not supported")
            || l.contains("unsupported protocol")) {
          return "target "
              + target.key()
              + " did not offer h2 in TLS ALPN (a gRPC check needs HTTP/2)";
        }
        if (m.contains("First received frame was not SETTINGS")) {
          // Netty's words for a target that answered the HTTP/2 preface with something else
          return "target "
              + target.key()
              + " did not answer HTTP/2 by prior knowledge (h2c)"
              + (l.contains("485454502f") ? ": it answered HTTP/1.x" : ": " + m);
        }
      }
      root = x;
      if (x.getCause() == x) break;
    }
    String top = HealthCheck.describe(cause);
    return root == cause ? top : top + ": " + HealthCheck.describe(root);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
