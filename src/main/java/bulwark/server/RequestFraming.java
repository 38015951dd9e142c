package bulwark.server;

import bulwark.proxy.Problem;
import bulwark.proxy.RequestHost;
import bulwark.proxy.RequestIds;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Request smuggling guard: a Netty handler in front of the HTTP/1.x decoder that reads every byte of
 * the request stream (without copying or holding it) and checks the framing strictly, so that the
 * gateway and any upstream can only ever agree on where a request ends. Rejected, with 400
 * problem+json and the connection closed, before the decoder sees the offending bytes:
 *
 * <ul>
 *   <li>a line ended by a bare LF or a bare CR, in the head, a chunk line or the trailers;
 *   <li>obs-fold (a header line starting with SP or HTAB), whitespace between a name and its colon, an
 *       invalid header-name character, NUL or another control character in a header value;
 *   <li>more than one Content-Length (even when equal), a Content-Length that is not plain digits,
 *       more than one Transfer-Encoding, a Transfer-Encoding other than exactly {@code chunked}
 *       (one optional space before it, any letter case), and Content-Length with Transfer-Encoding;
 *   <li>a chunk size that is not 1 to 15 hex digits ({@code 0x10}, {@code +5}, {@code -1}, overlong),
 *       chunk data not followed by CRLF;
 *   <li>more than one Host header, none on HTTP/1.1, or one that is not a plain {@code host[:port]}
 *       (RFC 9112 3.2, see {@link RequestHost}): refused here so that nothing pipelined behind it is read.
 * </ul>
 *
 * An {@code Upgrade} header or a {@code CONNECT} changes nothing by itself: the handler steps aside
 * only once the gateway has actually sent {@code 101 Switching Protocols} (WebSocket, h2c) or a 2xx
 * to a CONNECT (a tunnel) on the connection, as seen by its {@link Answers} on the outbound side. A
 * CONNECT that is refused is answered with {@code Connection: close} and the connection is closed.
 * A head too large for the decoder is left to it (431).
 *
 * <p>Answers go out in request order: a refusal waits until every request passed on before the
 * offending one has been answered in full, then goes out as the last response, and the connection is
 * closed. When the offending request's own answer has begun (a violation in its body found after
 * the gateway started to answer it), the connection is just closed.
 */
final class RequestFraming extends ChannelDuplexHandler {
  static final String NAME = "bulwarkFraming";

  private enum S {
    LINE_START, LINE_START_LF, LINE, LINE_LF, FIELD_START, NAME, VALUE, VALUE_LF, HEAD_END_LF, BODY,
    CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
    TRAILER_START, TRAILER, TRAILER_LF, TRAILER_END_LF, HOLD, PASS, DEAD
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

  /** Past this many bytes in one head the decoder's own limits (431, 414) have answered; this handler steps aside. */
  private static final long MAX_HEAD_BYTES = 1 << 20;
  private S state = S.LINE_START;
  /** Nothing read yet on this connection. */
  private boolean first = true;
  private long headBytes;
  private final StringBuilder line = new StringBuilder(16);
  /**
   * The bytes being checked, copied out of the buffer in blocks: one array per event-loop thread,
   * not per connection (it is used only inside one channelRead, which reads nothing else meanwhile).
   */
  private static final io.netty.util.concurrent.FastThreadLocal<byte[]> WINDOW = new io.netty.util.concurrent.FastThreadLocal<>() {
    @Override
    protected byte[] initialValue() {
      return new byte[2048];
    }
  };
  private final StringBuilder name = new StringBuilder(NAME_CAP);
  private final StringBuilder value = new StringBuilder(VALUE_CAP);
  private boolean valueOverflow;
  /** The header being read is one this handler decides by (Content-Length, Transfer-Encoding). */
  private boolean framing;
  private int contentLengths;
  private int transferEncodings;
  private int hosts;
  /** The last 8 bytes of the request line (its version, when it is complete). */
  private long lineTail;
  private static final long HTTP_1_1 = tail("HTTP/1.1");
  private long contentLength;
  private long remaining;
  private int chunkDigits;
  private boolean wroteSinceHead;
  /** The connection's first request head is complete (or this handler stepped aside). */
  private boolean headSeen;
  /** Request heads passed on to the decoder on this connection. */
  private long passedOn;
  /** The number (in {@link #passedOn}) of the last CONNECT passed on, 0 if none. */
  private long connectAt;
  /** The connection's answers, counted on the outbound side; null until Vert.x has set HTTP/1.x up. */
  private Answers answers;
  /** How many bytes may still go to the decoder one at a time while waiting for Vert.x's HTTP/1.x setup. */
  private int setupBudget = 64;
  /** Bytes after a CONNECT head, kept until its answer. */
  private ByteBuf held;
  private static final int MAX_HELD_BYTES = 64 * 1024;
  /** The guard's own context (for the answers side to act on). */
  private ChannelHandlerContext self;
  /** A refusal waiting for the answers before it. */
  private Refusal refusal;
  /** The refusal (or a close) was sent: nothing more goes out. */
  private boolean closing;

