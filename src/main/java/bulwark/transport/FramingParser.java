package bulwark.transport;

import java.util.Locale;

/**
 * The grammar {@link RequestFraming} checks, one byte at a time: request line, header fields, the
 * framing headers (Content-Length, Transfer-Encoding, Host), chunk sizes and trailers. No Netty, no
 * I/O: the guard feeds it bytes, skips bodies by {@link #remaining} itself, and acts on the state
 * ({@link S#HOLD} after a CONNECT head, {@link S#PASS} when it steps aside, {@link S#DEAD} once
 * refused).
 */
final class FramingParser {
  enum S {
    LINE_START,
    LINE_START_LF,
    LINE,
    LINE_LF,
    FIELD_START,
    NAME,
    VALUE,
    VALUE_LF,
    HEAD_END_LF,
    BODY,
    CHUNK_SIZE,
    CHUNK_EXT,
    CHUNK_SIZE_LF,
    CHUNK_DATA,
    CHUNK_DATA_CR,
    CHUNK_DATA_LF,
    TRAILER_START,
    TRAILER,
    TRAILER_LF,
    TRAILER_END_LF,
    HOLD,
    PASS,
    DEAD
  }

  private static final int NAME_CAP = 32;

  /** Enough for a Host (a 253-character name and a port); the other values decided by are short. */
  private static final int VALUE_CAP = 272;

  private static final boolean[] TCHAR = new boolean[128];

  static {
    for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
    for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
    for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
  }

  /**
   * Past this many bytes in one head the decoder's own limits (431, 414) have answered; the guard
   * steps aside.
   */
  static final long MAX_HEAD_BYTES = 1 << 20;

  private static final long HTTP_1_1 = tail("HTTP/1.1");

  private final FramingRules rules;
  S state = S.LINE_START;
  long headBytes;
  private final StringBuilder line = new StringBuilder(16);
  private final StringBuilder name = new StringBuilder(NAME_CAP);
  private final StringBuilder value = new StringBuilder(VALUE_CAP);
  private boolean valueOverflow;

  /**
   * The header being read is one this parser decides by (Content-Length, Transfer-Encoding, Host).
   */
  boolean framing;

  private int contentLengths;
  private int transferEncodings;
  private int hosts;

  /** The last 8 bytes of the request line (its version, when it is complete). */
  private long lineTail;

  private long contentLength;

  /** Body or chunk-data bytes still to come in {@link S#BODY} or {@link S#CHUNK_DATA}. */
  long remaining;

  private int chunkDigits;

  /** Request heads passed on to the decoder on this connection. */
  long passedOn;

  /** The number (in {@link #passedOn}) of the last CONNECT passed on, 0 if none. */
  long connectAt;

  /** Whether the violation was found in a request head (including the checks at its end). */
  boolean headViolation;

  FramingParser(FramingRules rules) {
    this.rules = rules;
  }

  boolean inHead() {
    return switch (state) {
      case LINE, LINE_LF, FIELD_START, NAME, VALUE, VALUE_LF, HEAD_END_LF -> true;
      default -> false;
    };
  }

