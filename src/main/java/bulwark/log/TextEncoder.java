package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * The application log for people at a terminal ({@code observability.logFormat: text}, or auto on a
 * terminal): one line per event, {@code 2026-12-04 17:10:20.123 WARN [main] Gateway - message
 * key=value}, in local time. A message of several lines (a rejected reload's list of errors) and an
 * exception's stack trace follow on their own lines, each indented, so that no text inside a
 * message can pass for a line of its own; control characters (a terminal's escape sequences among
 * them) are shown escaped. Credentials are masked as in the JSON lines ({@link Redact#text}).
 */
public final class TextEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  private static final String INDENT = "  ";

  private ZoneId zone = ZoneId.systemDefault();

  /** The time zone of the timestamps; the system's unless set. */
  public void setZone(String zone) {
    this.zone = ZoneId.of(zone);
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent e) {
    StringBuilder b = new StringBuilder(128);
    TIME.formatTo(Instant.ofEpochMilli(e.getTimeStamp()).atZone(zone), b);
    String level = e.getLevel().toString();
    b.append(' ').append(level);
    for (int i = level.length(); i < 5; i++) b.append(' ');
    b.append(" [").append(e.getThreadName()).append("] ");
    String logger = e.getLoggerName();
    b.append(logger == null ? "" : logger.substring(logger.lastIndexOf('.') + 1)).append(" - ");
    appendLines(b, Redact.text(String.valueOf(e.getFormattedMessage())));
    if (e.getKeyValuePairs() != null) {
      for (KeyValuePair kv : e.getKeyValuePairs()) field(b, kv.key, kv.value);
    }
    Map<String, String> mdc = e.getMDCPropertyMap();
    if (mdc != null) mdc.forEach((k, v) -> field(b, k, v));
    IThrowableProxy t = e.getThrowableProxy();
    if (t != null) {
      b.append('\n').append(INDENT);
      appendLines(b, Redact.text(ThrowableProxyUtil.asString(t).stripTrailing()));
    }
    return b.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void field(StringBuilder b, String key, Object value) {
    b.append(' ').append(key).append('=');
    appendLines(b, Redact.text(String.valueOf(value)));
  }

  /**
   * Appends {@code s}, each line after the first on a line of its own, indented; other control
   * characters escaped.
   */
  static void appendLines(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') continue;
      if (c == '\n' || c == '\r') {
        b.append('\n').append(INDENT);
      } else if (c == '\t') {
        b.append(c);
      } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
  }
}
