package bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Optional features cost nothing at start-up when the config does not use them: `bulwark run` on a
 * minimal config (one route, no TLS, no auth, no tracing, no audit, no cluster) in a child JVM that
 * logs every class it loads, from launch through a proxied request to its exit on SIGTERM; none of
 * the optional features' libraries may appear in that log.
 */
class LazyFeaturesIT {
  /** Class-name prefixes that a minimal config must not load, and the feature each belongs to. */
  static final List<String> FORBIDDEN =
      List.of(
          "io.opentelemetry.", // tracing (observability.tracing)
          "org.apache.kafka.", // the audit log's Kafka sink
          "io.lettuce.", // cluster rate limits (Redis)
          "bulwark.filter.ratelimit.RedisLink",
          "bulwark.server.EtcdConfigSource", // configSource etcd
          "org.bouncycastle.",
          "io.netty.handler.ssl.OpenSsl", // netty-tcnative's OpenSSL engine: loads a native library
          "io.netty.internal.tcnative.",
          "com.nimbusds.", // JWT
          "com.aayushatharva.brotli4j.", // Brotli compression: a native library
          "io.github.resilience4j.", // circuit breaker
          "at.favre.lib.crypto.bcrypt.", // basic auth
          "io.grpc.",
          "com.code_intelligence.jazzer.",
          // `run -c FILE` starts without the command-line library (RunCommand.plain)
          "picocli.",
          // the application log is configured in code (LogSetup), not read from XML
          "ch.qos.logback.classic.joran.JoranConfigurator",
          "com.sun.org.apache.xerces.");

  /** This JVM's class path without the tests' own classes and resources. */
  static String mainClassPath() {
    return java.util.Arrays.stream(
            System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> !e.endsWith("test-classes") && !e.endsWith("test-classes/"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  @Test
  void aMinimalConfigLoadsNoOptionalFeature() throws Exception {
    try (Upstream up = new Upstream("api")) {
      Path dir = Files.createTempDirectory("bulwark-lazy");
      int port = TestSupport.freePort();
      int admin = TestSupport.freePort();
      Path cfg = ChildGateway.minimalConfig(dir, port, admin, up.url());
      Path classes = dir.resolve("classes.log");
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = new ArrayList<>();
      cmd.addAll(
          List.of(
              java,
              "--enable-native-access=ALL-UNNAMED",
              // one class name per line, no decorations
              "-Xlog:class+load=info:file=" + classes + ":none",
              "-cp",
              // the gateway's classes and libraries, not the tests' (whose logback-test.xml would
              // take the place of the production log configuration)
              mainClassPath(),
              "bulwark.cli.Main",
              "run",
              "--no-watch",
              "-c",
              cfg.toString()));
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("out.log").toFile())
              .start();
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .until(
                () -> ChildGateway.ok("http://127.0.0.1:" + port + "/api/items/1") || !p.isAlive());
        assertThat(p.isAlive())
            .as("gateway exited:\n%s", Files.readString(dir.resolve("out.log")))
            .isTrue();
      } finally {
        ChildGateway.stop(p);
      }
      List<String> loaded =
          Files.readAllLines(classes).stream()
              .map(l -> l.contains(" ") ? l.substring(0, l.indexOf(' ')) : l)
              .toList();
      // the log is real: the gateway's own path is in it
      assertThat(loaded)
          .contains(
              "bulwark.proxy.ProxyHandler",
              "io.vertx.core.http.impl.HttpClientImpl",
              "bulwark.cli.RunCommand");
      // the production log configuration: ECS JSON lines on stderr
      assertThat(Files.readAllLines(dir.resolve("out.log")))
          .anyMatch(
              l ->
                  l.startsWith("{")
                      && l.contains("\"ecs.version\"")
                      && l.contains("bulwark listening on"));
      List<String> offending =
          loaded.stream().filter(c -> FORBIDDEN.stream().anyMatch(c::startsWith)).toList();
      assertThat(offending)
          .as("classes of optional features loaded by a minimal config (see docs/startup.md)")
          .isEmpty();
    }
  }
}
