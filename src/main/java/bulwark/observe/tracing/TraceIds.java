package bulwark.observe.tracing;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * Trace and span ids in their W3C/OTel text form, written without the SDK (unsampled traces never
 * reach it).
 */
final class TraceIds {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private TraceIds() {}

  /** A trace id in the W3C/OTel form (32 hex digits). */
  static String traceIdHex(long hi, long lo) {
    byte[] b = new byte[32];
    hex(b, 0, hi);
    hex(b, 16, lo);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** A span id in the W3C/OTel form (16 hex digits). */
  static String spanIdHex(long id) {
    byte[] b = new byte[16];
    hex(b, 0, id);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /**
   * The traceparent of an unsampled try: 00-trace-span-00, as an AsciiString (copied in one block
   * when encoded).
   */
  static CharSequence unsampledTraceparent(long hi, long lo, long span) {
    byte[] b = new byte[55];
    b[0] = '0';
    b[1] = '0';
    b[2] = '-';
    hex(b, 3, hi);
    hex(b, 19, lo);
    b[35] = '-';
    hex(b, 36, span);
    b[52] = '-';
    b[53] = '0';
    b[54] = '0';
    return new AsciiString(b, false);
  }

  /** Writes v as 16 lower-case hex digits at b[off..off+16). */
  private static void hex(byte[] b, int off, long v) {
    for (int i = 15; i >= 0; i--) {
      b[off + i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
  }
}