  /**
   * Counts the gateway's HTTP/1.x answers as they are written, one Netty handler after the response
   * encoder (so it sees Vert.x's response objects, and the 101 of an h2c upgrade too): how many have
   * begun and how many have ended (interim 1xx answers do not count). A {@code 101}, or a 2xx to a
   * CONNECT, switches the connection out of HTTP/1.x: the guard steps aside. A CONNECT answered
   * otherwise gets {@code Connection: close}, and the connection is closed after it.
   */
  final class Answers extends ChannelOutboundHandlerAdapter {
    static final String NAME = "bulwarkAnswers";
    long started;
    long ended;
    boolean switched;
    private boolean interim;
    private boolean closeAfter;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (!(msg instanceof HttpObject)) {
        ctx.write(msg, promise);
        return;
      }
      boolean switching = false;
      if (msg instanceof HttpResponse r) {
        int code = r.status().code();
        interim = code < 200 && code != 101;
        if (!interim) {
          started++;
          boolean connect = started == connectAt;
          if (code == 101 || (connect && code / 100 == 2)) {
            switching = true;
          } else if (connect) {
            // a refused CONNECT: its client may already be sending what it meant for the tunnel
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closeAfter = true;
          } else if (r.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
            // RFC 9112 9.6: after an answer that says close, the connection closes and no later request is read
            closeAfter = true;
          }
          if (closeAfter && state != S.PASS) {
            releaseHeld();
            state = S.DEAD;
          }
        }
      }
      boolean end = msg instanceof LastHttpContent && !interim;
      if (end && closeAfter) {
        closeAfter = false;
        ChannelPromise p = promise.unvoid();
        ctx.write(msg, p);
        closing = true;
        p.addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.write(msg, promise);
      }
      if (switching) {
        // the answer that leaves HTTP/1.x has been passed on: what the client sends from now on is not HTTP/1.x
        switched = true;
        ctx.pipeline().remove(this);
        if (state != S.DEAD) {
          state = S.PASS;
          ByteBuf h = held;
          held = null;
          // once the write that switches has returned (and Vert.x has set the tunnel up)
          if (h != null) self.executor().execute(() -> self.fireChannelRead(h));
        }
      }
      if (end) ended++;
      if (switching || end) refuseWhenDue();
    }
  }


  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    self = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == S.PASS || !(msg instanceof ByteBuf buf)) {
      if (state == S.DEAD) {
        io.netty.util.ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof ByteBuf buf) pass(ctx, buf);
      else ctx.fireChannelRead(msg);
      return;
    }
    if (state == S.DEAD) {
      buf.release();
      return;
    }
    if (state == S.HOLD) {
      hold(ctx, buf);
      return;
    }
    int start = buf.readerIndex();
    int end = buf.writerIndex();
    if (first && end > start) {
      first = false;
      if (buf.getByte(start) == 0x16) {
        // a TLS record: this handler was placed in front of a TLS layer it did not recognise; step aside
        state = S.PASS;
        firstHeadDone(ctx);
        pass(ctx, buf);
        return;
      }
    }
    // where the head in progress began in this buffer (start when it began in an earlier one)
    int headStart = inHead() ? start : -1;
    String why = null;
    int i = start;
    // the bytes are read through a window copied out of the buffer in one block: reading them one
    // getByte at a time (a bounds and reference-count check each) cost more than the checks
    byte[] w = WINDOW.get();
    int wStart = 0, wEnd = 0;
    while (i < end && why == null) {
      S before = state;
      if (state == S.BODY || state == S.CHUNK_DATA) {
        int n = (int) Math.min(remaining, end - i);
        i += n;
        remaining -= n;
        if (remaining == 0) state = state == S.BODY ? S.LINE_START : S.CHUNK_DATA_CR;
        continue;
      }
      if (state == S.PASS || state == S.HOLD) break;
      if (i >= wEnd) {
        int n = Math.min(end - i, w.length);
        buf.getBytes(i, w, 0, n);
        wStart = i;
        wEnd = i + n;
      }
      if (state == S.VALUE && !framing) {
        // the value of a header this handler does not decide by: only its characters are checked
        int j = i;
        while (j < wEnd) {
          int c = w[j - wStart] & 0xff;
          if ((c < 0x20 && c != '\t') || c == 0x7f) break;
          j++;
        }
        if (j > i) {
          headBytes += j - i;
          i = j;
          if (headBytes > MAX_HEAD_BYTES) state = S.PASS;
          continue;
        }
      }
      why = step(w[i - wStart] & 0xff);
      if (!headSeen && why == null && ((before == S.HEAD_END_LF && state != S.HEAD_END_LF) || state == S.PASS)) firstHeadDone(ctx);
      if (before == S.LINE_START && state == S.LINE) {
        headStart = i;
        wroteSinceHead = false;
      }
      i++;
    }
    if (why == null) {
      if (state == S.HOLD && i < end) {
        // what follows a CONNECT is the client's tunnel, or nothing: it waits for the CONNECT's answer
        if (i > start) pass(ctx, buf.retainedSlice(start, i - start));
        hold(ctx, buf.retainedSlice(i, end - i));
        buf.release();
        return;
      }
      pass(ctx, buf);
      return;
    }
    // forward what came before the offending request (or, in a body, before the offending byte)
    int safeEnd = headViolation ? Math.max(start, headStart) : i - 1;
    state = S.DEAD;
    if (safeEnd > start) pass(ctx, buf.retainedSlice(start, safeEnd - start));
    buf.release();
    // the answers owed before the refusal: every request passed on, but the offending one when its head was
    long owed = headViolation ? passedOn : passedOn - 1;
    refuse(ctx, 400, "Bad Request", why, owed);
  }

  /**
   * Passes bytes on to the decoder. On a plaintext connection with h2c, Vert.x sets HTTP/1.x up only
   * once it has seen the first bytes: until {@link Answers} is in place they go one at a time (a
   * request line needs more than one, so nothing can be answered before it is), at most a few.
   */
  private void pass(ChannelHandlerContext ctx, ByteBuf buf) {
    while (answers == null && setupBudget > 0 && state != S.PASS && buf.isReadable()) {
      if (installAnswers(ctx)) break;
      setupBudget--;
      ctx.fireChannelRead(buf.readRetainedSlice(1));
    }
    if (buf.isReadable()) ctx.fireChannelRead(buf);
    else buf.release();
  }

  /**
   * Keeps bytes that came after a CONNECT head until its answer: a tunnel gets them, a refusal
   * closes the connection, and they are never read as HTTP/1.x requests.
   */
  private void hold(ChannelHandlerContext ctx, ByteBuf buf) {
    if (held == null) held = ctx.alloc().buffer(buf.readableBytes());
    if (held.readableBytes() + buf.readableBytes() > MAX_HELD_BYTES) {
      buf.release();
      releaseHeld();
      state = S.DEAD;
      closing = true;
      ctx.close();
      return;
    }
    held.writeBytes(buf);
    buf.release();
  }

  private void releaseHeld() {
    if (held != null) {
      held.release();
      held = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    ctx.fireChannelInactive();
  }

  /** Puts {@link Answers} right after the HTTP/1.x response encoder, once there is one; true when done. */
  private boolean installAnswers(ChannelHandlerContext ctx) {
    ChannelHandlerContext enc = ctx.pipeline().context(HttpResponseEncoder.class);
    if (enc == null) return false;
    answers = new Answers();
    ctx.pipeline().addAfter(enc.name(), Answers.NAME, answers);
    return true;
  }

  private boolean inHead() {
    return switch (state) {
      case LINE, LINE_LF, FIELD_START, NAME, VALUE, VALUE_LF, HEAD_END_LF -> true;
      default -> false;
    };
  }

  /** Whether the violation was found in a request head (including the checks at its end). */
  private boolean headViolation;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (closing) {
      // the refusal was the last response: nothing goes out after it
      io.netty.util.ReferenceCountUtil.release(msg);
      promise.tryFailure(new java.nio.channels.ClosedChannelException());
      return;
    }
    if (msg instanceof ByteBuf b && b.isReadable()) wroteSinceHead = true;
    ctx.write(msg, promise);
  }

  /** The first request head is complete (or this handler stepped aside): the head timer stops. */
  private void firstHeadDone(ChannelHandlerContext ctx) {
    headSeen = true;
    var t = ctx.channel().attr(FramingTransport.HEAD_TIMER).getAndSet(null);
    if (t != null) t.cancel(false);
  }

  /** requestHeaderTimeout passed before the first head was complete: 408, or a plain close. */
  void headTimedOut(ChannelHandlerContext ctx, long millis) {
    if (headSeen || state == S.DEAD) return;
    state = S.DEAD;
    refuse(ctx, 408, "Request Timeout", "the request head did not arrive within " + millis + "ms", passedOn);
  }

  /**
   * Refuses the connection's current request once the {@code owed} answers before it have gone out
   * (at once when they have): the refusal is the last response, then the connection closes.
   */
  private void refuse(ChannelHandlerContext ctx, int status, String title, String why, long owed) {
    if (answers == null) {
      // no HTTP/1.x answers to wait for or to count (the pipeline is not Vert.x's HTTP/1.x)
      if (wroteSinceHead) ctx.close();
      else reject(ctx, status, title, why);
      return;
    }
    refusal = new Refusal(ctx, status, title, why, owed);
    refuseWhenDue();
  }

  /** Sends the waiting refusal if every answer owed before it has gone out. */
  private void refuseWhenDue() {
    Refusal r = refusal;
    if (r == null || (!answers.switched && answers.ended < r.owed)) return;
    refusal = null;
    if (answers.switched || answers.started > r.owed) {
      // the connection left HTTP/1.x, or the offending request's own answer has begun: no room for a 400
      closing = true;
      r.ctx.close();
      return;
    }
    reject(r.ctx, r.status, r.title, r.why);
  }

  private record Refusal(ChannelHandlerContext ctx, int status, String title, String why, long owed) {}

  private void reject(ChannelHandlerContext ctx, int status, String title, String why) {
    if (closing) return;
    closing = true;
    String rid = RequestIds.next();
    byte[] body = Problem.json(status, title, why, rid, null, null, null).getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + title + "\r\nContent-Type: " + Problem.CONTENT_TYPE + "\r\nCache-Control: no-store\r\n"
        + "X-Request-Id: " + rid + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
    ByteBuf out = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), body);
    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
  }

  /** Advances by one byte; returns why the request is rejected, or null. */
  private String step(int b) {
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
        if (b == ' ' || b == '\t') return head("a header line folded onto the previous one (obs-fold)");
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
        if ((b < 0x20 && b != '\t') || b == 0x7f) return head("a control character in a header value");
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

  /** Counts a head byte; past the limit the decoder is left to answer 431 and this handler steps aside. */
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
        if (valueOverflow || v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return head("an invalid Content-Length");
        }
        contentLength = Long.parseLong(v);
      }
      case "host" -> {
        // RFC 9112 3.2: one Host, a plain host[:port]; refused here, before anything behind it is read
        if (++hosts > 1) return head("more than one Host header");
        String why = valueOverflow ? "the Host header is too long" : RequestHost.check(withoutOws(value));
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

  private String headEnd() {
    if (hosts == 0 && lineTail == HTTP_1_1) return head("no Host header (HTTP/1.1 requires one)");
    if (contentLengths > 1) return head("more than one Content-Length");
    if (transferEncodings > 1) return head("more than one Transfer-Encoding");
    if (contentLengths > 0 && transferEncodings > 0) return head("both Content-Length and Transfer-Encoding");
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
