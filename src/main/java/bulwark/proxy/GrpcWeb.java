package bulwark.proxy;

import bulwark.filter.BodyDecoder;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * gRPC-Web (grpc/doc/PROTOCOL-WEB.md) on a route with {@code grpcWeb: true}: a browser's request,
 * over HTTP/1.1 or HTTP/2, with content-type application/grpc-web (binary) or
 * application/grpc-web-text (the framed body in base64) goes to the upstream as gRPC over HTTP/2
 * (application/grpc, TE: trailers, the text body decoded on its way); the upstream's messages come
 * back as they are (base64 for text), and its trailers, which a browser cannot read, as a last
 * frame in the body (flag 0x80, the trailers as HTTP/1 header lines). One instance per gRPC-Web
 * request, made from its content type before anything changes the headers.
 */
final class GrpcWeb {
  /** The body's encoding. */
  enum Mode {
    /** application/grpc-web: gRPC's frames as they are. */
    BINARY,
    /** application/grpc-web-text: the frames in base64, possibly several padded chunks. */
    TEXT
  }

  private static final String WEB = "application/grpc-web";
  private static final String TEXT_SUFFIX = "-text";

  /** The trailer frame's flag byte (the MSB of gRPC's compressed-flag byte). */
  static final int TRAILER_FLAG = 0x80;

  private static final String GRPC_STATUS = "grpc-status";

  private final Mode mode;

  /** The request's media type (lower case, no parameters): the response's content type. */
  private final String contentType;

  /** The message format after the mode ("+proto", "+json"; "" when none), kept upstream. */
  private final String format;

  private GrpcWeb(Mode mode, String contentType, String format) {
    this.mode = mode;
    this.contentType = contentType;
    this.format = format;
  }

