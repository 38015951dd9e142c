package bulwark.upstream.health;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The two messages of {@code grpc.health.v1.Health/Check} and gRPC's message framing, encoded and
 * decoded by hand (no protobuf library): {@code HealthCheckRequest { string service = 1; }} and
 * {@code HealthCheckResponse { ServingStatus status = 1; }}. A gRPC message on the wire is one byte
 * (1: compressed), a 4-byte big-endian length, then the protobuf bytes.
 *
 * <p>Decoding errors are {@link IllegalArgumentException}s whose message says what is wrong, for
 * the check's result.
 */
final class GrpcHealthMessages {
  static final int UNKNOWN = 0;
  static final int SERVING = 1;
  static final int NOT_SERVING = 2;
  static final int SERVICE_UNKNOWN = 3;

  private static final String[] SERVING_NAMES = {
    "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"
  };

  private static final String[] GRPC_CODES = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
  };

  private GrpcHealthMessages() {}

  /** HealthCheckRequest{service}, framed: what the check sends. */
  static byte[] requestFrame(String service) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream msg = new ByteArrayOutputStream(name.length + 6);
    if (name.length > 0) { // proto3 leaves a field at its default (the empty string) out
      msg.write(0x0A); // field 1, wire type 2 (length-delimited)
      writeVarint(msg, name.length);
      msg.writeBytes(name);
    }
    return frame(msg.toByteArray());
  }

  /** A message with gRPC's 5-byte prefix (not compressed). */
  static byte[] frame(byte[] message) {
    int n = message.length;
    byte[] out = new byte[5 + n];
    out[1] = (byte) (n >>> 24);
    out[2] = (byte) (n >>> 16);
    out[3] = (byte) (n >>> 8);
    out[4] = (byte) n;
    System.arraycopy(message, 0, out, 5, n);
    return out;
  }

  /** HealthCheckResponse{status}, framed: what a health service answers (for tests). */
  static byte[] responseFrame(int status) {
    ByteArrayOutputStream msg = new ByteArrayOutputStream(11);
    if (status != 0) {
      msg.write(0x08); // field 1, wire type 0 (varint)
      writeVarint(msg, status);
    }
    return frame(msg.toByteArray());
  }

  /**
   * The one message of a unary answer's body (all its DATA frames together), without its prefix.
   *
   * @throws IllegalArgumentException no message, a cut-off one, a compressed one, or more than one
   */
  static byte[] unaryMessage(byte[] body) {
    if (body.length == 0) {
      throw new IllegalArgumentException("no message in the answer");
    }
    if (body.length < 5) {
      throw new IllegalArgumentException(
          "the answer's message prefix is cut off (" + body.length + " bytes)");
    }
    int flag = body[0] & 0xFF;
    if (flag == 1) {
      // the check sends no grpc-accept-encoding, so a server must not compress its answer
      throw new IllegalArgumentException("the answer is compressed, and the check asked for none");
    }
    if (flag != 0) {
      throw new IllegalArgumentException(
          "the answer's compressed flag is " + flag + ", not 0 or 1");
    }
    long n =
        ((long) (body[1] & 0xFF) << 24)
            | ((body[2] & 0xFF) << 16)
            | ((body[3] & 0xFF) << 8)
            | (body[4] & 0xFF);
    if (n > body.length - 5) {
      throw new IllegalArgumentException(
          "the answer's message is cut off (" + (body.length - 5) + " of " + n + " bytes)");
    }
    if (n < body.length - 5) {
      throw new IllegalArgumentException(
          "the answer has more than one message (a unary call has one)");
    }
    byte[] msg = new byte[(int) n];
    System.arraycopy(body, 5, msg, 0, (int) n);
    return msg;
  }

  /**
   * HealthCheckResponse.status: field 1 (the last one when repeated, as protobuf reads it), UNKNOWN
   * when absent; other fields are skipped.
   *
   * @throws IllegalArgumentException the bytes are not a protobuf message, or field 1 is not a
   *     varint
   */
  static int servingStatus(byte[] msg) {
    int[] pos = {0};
    int status = UNKNOWN;
    while (pos[0] < msg.length) {
      long key = readVarint(msg, pos);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 0) {
        throw new IllegalArgumentException(
            "the answer is not a HealthCheckResponse (field number 0)");
      }
      if (field == 1) {
        if (wire != 0) {
          throw new IllegalArgumentException(
              "the answer is not a HealthCheckResponse (status has wire type " + wire + ")");
        }
        status = (int) readVarint(msg, pos);
        continue;
      }
      switch (wire) {
        case 0 -> readVarint(msg, pos);
        case 1 -> skip(msg, pos, 8);
        case 2 -> skip(msg, pos, readVarint(msg, pos));
        case 5 -> skip(msg, pos, 4);
        default ->
            throw new IllegalArgumentException(
                "the answer is not a HealthCheckResponse (wire type " + wire + ")");
      }
    }
    return status;
  }

  /** SERVING, NOT_SERVING... or the number for a value this version does not know. */
  static String servingName(int status) {
    return status >= 0 && status < SERVING_NAMES.length
        ? SERVING_NAMES[status]
        : "serving status " + status;
  }

  /** OK, UNIMPLEMENTED... for a grpc-status code; the number alone for an unknown one. */
  static String codeName(int code) {
    return code >= 0 && code < GRPC_CODES.length ? GRPC_CODES[code] : String.valueOf(code);
  }

  /**
   * A grpc-message as its sender meant it: gRPC percent-encodes it (UTF-8), '+' included literally.
   * A malformed escape stays as it is.
   */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) return s;
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < in.length; i++) {
      int hi;
      int lo;
      if (in[i] == '%'
          && i + 2 < in.length
          && (hi = Character.digit(in[i + 1], 16)) >= 0
          && (lo = Character.digit(in[i + 2], 16)) >= 0) {
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(in[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= b.length) {
        throw new IllegalArgumentException(
            "the answer is not a HealthCheckResponse (a cut-off varint)");
      }
      int x = b[pos[0]++];
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) return v;
    }
    throw new IllegalArgumentException(
        "the answer is not a HealthCheckResponse (a varint over 10 bytes)");
  }

  private static void skip(byte[] b, int[] pos, long n) {
    if (n < 0 || n > b.length - pos[0]) {
      throw new IllegalArgumentException(
          "the answer is not a HealthCheckResponse (a cut-off field)");
    }
    pos[0] += (int) n;
  }
}
