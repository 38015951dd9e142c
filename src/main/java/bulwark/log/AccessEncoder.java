package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import org.slf4j.Marker;

/**
 * Encodes access-log lines: the ECS JSON of {@link AccessLog.AccessMarker}, written as UTF-8 bytes
 * straight into one reused buffer, with the constant parts of the line (field names, quotes,
 * separators) encoded once. The generic JSON encoder (logstash-logback-encoder over Jackson, with
 * the redacting decorator on every string) cost about three times as much CPU per line, and a
 * StringBuilder turned into a String and then into bytes about twice as much; this one runs the
 * redaction only on the values a client chooses. Called by one thread at a time (the appender holds
 * its lock).
 */
final class AccessEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter SECOND =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final byte[] NONE = new byte[0];
  private static final byte[] OPEN = ascii("{\"@timestamp\":\"");
  private static final byte[] AFTER_TIME =
      ascii(
          "Z\",\"ecs.version\":\""
              + EcsEncoder.ECS_VERSION
              + "\",\"service.name\":\""
              + EcsEncoder.SERVICE
              + "\"");
  private static final byte[] CLOSE = ascii("}\n");
  private final Line line = new Line();
  private long cachedSecond = Long.MIN_VALUE;
  private final byte[] cachedPrefix = new byte[19];

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
    Line l = encodeInto(event);
    return l == null ? NONE : Arrays.copyOf(l.buf, l.len);
  }

  /**
   * Encodes the line into this encoder's buffer, valid until the next call; null when the event is
   * not an access line.
   */
  Line encodeInto(ILoggingEvent event) {
    AccessLog.AccessMarker m = marker(event);
    if (m == null) return null;
    Line l = line;
    l.len = 0;
    l.raw(OPEN);
    timestamp(l, event.getTimeStamp());
    l.raw(AFTER_TIME);
    m.writeFields(l);
    l.raw(CLOSE);
    return l;
  }

  private static AccessLog.AccessMarker marker(ILoggingEvent event) {
    var markers = event.getMarkerList();
    if (markers == null) return null;
    for (Marker mk : markers) if (mk instanceof AccessLog.AccessMarker am) return am;
    return null;
  }

  /** ISO-8601 in UTC with milliseconds, e.g. 2026-11-24T20:33:05.123 (the Z follows). */
  private void timestamp(Line l, long millis) {
    long second = Math.floorDiv(millis, 1000);
    if (second != cachedSecond) {
      cachedSecond = second;
      byte[] p = SECOND.format(Instant.ofEpochSecond(second)).getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(p, 0, cachedPrefix, 0, cachedPrefix.length);
    }
    int ms = (int) Math.floorMod(millis, 1000);
    l.raw(cachedPrefix);
    l.ensure(4);
    byte[] b = l.buf;
    int i = l.len;
    b[i] = '.';
    b[i + 1] = (byte) ('0' + ms / 100);
    b[i + 2] = (byte) ('0' + ms / 10 % 10);
    b[i + 3] = (byte) ('0' + ms % 10);
    l.len = i + 4;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** A field name with its JSON prefixes, encoded once: {@code ,"name":"} and {@code ,"name":}. */
  static final class Name {
    final byte[] text;
    final byte[] number;

    /**
     * For {@link Line#fieldCached}: recent values with their whole encoded field, one slot per
     * value's hash (routes, targets and client addresses interleave from line to line; their
     * Strings keep their hash once computed).
     */
    final Last[] recent = new Last[16];

    record Last(String value, byte[] encoded) {}

    Name(String name) {
      this.text = ascii(",\"" + name + "\":\"");
      this.number = ascii(",\"" + name + "\":");
    }
  }

  /** One line as UTF-8 bytes in a growing buffer. */
  static final class Line {
    byte[] buf = new byte[1024];
    int len;

    void ensure(int n) {
      if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }

    void raw(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    /** Appends {@code ,"name":"value"}, the value escaped for JSON. */
    @SuppressWarnings("deprecation")
    void field(Name name, String value) {
      raw(name.text);
      int n = value.length();
      // at most 6 bytes per char (\\u00XX), 3 for any char outside ASCII (a surrogate pair is 4 for
      // 2 chars)
      ensure(n * 6 + 1);
      byte[] b = buf;
      int o = len;
      // the usual case first: the plain printable ASCII prefix (often the whole value) is found
      // with reads only, then copied in one block (String.getBytes(int, int, byte[], int) copies
      // each char's low byte, exact below 0x80); from the first other char on, one by one
      int i = 0;
      while (i < n) {
        char c = value.charAt(i);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
        i++;
      }
      value.getBytes(0, i, b, o);
      o += i;
      for (; i < n; i++) {
        char c = value.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          b[o++] = (byte) c; // the usual case
        } else if (c < 0x80) {
          b[o++] = '\\';
          switch (c) {
            case '"' -> b[o++] = '"';
            case '\\' -> b[o++] = '\\';
            case '\n' -> b[o++] = 'n';
            case '\r' -> b[o++] = 'r';
            case '\t' -> b[o++] = 't';
            default -> {
              b[o++] = 'u';
              b[o++] = '0';
              b[o++] = '0';
              b[o++] = (byte) Character.forDigit(c >> 4, 16);
              b[o++] = (byte) Character.forDigit(c & 0xF, 16);
            }
          }
        } else if (c < 0x800) {
          b[o++] = (byte) (0xC0 | (c >> 6));
          b[o++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, value.charAt(++i));
          b[o++] = (byte) (0xF0 | (cp >> 18));
          b[o++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          b[o++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          b[o++] = (byte) (0x80 | (cp & 0x3F));
        } else if (Character.isSurrogate(c)) {
          b[o++] = '?'; // a lone surrogate: not valid UTF-8
        } else {
          b[o++] = (byte) (0xE0 | (c >> 12));
          b[o++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          b[o++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      b[o++] = '"';
      len = o;
    }

    /**
     * Appends {@code ,"name":"value"} for a value that mostly repeats (a route or target name from
     * the config, a client address, a method): the name keeps recent values encoded, and an equal
     * value (String.equals: identity, then one vectorized compare) is copied with no escaping scan.
     * The cache is shared by every encoder; each slot holds an immutable pair, so a racing encoder
     * sees an old or a new pair, either of them whole.
     */
    void fieldCached(Name name, String value) {
      int slot = value.hashCode() & (name.recent.length - 1);
      Name.Last last = name.recent[slot];
      if (last == null || !last.value.equals(value)) {
        int start = len;
        field(name, value);
        name.recent[slot] = new Name.Last(value, Arrays.copyOfRange(buf, start, len));
        return;
      }
      raw(last.encoded);
    }

    /**
     * Appends {@code ,"name":"value"} for a value made only of hex digits by Bulwark or checked as
     * such (generated request ids, W3C trace and span ids): copied with no per-char escaping scan.
     */
    @SuppressWarnings("deprecation")
    void fieldHex(Name name, String value) {
      raw(name.text);
      int n = value.length();
      ensure(n + 1);
      value.getBytes(0, n, buf, len); // each char's low byte: exact for ASCII
      len += n;
      buf[len++] = '"';
    }

    /** Appends {@code ,"name":number}. */
    void field(Name name, long value) {
      raw(name.number);
      ensure(20);
      if (value < 0) {
        if (value == Long.MIN_VALUE) {
          raw(ascii(Long.toString(value)));
          return;
        }
        buf[len++] = '-';
        value = -value;
      }
      int digits = 1;
      for (long v = value; v >= 10; v /= 10) digits++;
      int end = len + digits;
      for (int i = end - 1; i >= len; i--) {
        buf[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
      len = end;
    }
  }
}
