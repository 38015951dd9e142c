package bulwark.proxy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: a client-supplied X-Request-Id is kept when it is safe, otherwise 128 random bits in
 * hex.
 */
public final class RequestIds {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private RequestIds() {}

  /** 128 random bits as 32 lower-case hex digits. */
  public static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return hex(r.nextLong(), r.nextLong());
  }

  /** hi then lo as 32 lower-case hex digits (also the W3C/OpenTelemetry form of a trace id). */
  public static String hex(long hi, long lo) {
    byte[] b = new byte[32];
    hex(b, 0, hi);
    hex(b, 16, lo);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Writes v as 16 lower-case hex digits at b[off..off+16). */
  public static void hex(byte[] b, int off, long v) {
    for (int i = 15; i >= 0; i--) {
      b[off + i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
  }

  /** The client's id if it is 1-128 chars of [A-Za-z0-9._:-], else a new one. */
  public static String accept(String given) {
    if (given == null || given.isEmpty() || given.length() > 128) return next();
    for (int i = 0; i < given.length(); i++) {
      char ch = given.charAt(i);
      boolean ok =
          (ch >= 'a' && ch <= 'z')
              || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9')
              || ch == '-'
              || ch == '_'
              || ch == '.'
              || ch == ':';
      if (!ok) return next();
    }
    return given;
  }
}
