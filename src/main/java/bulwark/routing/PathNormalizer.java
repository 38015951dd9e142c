package bulwark.routing;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the raw request path into the one path that routing, the filters and the upstream all see
 * (so a path cannot mean one thing to the gateway and another to the upstream):
 *
 * <ol>
 *   <li>each segment is percent-decoded exactly once (so {@code %252e} is the literal text {@code
 *       %2e}, never a dot);
 *   <li>a segment that decodes to {@code /}, {@code \}, NUL or another control character is
 *       rejected, as are a raw {@code \}, a raw {@code ;} (matrix parameters, which servlet
 *       containers strip: {@code /admin;x} would reach them as {@code /admin}), malformed {@code %}
 *       escapes and invalid UTF-8;
 *   <li>dot segments ({@code .}, {@code ..}, also when written {@code %2e}) are resolved as RFC
 *       3986 5.2.4 does, never above the root;
 *   <li>empty segments are collapsed ({@code //admin} is {@code /admin}); a trailing slash is kept.
 * </ol>
 *
 * {@link #decoded()} is what routes are matched against; {@link #encode(String)} re-encodes a
 * decoded path (after strip or rewrite) for the upstream. Pure and allocation-light; thread-safe.
 */
public final class PathNormalizer {
  private PathNormalizer() {}

  /** The path cannot be normalised safely; the request gets 400. */
  public static final class RejectedPath extends Exception {
    public RejectedPath(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Normalises a raw (still percent-encoded) path into its decoded form, each segment decoded once.
   */
  public static String decoded(String raw) throws RejectedPath {
    if (raw == null || raw.isEmpty()) return "/";
    if (raw.charAt(0) != '/') throw new RejectedPath("the path must start with '/'");
    List<String> out = new ArrayList<>();
    int n = raw.length();
    int i = 1;
    boolean trailingSlash = false;
    while (i <= n) {
      int slash = raw.indexOf('/', i);
      int end = slash < 0 ? n : slash;
      String seg = decodeSegment(raw, i, end);
      boolean last = slash < 0;
      if (seg.isEmpty()) {
        // an empty segment: collapsed, but a final one keeps the trailing slash
        if (last) trailingSlash = !out.isEmpty();
      } else if (seg.equals(".")) {
        trailingSlash = true;
      } else if (seg.equals("..")) {
        if (!out.isEmpty()) out.remove(out.size() - 1);
        trailingSlash = true;
      } else {
        out.add(seg);
        trailingSlash = false;
      }
      i = end + 1;
    }
    if (out.isEmpty()) return "/";
    StringBuilder sb = new StringBuilder(raw.length());
    for (String s : out) sb.append('/').append(s);
    if (trailingSlash) sb.append('/');
    return sb.toString();
  }

  /**
   * The normalised path, re-encoded: what goes upstream. normalize(normalize(x)) == normalize(x).
   */
  public static String normalize(String raw) throws RejectedPath {
    return encode(decoded(raw));
  }

  private static String decodeSegment(String raw, int from, int to) throws RejectedPath {
    boolean plain = true;
    for (int k = from; k < to; k++) {
      char c = raw.charAt(k);
      if (c == '%' || c >= 0x80) plain = false;
      checkRaw(c);
    }
    if (plain) return raw.substring(from, to);
    byte[] bytes = new byte[(to - from) * 3];
    int len = 0;
    for (int k = from; k < to; k++) {
      char c = raw.charAt(k);
      if (c == '%') {
        if (k + 2 >= to) throw new RejectedPath("malformed percent-encoding in the path");
        int hi = Character.digit(raw.charAt(k + 1), 16);
        int lo = Character.digit(raw.charAt(k + 2), 16);
        if (hi < 0 || lo < 0) throw new RejectedPath("malformed percent-encoding in the path");
        int b = (hi << 4) | lo;
        if (b == '/') throw new RejectedPath("an encoded '/' (%2F) in the path is not allowed");
        if (b == '\\') throw new RejectedPath("an encoded '\\' (%5C) in the path is not allowed");
        if (b == 0) throw new RejectedPath("an encoded NUL (%00) in the path is not allowed");
        if (b < 0x20 || b == 0x7f)
          throw new RejectedPath("an encoded control character in the path is not allowed");
        bytes[len++] = (byte) b;
        k += 2;
      } else if (c <= 0xff) {
        // the HTTP layer gives each raw byte as one char (ISO-8859-1); raw UTF-8 is decoded below
        bytes[len++] = (byte) c;
      } else {
        throw new RejectedPath("invalid characters in the path");
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, len))
          .toString();
    } catch (CharacterCodingException e) {
      throw new RejectedPath("the path is not valid UTF-8 once decoded");
    }
  }

  private static void checkRaw(char c) throws RejectedPath {
    if (c == '\\') throw new RejectedPath("a '\\' in the path is not allowed");
    if (c == ';') throw new RejectedPath("a ';' (matrix parameter) in the path is not allowed");
    if (c < 0x20 || c == 0x7f)
      throw new RejectedPath("a control character in the path is not allowed");
  }

  /**
   * Percent-encodes a decoded path segment by segment ('/' separates segments; a decoded segment
   * never holds one). Unreserved characters, sub-delims except ';', ':' and '@' stay as they are.
   */
  public static String encode(String decoded) {
    int n = decoded.length();
    boolean plain = true;
    for (int i = 0; i < n && plain; i++)
      plain = keep(decoded.charAt(i)) || decoded.charAt(i) == '/';
    if (plain) return decoded;
    StringBuilder sb = new StringBuilder(n + 16);
    byte[] utf8 = decoded.getBytes(StandardCharsets.UTF_8);
    for (byte b : utf8) {
      int c = b & 0xff;
      if (c == '/' || (c < 0x80 && keep((char) c))) {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return sb.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static boolean keep(char c) {
    if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') return true;
    return switch (c) {
      case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', '=', ':', '@' -> true;
      default -> false;
    };
  }
}