  /**
   * The gRPC-Web form of a request with this content type, or null when it is not gRPC-Web (gRPC's
   * application/grpc is not).
   */
  static GrpcWeb of(String contentType) {
    if (contentType == null || !contentType.regionMatches(true, 0, WEB, 0, WEB.length()))
      return null;
    int semi = contentType.indexOf(';');
    String media =
        (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    Mode mode = Mode.BINARY;
    int at = WEB.length();
    if (media.startsWith(TEXT_SUFFIX, at)) {
      mode = Mode.TEXT;
      at += TEXT_SUFFIX.length();
    }
    String format = media.substring(at);
    if (!format.isEmpty() && format.charAt(0) != '+') return null;
    return new GrpcWeb(mode, media, format);
  }

  Mode mode() {
    return mode;
  }

  /** The content type the upstream gets: application/grpc with the request's format. */
  String upstreamContentType() {
    return "application/grpc" + format;
  }

  /** The request goes upstream as gRPC: headers set, a text body decoded on its way. */
  void translateRequest(MultiMap upstreamHeaders) {
    upstreamHeaders.set(HttpHeaders.CONTENT_TYPE, upstreamContentType());
    // a gRPC server expects TE: trailers (HTTP/2 allows TE with that value only)
    upstreamHeaders.set(H.TE, H.TRAILERS);
    // the decoded body is shorter: its length is known only at its end
    if (mode == Mode.TEXT) upstreamHeaders.remove(H.CONTENT_LENGTH);
  }

  /** Whether an upstream response is gRPC (and so is translated): application/grpc[+format]. */
  static boolean grpcResponse(String contentType) {
    if (contentType == null || !contentType.regionMatches(true, 0, "application/grpc", 0, 16))
      return false;
    return contentType.length() == 16 || "+;".indexOf(contentType.charAt(16)) >= 0;
  }

  /** The translation of one upstream response (see {@link Response}). */
  Response response() {
    return new Response();
  }

  /**
   * The gateway's own error as gRPC-Web: HTTP 200, the request's gRPC-Web content type, and a body
   * of one trailer frame with {@code grpc-status} and {@code grpc-message} (a browser reads the
   * status from the body, with no CORS exposure of headers needed). Headers already set on the
   * response (X-Request-Id, Retry-After, Access-Control-Allow-Origin) stay.
   */
  void reply(HttpServerResponse resp, int httpStatus, String message, String requestId) {
    resp.setStatusCode(200);
    resp.headers().set(HttpHeaders.CONTENT_TYPE, contentType).remove(H.TRANSFER_ENCODING);
    if (requestId != null) resp.headers().set(H.X_REQUEST_ID, requestId);
    List<Map.Entry<String, String>> t = new ArrayList<>(2);
    t.add(Map.entry(GRPC_STATUS, Integer.toString(Grpc.status(httpStatus))));
    t.add(Map.entry("grpc-message", Grpc.encode(message)));
    byte[] frame = trailerFrame(t);
    resp.end(Buffer.buffer(mode == Mode.TEXT ? Base64.getEncoder().encode(frame) : frame));
  }

  /**
   * A trailer frame: the flag byte 0x80, the length (4 bytes, big-endian), then each trailer as an
   * HTTP/1 header line, {@code name:value\r\n}, the name in lower case.
   */
  static byte[] trailerFrame(List<Map.Entry<String, String>> trailers) {
    StringBuilder sb = new StringBuilder(64);
    for (Map.Entry<String, String> e : trailers)
      sb.append(e.getKey().toLowerCase(Locale.ROOT))
          .append(':')
          .append(e.getValue())
          .append("\r\n");
    byte[] lines = sb.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(5 + lines.length);
    b.put((byte) TRAILER_FLAG).putInt(lines.length).put(lines);
    return b.array();
  }

  /**
   * One upstream gRPC response on its way to a gRPC-Web client: its head gets the request's content
   * type and loses its length (the body changes) and, for a trailers-only response, its metadata
   * (which goes into the body); its messages pass as they are (base64 for text, each piece as it
   * comes); its end adds the trailer frame. Driven on the request's event loop.
   */
  final class Response {
    /** The metadata of a trailers-only response's head, for the trailer frame; empty for most. */
    private final List<Map.Entry<String, String>> headStatus = new ArrayList<>(0);

    /**
     * Rewrites the response head {@code h} for the client (before it is written), from the
     * upstream's head. A trailers-only response (its head has grpc-status) is all trailers: its
     * metadata moves into the trailer frame.
     */
    void head(MultiMap upstream, MultiMap h) {
      if (upstream.contains(GRPC_STATUS)) {
        for (Map.Entry<String, String> e : upstream) {
          String k = e.getKey();
          if (k.equalsIgnoreCase("content-type")
              || k.equalsIgnoreCase("content-length")
              || ForwardingHeaders.hopByHop(k)) continue;
          headStatus.add(e);
          // only the upstream's: what the filters set (CORS, rate limits) stays in the head
          h.remove(k);
        }
      }
      h.set(HttpHeaders.CONTENT_TYPE, contentType);
      h.remove(H.CONTENT_LENGTH);
    }

    /**
     * A piece of the upstream's body: what goes to the client now. In text mode, the piece whole,
     * padded: a message must reach the client as soon as it came, so no byte is held back to round
     * a base64 group, and a streamed body is several padded chunks, as PROTOCOL-WEB allows.
     */
    Buffer data(Buffer b) {
      if (mode == Mode.BINARY) return b;
      return Buffer.buffer(Base64.getEncoder().encode(b.getBytes()));
    }

    /**
     * The upstream's body ended with {@code last} (null when nothing more came) and these trailers:
     * the rest of the body for the client, the trailer frame included; null when there is nothing
     * more (no trailers and no status: a broken upstream, which the client sees as a response
     * without status).
     */
    Buffer end(Buffer last, MultiMap trailers) {
      List<Map.Entry<String, String>> all = new ArrayList<>(headStatus);
      for (Map.Entry<String, String> e : trailers) {
        if (!ForwardingHeaders.hopByHop(e.getKey())) all.add(e);
      }
      byte[] frame = all.isEmpty() ? new byte[0] : trailerFrame(all);
      byte[] body = last == null ? new byte[0] : last.getBytes();
      if (mode == Mode.BINARY) {
        if (frame.length == 0) return last;
        Buffer out = Buffer.buffer(body.length + frame.length);
        return out.appendBytes(body).appendBytes(frame);
      }
      // the last piece and the trailer frame as one chunk
      byte[] rest = new byte[body.length + frame.length];
      System.arraycopy(body, 0, rest, 0, body.length);
      System.arraycopy(frame, 0, rest, body.length, frame.length);
      return rest.length == 0 ? null : Buffer.buffer(Base64.getEncoder().encode(rest));
    }
  }

  /**
   * The base64 of a text-mode request body, decoded as it streams: each group of four characters
   * gives three bytes (fewer when padded). Padded chunks may follow each other (a client that
   * encodes each message on its own); the body may also end unpadded. CR and LF are skipped.
   */
  static final class TextDecoder implements BodyDecoder {
    private static final int MAX_SLICE = 64 << 10;
    private static final byte[] VALUE = new byte[256];

    static {
      java.util.Arrays.fill(VALUE, (byte) -1);
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      for (int i = 0; i < alphabet.length(); i++) VALUE[alphabet.charAt(i)] = (byte) i;
      // the URL-safe alphabet too: some clients use it
      VALUE['-'] = 62;
      VALUE['_'] = 63;
    }

    /** The characters of the group being read (as values; -2 for '='). */
    private final int[] group = new int[4];

    private int inGroup;
    private byte[] input;
    private int pos;

    /** Decoded at the end from an unpadded last group; null when none. */
    private Buffer tail;

    private long offset;

    @Override
    public void input(Buffer piece) {
      input = piece.getBytes();
      pos = 0;
    }

    @Override
    public Buffer next() {
      if (input == null) {
        Buffer t = tail;
        tail = null;
        return t;
      }
      int room = Math.min(MAX_SLICE, ((input.length - pos) / 4 + 1) * 3);
      byte[] out = new byte[room];
      int n = 0;
      while (pos < input.length && n + 3 <= room) {
        int c = input[pos++] & 0xFF;
        offset++;
        if (c == '\r' || c == '\n') continue;
        int v;
        if (c == '=') {
          if (inGroup < 2) throw bad("'=' where a base64 group cannot end");
          v = -2;
        } else {
          v = VALUE[c];
          if (v < 0) throw bad("'" + printable(c) + "' is not a base64 character");
          if (inGroup > 0 && group[inGroup - 1] == -2)
            throw bad("a base64 character after '=' in the same group");
        }
        group[inGroup++] = v;
        if (inGroup == 4) {
          n += decodeGroup(out, n, 4);
          inGroup = 0;
        }
      }
      if (pos >= input.length) input = null;
      if (n == 0) return null;
      return Buffer.buffer(n == out.length ? out : java.util.Arrays.copyOf(out, n));
    }

    /** Decodes the first {@code len} values of the group into out at n; returns the bytes made. */
    private int decodeGroup(byte[] out, int n, int len) {
      int a = group[0];
      int b = group[1];
      int c = len > 2 ? group[2] : -2;
      int d = len > 3 ? group[3] : -2;
      if (c == -2 && d != -2) throw bad("a base64 character after '='");
      out[n] = (byte) (a << 2 | b >> 4);
      if (c == -2) return 1;
      out[n + 1] = (byte) (b << 4 | c >> 2);
      if (d == -2) return 2;
      out[n + 2] = (byte) (c << 6 | d);
      return 3;
    }

    @Override
    public void end() {
      if (inGroup == 0) return;
      if (inGroup == 1) throw bad("the base64 body ends inside a group");
      if (group[inGroup - 1] == -2) throw bad("the base64 body ends inside a padded group");
      // an unpadded end: 2 characters are 1 byte, 3 are 2
      byte[] out = new byte[2];
      int n = decodeGroup(out, 0, inGroup);
      inGroup = 0;
      tail = Buffer.buffer(java.util.Arrays.copyOf(out, n));
    }

    @Override
    public void close() {
      input = null;
      tail = null;
    }

    private IllegalArgumentException bad(String what) {
      return new IllegalArgumentException(
          "not valid gRPC-Web text (base64) at byte " + (offset - 1) + ": " + what);
    }

    private static String printable(int c) {
      return c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c);
    }
  }
}
