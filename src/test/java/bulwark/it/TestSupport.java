package bulwark.it;

import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real servers on loopback for integration tests: upstreams, and the gateway itself. */
public final class TestSupport {
  private TestSupport() {}

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What an upstream saw of one request. */
  public record Seen(String method, String uri, MultiMap headers) {}

  /**
   * A real HTTP upstream on a random loopback port. Default handler: JSON echo of method and path.
   */
  public static final class Upstream implements AutoCloseable {
    public final Vertx vertx;
    public final HttpServer server;
    public final int port;
    public final String name;
    public final String host;
    public final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

    public Upstream(String name) {
      this(name, null);
    }

    public Upstream(String name, Handler<HttpServerRequest> handler) {
      this(name, handler, "127.0.0.1", 0);
    }

    /** On {@code host} (a loopback address such as 127.0.0.2) and {@code port} (0: any free). */
    public Upstream(String name, Handler<HttpServerRequest> handler, String host, int port) {
      this.name = name;
      this.host = host;
      this.vertx = Vertx.vertx();
      Handler<HttpServerRequest> h =
          handler != null
              ? handler
              : req ->
                  req.body()
                      .onSuccess(
                          b ->
                              req.response()
                                  .putHeader("Content-Type", "application/json")
                                  .end(
                                      "{\"upstream\":\""
                                          + name
                                          + "\",\"method\":\""
                                          + req.method()
                                          + "\",\"uri\":\""
                                          + req.uri()
                                          + "\",\"bytes\":"
                                          + b.length()
                                          + "}"));
      this.server =
          vertx
              .createHttpServer()
              .requestHandler(
                  req -> {
                    seen.add(
                        new Seen(
                            req.method().name(),
                            req.uri(),
                            MultiMap.caseInsensitiveMultiMap().addAll(req.headers())));
                    h.handle(req);
                  });
      try {
        server.listen(port, host).await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      this.port = server.actualPort();
    }

    public String url() {
      return "http://" + host + ":" + port;
    }

    @Override
    public void close() {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // closing
      }
    }
  }

  /** The gateway, in this JVM, on a config written to a temp file. */
  public static final class RunningGateway implements AutoCloseable {
    public final Path dir;
    public final Path file;
    public final Gateway gateway;
    public final int port;
    public final int adminPort;

    private RunningGateway(Path dir, Path file, Gateway gateway, int port, int adminPort) {
      this.dir = dir;
      this.file = file;
      this.gateway = gateway;
      this.port = port;
      this.adminPort = adminPort;
    }

    /**
     * Starts the gateway on {@code yaml}, after replacing {@code ${PORT}} and {@code ${ADMIN_PORT}}
     * with free ports (the data and admin listen addresses should use them).
     */
    public static RunningGateway start(String yaml, boolean watch) throws Exception {
      int port = freePort();
      int admin = freePort();
      Path dir = Files.createTempDirectory("bulwark-it");
      Path file = dir.resolve("bulwark.yaml");
      Files.writeString(file, withoutWarmup(withoutDrainWindow(yaml)));
      Map<String, String> env =
          Map.of("PORT", String.valueOf(port), "ADMIN_PORT", String.valueOf(admin));
      Gateway g = Gateway.start(file, new ConfigLoader(env::get), watch);
      return new RunningGateway(dir, file, g, port, admin);
    }

    /**
     * A test that is not about the drain window closes its gateway without one (drainWindow: 0s
     * unless the config sets it): the shared client's pooled idle connections would otherwise hold
     * every close for the window.
     */
    static String withoutDrainWindow(String yaml) {
      if (yaml.contains("drainWindow")) return yaml;
      if (yaml.contains("shutdown: { gracePeriod: "))
        return yaml.replace(
            "shutdown: { gracePeriod: ", "shutdown: { drainWindow: 0s, gracePeriod: ");
      if (!yaml.contains("shutdown:") && yaml.startsWith("server:\n"))
        return yaml.replaceFirst("server:\n", "server:\n  shutdown: { drainWindow: 0s }\n");
      return yaml;
    }

    /**
     * A test that is not about the start-up warm-up starts without one (warmup: 0s unless the
     * config sets it): the tests do not wait for readiness, and a warm-up per gateway would only
     * add seconds of load to every test on a shared machine. WarmupIT tests it.
     */
    static String withoutWarmup(String yaml) {
      if (yaml.contains("warmup:")) return yaml;
      return yaml.replaceFirst("(?m)^server:\n", "server:\n  warmup: 0s\n");
    }

    public static RunningGateway start(String yaml) throws Exception {
      return start(yaml, false);
    }

    public String url(String path) {
      return "http://127.0.0.1:" + port + path;
    }

    public String adminUrl(String path) {
      return "http://127.0.0.1:" + adminPort + path;
    }

    /** Writes a new config and reloads it now (as SIGHUP would). */
    public boolean rewrite(String yaml) throws IOException {
      Files.writeString(file, yaml);
      return gateway.reload("test");
    }

    @Override
    public void close() {
      gateway.shutdown();
    }
  }

  /** A minimal config head with ${PORT}/${ADMIN_PORT} listeners and the access log off. */
  public static String head() {
    return head(null);
  }

  /**
   * {@link #head()} with HTTP/2 on the data listener: h2c by prior knowledge, as gRPC clients speak
   * it.
   */
  public static String h2cHead() {
    return head().replaceFirst("(?m)^server:\n", "server:\n  http2: true\n");
  }

  /**
   * The same head with the access log written to {@code accessLog}, or off when it is null. It ends
   * inside the observability section, so a test may add more of it (metrics:, tracing:).
   */
  public static String head(Path accessLog) {
    String log =
        accessLog == null
            ? "{ enabled: false }"
            : "{ enabled: true, output: \"" + accessLog.toString().replace("\\", "/") + "\" }";
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 5s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: %s
        """
        .formatted(log);
  }

  public static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public static HttpResponse<String> send(String method, String url, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
