package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application log's two formats: TextEncoder's lines, and AppLogAppender switching between them
 * and ECS JSON.
 */
class AppLogFormatTest {
  private static final LoggerContext CTX =
      (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();

  /** 2025-11-24T20:13:05.007Z */
  private static final long T = 1_764_015_185_007L;

  private static LoggingEvent event(Level level, String logger, String message, Throwable t) {
    LoggingEvent e = new LoggingEvent("x", CTX.getLogger(logger), level, message, t, null);
    e.setTimeStamp(T);
    e.setThreadName("main");
    return e;
  }

  private static String text(LoggingEvent e) {
    TextEncoder enc = new TextEncoder();
    enc.setZone("UTC");
    enc.start();
    return new String(enc.encode(e), StandardCharsets.UTF_8);
  }

  @Test
  void aTextLineHasTimeLevelThreadLoggerAndMessage() {
    String line =
        text(
            event(
                Level.INFO, "bulwark.server.Gateway", "bulwark listening on 127.0.0.1:8080", null));
    assertThat(line)
        .isEqualTo(
            "2025-11-24 20:13:05.007 INFO  [main] Gateway - bulwark listening on 127.0.0.1:8080\n");
    LoggingEvent warn = event(Level.WARN, "bulwark.upstream.Health", "target down", null);
    warn.addKeyValuePair(new org.slf4j.event.KeyValuePair("target", "10.0.0.1:8080"));
    assertThat(text(warn))
        .isEqualTo(
            "2025-11-24 20:13:05.007 WARN  [main] Health - target down target=10.0.0.1:8080\n");
  }

  @Test
  void aMessageOfSeveralLinesReadsAsIndentedLinesInTextAndStaysOneEventInJson() throws Exception {
    // as Gateway logs a rejected reload
    String message =
        "config reload (file changed) rejected, the previous config keeps serving; 2 errors:\n"
            + "  routes[0].upstream: unknown upstream 'user'\n  upstreams.users.balancer: unknown balancer 'x'";
    LoggingEvent e = event(Level.ERROR, "bulwark.server.Gateway", message, null);
    assertThat(text(e))
        .isEqualTo(
            """
        2025-11-24 20:13:05.007 ERROR [main] Gateway - config reload (file changed) rejected, the previous config keeps serving; 2 errors:
            routes[0].upstream: unknown upstream 'user'
            upstreams.users.balancer: unknown balancer 'x'
        """);

    EcsEncoder ecs = new EcsEncoder();
    ecs.setContext(CTX);
    ecs.start();
    String json = new String(ecs.encode(e), StandardCharsets.UTF_8);
    assertThat(json).hasLineCount(1);
    assertThat(new ObjectMapper().readTree(json).get("message").asText()).isEqualTo(message);
  }

  @Test
  void aStackTraceFollowsIndentedAndNothingInAMessageCanPassForALineOrAnEscapeSequence() {
    String text =
        text(
            event(
                Level.ERROR,
                "bulwark.proxy.ProxyHandler",
                "failed",
                new IllegalStateException("boom")));
    List<String> lines = text.lines().toList();
    assertThat(lines.get(0))
        .isEqualTo("2025-11-24 20:13:05.007 ERROR [main] ProxyHandler - failed");
    assertThat(lines.get(1)).isEqualTo("  java.lang.IllegalStateException: boom");
    assertThat(lines.get(2)).startsWith("  \tat bulwark.log.AppLogFormatTest.");
    assertThat(lines).allMatch(l -> l.startsWith("2025-11-24 ") || l.startsWith("  "));

    // a client-chosen value with a newline, a terminal escape and a credential
    String forged =
        text(
            event(
                Level.WARN,
                "bulwark.x.Y",
                "bad path /a\n2025-11-24 20:13:05.007 ERROR [main] Fake - owned\u001b[2J"
                    + " Authorization: Bearer abcdefghijklmnop",
                null));
    assertThat(forged)
        .isEqualTo(
            "2025-11-24 20:13:05.007 WARN  [main] Y - bad path /a\n"
                + "  2025-11-24 20:13:05.007 ERROR [main] Fake - owned\\u001b[2J Authorization: "
                + Redact.MASK
                + "\n");
  }

  @Test
  void theAppenderWritesJsonOrTextAsTheFormatSaysAndAutoIsJsonForAFile(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("app.log");
    AppLogAppender a = new AppLogAppender();
    a.setContext(CTX);
    a.setFile(file.toString());
    EcsEncoder ecs = new EcsEncoder();
    ecs.setContext(CTX);
    ecs.start();
    a.setEncoder(ecs);
    a.start();
    try {
      assertThat(a.isStarted()).isTrue();
      assertThat(a.writesText()).as("auto, to a file").isFalse();
      a.doAppend(event(Level.INFO, "bulwark.A", "one\n  two", null));
      AppLogAppender.useFormat("text");
      assertThat(a.writesText()).isTrue();
      a.doAppend(event(Level.INFO, "bulwark.A", "three\n  four", null));
      AppLogAppender.useFormat("json");
      a.doAppend(event(Level.INFO, "bulwark.A", "five", null));
      AppLogAppender.useFormat("auto");
      assertThat(a.writesText()).isFalse();
    } finally {
      a.stop();
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(4);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.get("message").asText()).isEqualTo("one\n  two");
    assertThat(first.get("ecs.version").asText()).isEqualTo(EcsEncoder.ECS_VERSION);
    assertThat(lines.get(1)).endsWith(" INFO  [main] A - three");
    assertThat(lines.get(2)).isEqualTo("    four");
    assertThat(new ObjectMapper().readTree(lines.get(3)).get("message").asText()).isEqualTo("five");
  }

  @Test
  void aStoppedAppenderIsNotSwitchedAnyMore(@TempDir Path dir) {
    AppLogAppender a = new AppLogAppender();
    a.setContext(CTX);
    a.setFile(dir.resolve("app.log").toString());
    EcsEncoder ecs = new EcsEncoder();
    ecs.setContext(CTX);
    ecs.start();
    a.setEncoder(ecs);
    a.start();
    a.stop();
    AppLogAppender.useFormat("text");
    assertThat(a.writesText()).isFalse();
    AppLogAppender.useFormat("auto");
  }
}
