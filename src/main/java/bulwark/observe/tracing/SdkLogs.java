package bulwark.observe.tracing;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK logs through java.util.logging (export failures, throttled by the SDK).
 * This sends those records to the gateway's own log (SLF4J, JSON, redacted) as one line each, with
 * the cause's message instead of a stack trace, rather than to stderr in JUL's format.
 */
final class SdkLogs {
  private static final Logger LOG = LoggerFactory.getLogger("bulwark.observe.tracing.otel");

  /**
   * Held strongly: java.util.logging keeps loggers only weakly, and would drop the handler with it.
   */
  private static final java.util.logging.Logger OTEL =
      java.util.logging.Logger.getLogger("io.opentelemetry");

  private SdkLogs() {}

  static synchronized void install() {
    for (Handler h : OTEL.getHandlers()) {
      if (h instanceof ToSlf4j) return;
    }
    OTEL.setUseParentHandlers(false);
    OTEL.addHandler(new ToSlf4j());
  }

  private static final class ToSlf4j extends Handler {
    private final SimpleFormatter format = new SimpleFormatter();

    @Override
    public void publish(LogRecord r) {
      int level = r.getLevel().intValue();
      if (level < Level.INFO.intValue()) return;
      String msg = format.formatMessage(r);
      if (r.getThrown() != null) msg = msg + " (" + r.getThrown() + ")";
      if (level >= Level.WARNING.intValue()) LOG.warn("{}", msg);
      else LOG.info("{}", msg);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
