package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Marker;

/**
 * Encodes access-log lines: the ECS JSON of {@link AccessLog.AccessMarker}, written directly into
 * one reused buffer. The generic JSON encoder (logstash-logback-encoder over Jackson, with the
 * redacting decorator on every string) cost about three times as much CPU per line; this one runs
 * the redaction only on the values a client chooses. Called by one thread at a time (the appender
 * holds its lock).
 */
final class AccessEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final byte[] NONE = new byte[0];
  private final StringBuilder line = new StringBuilder(512);
  private long cachedSecond = Long.MIN_VALUE;
  private String cachedPrefix;

  @Override
  public byte[] headerBytes() {
    return NONE;
  }

  @Override
  public byte[] footerBytes() {
    return NONE;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    AccessLog.AccessMarker m = marker(event);
    if (m == null) return NONE;
    StringBuilder b = line;
    b.setLength(0);
    b.append("{\"@timestamp\":\"");
    timestamp(b, event.getTimeStamp());
    b.append("\",\"ecs.version\":\"").append(EcsEncoder.ECS_VERSION).append("\",\"service.name\":\"").append(EcsEncoder.SERVICE).append('"');
    m.appendFields(b);
    b.append("}\n");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static AccessLog.AccessMarker marker(ILoggingEvent event) {
    var markers = event.getMarkerList();
    if (markers == null) return null;
    for (Marker mk : markers) if (mk instanceof AccessLog.AccessMarker am) return am;
    return null;
  }

  /** ISO-8601 in UTC with milliseconds, e.g. 2026-11-24T20:33:05.123Z. */
  private void timestamp(StringBuilder b, long millis) {
    long second = Math.floorDiv(millis, 1000);
    if (second != cachedSecond) {
      cachedSecond = second;
      cachedPrefix = SECOND.format(Instant.ofEpochSecond(second));
    }
    int ms = (int) Math.floorMod(millis, 1000);
    b.append(cachedPrefix).append('.').append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10)).append('Z');
  }

  /** Appends {@code ,"name":"value"} with the value escaped for JSON. */
  static void field(StringBuilder b, String name, String value) {
    b.append(",\"").append(name).append("\":\"");
    int n = value.length();
    int first = 0;
    while (first < n && plain(value.charAt(first))) first++;
    if (first == n) {
      b.append(value).append('"'); // the usual case: nothing to escape, one bulk copy
      return;
    }
    b.append(value, 0, first);
    for (int i = first; i < n; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }

  private static boolean plain(char c) {
    return c >= 0x20 && c != '"' && c != '\\';
  }

  /** Appends {@code ,"name":number}. */
  static void field(StringBuilder b, String name, long value) {
    b.append(",\"").append(name).append("\":").append(value);
  }
}