  /** Advances by one byte; returns why the request is rejected, or null. */
  String step(int b) {
    switch (state) {
      case LINE_START -> {
        // empty lines before a request line are tolerated (RFC 9112 2.2), as CRLF only
        if (b == '\r') {
          state = S.LINE_START_LF;
          return null;
        }
        if (b == '\n') return head("a bare LF line ending");
        line.setLength(0);
        headBytes = 0;
        contentLengths = 0;
        transferEncodings = 0;
        hosts = 0;
        lineTail = 0;
        contentLength = 0;
        headViolation = false;
        state = S.LINE;
        return lineByte(b);
      }
      case LINE_START_LF -> {
        if (b != '\n') return head("a CR without LF");
        state = S.LINE_START;
        return null;
      }
      case LINE -> {
        return lineByte(b);
      }
      case LINE_LF -> {
        if (b != '\n') return head("a CR without LF in the request line");
        if (line.toString().startsWith("PRI * HTTP/2.0")) {
          state = S.PASS;
          return null;
        }
        state = S.FIELD_START;
        return null;
      }
      case FIELD_START -> {
        if (countHead()) return null;
        if (b == '\r') {
          state = S.HEAD_END_LF;
          return null;
        }
        if (b == '\n') return head("a bare LF line ending");
        if (b == ' ' || b == '\t')
          return head("a header line folded onto the previous one (obs-fold)");
        name.setLength(0);
        value.setLength(0);
        valueOverflow = false;
        state = S.NAME;
        return nameByte(b);
      }
      case NAME -> {
        if (countHead()) return null;
        return nameByte(b);
      }
      case VALUE -> {
        if (countHead()) return null;
        if (b == '\r') {
          state = S.VALUE_LF;
          return null;
        }
        if (b == '\n') return head("a bare LF line ending");
        if (b == 0) return head("a NUL in a header value");
        if ((b < 0x20 && b != '\t') || b == 0x7f)
          return head("a control character in a header value");
        if (!framing) return null;
        if (value.length() < VALUE_CAP) value.append((char) b);
        else valueOverflow = true;
        return null;
      }
      case VALUE_LF -> {
        if (b != '\n') return head("a CR without LF in a header value");
        state = S.FIELD_START;
        return field();
      }
      case HEAD_END_LF -> {
        if (b != '\n') return head("a CR without LF");
        return headEnd();
      }
      case CHUNK_SIZE -> {
        int d = Character.digit(b, 16);
        if (d >= 0 && b < 0x80) {
          if (++chunkDigits > 15) return "an overlong chunk size";
          remaining = remaining * 16 + d;
          return null;
        }
        if (b == '\n') return "a bare LF after a chunk size";
        if (chunkDigits == 0) return "an invalid chunk size (it must be hex digits)";
        if (b == ';') {
          state = S.CHUNK_EXT;
          return null;
        }
        if (b == '\r') {
          state = S.CHUNK_SIZE_LF;
          return null;
        }
        return "an invalid chunk size (it must be hex digits)";
      }
      case CHUNK_EXT -> {
        if (b == '\r') {
          state = S.CHUNK_SIZE_LF;
          return null;
        }
        if (b == '\n') return "a bare LF after a chunk size";
        if ((b < 0x20 && b != '\t') || b == 0x7f) return "a control character in a chunk extension";
        return null;
      }
      case CHUNK_SIZE_LF -> {
        if (b != '\n') return "a CR without LF after a chunk size";
        if (remaining == 0) {
          headBytes = 0;
          state = S.TRAILER_START;
        } else {
          state = S.CHUNK_DATA;
        }
        return null;
      }
      case CHUNK_DATA_CR -> {
        if (b != '\r') return "chunk data longer than its size (no CRLF after it)";
        state = S.CHUNK_DATA_LF;
        return null;
      }
      case CHUNK_DATA_LF -> {
        if (b != '\n') return "chunk data not followed by CRLF";
        chunkDigits = 0;
        remaining = 0;
        state = S.CHUNK_SIZE;
        return null;
      }
      case TRAILER_START -> {
        if (countHead()) return null;
        if (b == '\r') {
          state = S.TRAILER_END_LF;
          return null;
        }
        if (b == '\n') return "a bare LF in the trailers";
        if (b == ' ' || b == '\t') return "a trailer line folded onto the previous one (obs-fold)";
        state = S.TRAILER;
        return null;
      }
      case TRAILER -> {
        if (countHead()) return null;
        if (b == '\r') {
          state = S.TRAILER_LF;
          return null;
        }
        if (b == '\n') return "a bare LF in the trailers";
        if ((b < 0x20 && b != '\t') || b == 0x7f) return "a control character in a trailer";
        return null;
      }
      case TRAILER_LF -> {
        if (b != '\n') return "a CR without LF in the trailers";
        state = S.TRAILER_START;
        return null;
      }
      case TRAILER_END_LF -> {
        if (b != '\n') return "a CR without LF at the end of the trailers";
        state = S.LINE_START;
        return null;
      }
      default -> {
        return null;
      }
    }
  }

