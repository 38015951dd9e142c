package bulwark.audit;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Appends one JSON line per event to a file, flushed after every batch. */
final class FileSink extends QueuedSink {
  private static final Logger LOG = LoggerFactory.getLogger(FileSink.class);
  private final Path file;
  private Writer out;
  private boolean failing;

  FileSink(Path file, int capacity, MeterRegistry registry) {
    super("file", capacity, registry);
    this.file = file;
  }

  @Override
  void write(List<AuditEvent> batch) {
    try {
      if (out == null)
        out =
            Files.newBufferedWriter(
                file,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
      for (AuditEvent e : batch) {
        out.write(e.json());
        out.write('\n');
      }
      out.flush();
      written(batch.size());
      if (failing) LOG.info("audit file {} is writable again", file);
      failing = false;
    } catch (IOException e) {
      dropped(batch.size());
      if (!failing)
        LOG.warn(
            "audit file {}: cannot write, events are dropped until it works again: {}",
            file,
            e.toString());
      failing = true;
      closeQuietly();
    }
  }

  @Override
  void finish(long millis) {
    closeQuietly();
  }

  private void closeQuietly() {
    if (out == null) return;
    try {
      out.close();
    } catch (IOException ignored) {
      // the next write reopens
    }
    out = null;
  }
}
