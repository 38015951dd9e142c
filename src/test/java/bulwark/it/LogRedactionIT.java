package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.filter.registry.Filters;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import bulwark.log.RedactingDecorator;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Credentials sent by clients never appear in the access log or in the application log. */
class LogRedactionIT {
  static final String JWT =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.bm90LWEtcmVhbC1zaWduYXR1cmU";
  static final String[] SECRETS = {
    JWT,
    "eyJzdWIiOiJtYWxsb3J5In0",
    "basic-pass-Zm9vOmJhcg",
    "cookie-secret-42",
    "k-live-key-0042",
    "query-key-0042",
    "query-token-0042",
    "proxy-pass-0042"
  };

  @Test
  void secretsAreMaskedInTheAccessAndApplicationLogs() throws Exception {
    // the request's secrets end up in an exception message, which the gateway logs at ERROR
    Filters.registerForTests(
        "leaky",
        cfg ->
            (ex, next) -> {
              throw new IllegalStateException(
                  "cannot use Authorization: "
                      + ex.request().getHeader("Authorization")
                      + " Cookie: "
                      + ex.request().getHeader("Cookie")
                      + " X-API-Key: "
                      + ex.request().getHeader("X-API-Key")
                      + " uri "
                      + ex.request().uri());
            });
    // the application log encoder as LogSetup configures it (JSON with the redacting decorator)
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    ByteArrayOutputStream appLog = new ByteArrayOutputStream();
    LogstashEncoder enc = new LogstashEncoder();
    enc.setContext(lc);
    enc.setJsonGeneratorDecorator(new RedactingDecorator());
    enc.start();
    OutputStreamAppender<ILoggingEvent> app = new OutputStreamAppender<>();
    app.setContext(lc);
    app.setName("redaction-test");
    app.setEncoder(enc);
    app.setOutputStream(appLog);
    app.start();
    Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(app);
    Path dir = Files.createTempDirectory("bulwark-redact");
    Path access = dir.resolve("access.log");
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head(access)
                    + """
             upstreams:
               a: { targets: [ { url: "%s" } ] }
             middlewares:
               leaky: { headers: {} }
             routes:
               - { name: leak, match: { path: /leak/** }, upstream: a, middlewares: [leaky] }
               - { name: all, match: { path: /** }, upstream: a }
             """
                        .formatted(up.url()))) {
      String[] headers = {
        "Authorization",
        "Bearer " + JWT,
        "Cookie",
        "sid=cookie-secret-42",
        "X-API-Key",
        "k-live-key-0042",
        "Proxy-Authorization",
        "Basic proxy-pass-0042"
      };
      assertThat(
              TestSupport.get(
                      gw.url(
                          "/ok/" + JWT + "?api_key=query-key-0042&access_token=query-token-0042"),
                      headers)
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              TestSupport.get(
                      gw.url("/leak/x?token=query-token-0042"),
                      "Authorization",
                      "Basic basic-pass-Zm9vOmJhcg",
                      "Cookie",
                      "sid=cookie-secret-42",
                      "X-API-Key",
                      "k-live-key-0042")
                  .statusCode())
          .isEqualTo(500);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.exists(access) && Files.readAllLines(access).size() >= 2);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> appLog.toString(StandardCharsets.UTF_8).contains("failed inside the gateway"));
    } finally {
      root.detachAppender(app);
      app.stop();
    }
    String accessLog = Files.readString(access);
    String applicationLog = appLog.toString(StandardCharsets.UTF_8);
    assertThat(accessLog).contains("/ok/").contains("[REDACTED]");
    assertThat(applicationLog).contains("IllegalStateException").contains("[REDACTED]");
    for (String s : SECRETS) {
      assertThat(accessLog).as("access log").doesNotContain(s);
      assertThat(applicationLog).as("application log").doesNotContain(s);
    }
  }
}