  private String head(String why) {
    headViolation = true;
    return why;
  }

  /**
   * Counts a head byte; past the limit the decoder is left to answer 431 and this handler steps
   * aside.
   */
  private boolean countHead() {
    if (++headBytes > MAX_HEAD_BYTES) {
      state = S.PASS;
      return true;
    }
    return false;
  }

  private String lineByte(int b) {
    if (countHead()) return null;
    if (b == '\r') {
      state = S.LINE_LF;
      return null;
    }
    if (b == '\n') return head("a bare LF line ending");
    if (b < 0x20 || b == 0x7f) return head("a control character in the request line");
    lineTail = lineTail << 8 | b;
    if (line.length() < 16) line.append((char) b);
    return null;
  }

  private String nameByte(int b) {
    if (b == ':') {
      if (name.isEmpty()) return head("an empty header name");
      String n = name.toString();
      framing = n.equals("content-length") || n.equals("transfer-encoding") || n.equals("host");
      state = S.VALUE;
      return null;
    }
    if (b == ' ' || b == '\t') return head("whitespace between a header name and its colon");
    if (b >= 0x80 || !TCHAR[b]) return head("an invalid character in a header name");
    if (name.length() < NAME_CAP) name.append(Character.toLowerCase((char) b));
    return null;
  }

  private String field() {
    if (!framing) return null;
    String n = name.toString();
    switch (n) {
      case "content-length" -> {
        contentLengths++;
        String v = value.toString().strip();
        if (valueOverflow
            || v.isEmpty()
            || v.length() > 18
            || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return head("an invalid Content-Length");
        }
        contentLength = Long.parseLong(v);
      }
      case "host" -> {
        // RFC 9112 3.2: one Host, a plain host[:port]; refused here, before anything behind it is
        // read
        if (++hosts > 1) return head("more than one Host header");
        String why =
            valueOverflow ? "the Host header is too long" : rules.hostProblem(withoutOws(value));
        if (why != null) return head(why);
      }
      case "transfer-encoding" -> {
        transferEncodings++;
        String v = value.toString().toLowerCase(Locale.ROOT);
        if (valueOverflow || !(v.equals("chunked") || v.equals(" chunked"))) {
          return head("a Transfer-Encoding other than 'chunked'");
        }
      }
      default -> {
        // not a framing header
      }
    }
    return null;
  }

  /** The value without the optional whitespace (SP, HTAB) around it. */
  private static String withoutOws(StringBuilder v) {
    int from = 0;
    int to = v.length();
    while (from < to && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) from++;
    while (to > from && (v.charAt(to - 1) == ' ' || v.charAt(to - 1) == '\t')) to--;
    return v.substring(from, to);
  }

  private static long tail(String s) {
    long t = 0;
    for (int i = 0; i < s.length(); i++) t = t << 8 | s.charAt(i);
    return t;
  }

  String headEnd() {
    if (hosts == 0 && lineTail == HTTP_1_1) return head("no Host header (HTTP/1.1 requires one)");
    if (contentLengths > 1) return head("more than one Content-Length");
    if (transferEncodings > 1) return head("more than one Transfer-Encoding");
    if (contentLengths > 0 && transferEncodings > 0)
      return head("both Content-Length and Transfer-Encoding");
    // the head is passed on: the gateway owes it an answer (an Upgrade or a CONNECT changes nothing
    // yet; only an answer that switches the connection does, see Answers)
    passedOn++;
    if (line.toString().startsWith("CONNECT ")) {
      connectAt = passedOn;
      state = S.HOLD;
      return null;
    }
    if (transferEncodings > 0) {
      chunkDigits = 0;
      remaining = 0;
      state = S.CHUNK_SIZE;
    } else if (contentLength > 0) {
      remaining = contentLength;
      state = S.BODY;
    } else {
      state = S.LINE_START;
    }
    return null;
  }
}
