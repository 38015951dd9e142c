package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingAsyncAppenderTest {
  @TempDir Path dir;

  /**
   * Stopping while the worker is busy writing loses nothing: every line offered and not counted as
   * dropped is in the file. (An interrupt during a FileChannel write would close the channel and
   * lose the rest, so the worker is never interrupted.)
   */
  @Test
  void stopDuringBusyWritingKeepsEveryAcceptedLine() throws Exception {
    for (int round = 0; round < 5; round++) {
      Path f = dir.resolve("access-" + round + ".log");
      LoggerContext ctx = new LoggerContext();
      AccessEncoder enc = new AccessEncoder();
      enc.setContext(ctx);
      enc.start();
      BufferedStreamAppender out = new BufferedStreamAppender(f.toString());
      out.setContext(ctx);
      out.setEncoder(enc);
      out.start();
      BatchingAsyncAppender async = new BatchingAsyncAppender(out, 65536);
      async.setContext(ctx);
      async.start();

      AtomicBoolean go = new AtomicBoolean(true);
      AtomicLong offered = new AtomicLong();
      Thread producer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (go.get()) {
                      var m =
                          new AccessLog.AccessMarker(
                              "GET",
                              "/items/" + offered.get(),
                              200,
                              1,
                              "10.0.0.1",
                              "ua",
                              "rid",
                              "r",
                              "t",
                              1);
                      LoggingEvent e = new LoggingEvent();
                      e.setLevel(Level.INFO);
                      e.setMessage("");
                      e.setTimeStamp(System.currentTimeMillis());
                      e.addMarker(m);
                      async.doAppend(e);
                      offered.incrementAndGet();
                    }
                  });
      Thread.sleep(150);
      go.set(false);
      producer.join();
      async.stop(); // while the worker is most likely still draining

      long lines;
      try (var s = Files.lines(f)) {
        lines = s.count();
      }
      assertThat(lines)
          .as("round %d: lines offered %d, dropped %d", round, offered.get(), async.dropped())
          .isEqualTo(offered.get() - async.dropped());
      assertThat(lines).isPositive();
    }
  }
}
