package bulwark.transport;

import bulwark.transport.FramingParser.S;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;

/**
 * Request smuggling guard: a Netty handler in front of the HTTP/1.x decoder that reads every byte
 * of the request stream (without copying or holding it) and checks the framing strictly, so that
 * the gateway and any upstream can only ever agree on where a request ends. Rejected, with 400
 * problem+json and the connection closed, before the decoder sees the offending bytes:
 *
 * <ul>
 *   <li>a line ended by a bare LF or a bare CR, in the head, a chunk line or the trailers;
 *   <li>obs-fold (a header line starting with SP or HTAB), whitespace between a name and its colon,
 *       an invalid header-name character, NUL or another control character in a header value;
 *   <li>more than one Content-Length (even when equal), a Content-Length that is not plain digits,
 *       more than one Transfer-Encoding, a Transfer-Encoding other than exactly {@code chunked}
 *       (one optional space before it, any letter case), and Content-Length with Transfer-Encoding;
 *   <li>a chunk size that is not 1 to 15 hex digits ({@code 0x10}, {@code +5}, {@code -1},
 *       overlong), chunk data not followed by CRLF;
 *   <li>more than one Host header, none on HTTP/1.1, or one that is not a plain {@code host[:port]}
 *       (RFC 9112 3.2, the grammar given by {@link FramingRules}): refused here so that nothing
 *       pipelined behind it is read.
 * </ul>
 *
 * An {@code Upgrade} header or a {@code CONNECT} changes nothing by itself: the handler steps aside
 * only once the gateway has actually sent {@code 101 Switching Protocols} (WebSocket, h2c) or a 2xx
 * to a CONNECT (a tunnel) on the connection, as seen by its {@link Answers} on the outbound side. A
 * CONNECT that is refused is answered with {@code Connection: close} and the connection is closed.
 * A head too large for the decoder is left to it (431).
 *
 * <p>Answers go out in request order: a refusal waits until every request passed on before the
 * offending one has been answered in full, then goes out as the last response, and the connection
 * is closed. When the offending request's own answer has begun (a violation in its body found after
 * the gateway started to answer it), the connection is just closed.
 */
public final class RequestFraming extends ChannelDuplexHandler {
  public static final String NAME = "bulwarkFraming";

  /**
   * The bytes being checked, copied out of the buffer in blocks: one array per event-loop thread,
   * not per connection (it is used only inside one channelRead, which reads nothing else
   * meanwhile).
   */
  private static final FastThreadLocal<byte[]> WINDOW =
      new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
          return new byte[2048];
        }
      };

  private static final int MAX_HELD_BYTES = 64 * 1024;

  private final FramingRules rules;

  /** The request stream's grammar and where this connection is in it. */
  private final FramingParser p;

  /** Nothing read yet on this connection. */
  private boolean first = true;

  private boolean wroteSinceHead;

  /** The connection's first request head is complete (or this handler stepped aside). */
  private boolean headSeen;

  /**
   * The connection's answers, counted on the outbound side; null until Vert.x has set HTTP/1.x up.
   */
  private Answers answers;

  /**
   * How many bytes may still go to the decoder one at a time while waiting for Vert.x's HTTP/1.x
   * setup.
   */
  private int setupBudget = 64;

  /** Bytes after a CONNECT head, kept until its answer. */
  private ByteBuf held;

  /** The guard's own context (for the answers side to act on). */
  private ChannelHandlerContext self;

  /** A refusal waiting for the answers before it. */
  private Refusal refusal;

  /** The refusal (or a close) was sent: nothing more goes out. */
  private boolean closing;

  public RequestFraming(FramingRules rules) {
    this.rules = rules;
    this.p = new FramingParser(rules);
  }

  /** The number of the last CONNECT passed on (in heads passed on), 0 if none. */
  long connectAt() {
    return p.connectAt;
  }

  /** An answer that closes the connection has begun: nothing more is read as a request. */
  void readNoMore() {
    if (p.state != S.PASS) {
      releaseHeld();
      p.state = S.DEAD;
    }
  }

  /** The last answer is on its way and the connection closes after it: nothing more goes out. */
  void closing() {
    closing = true;
  }

  /** An answer switched the connection out of HTTP/1.x: what was held after a CONNECT goes on. */
  void switched() {
    if (p.state == S.DEAD) return;
    p.state = S.PASS;
    ByteBuf h = held;
    held = null;
    // once the write that switches has returned (and Vert.x has set the tunnel up)
    if (h != null) self.executor().execute(() -> self.fireChannelRead(h));
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    self = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (p.state == S.PASS || !(msg instanceof ByteBuf buf)) {
      if (p.state == S.DEAD) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof ByteBuf buf) pass(ctx, buf);
      else ctx.fireChannelRead(msg);
      return;
    }
    if (p.state == S.DEAD) {
      buf.release();
      return;
    }
    if (p.state == S.HOLD) {
      hold(ctx, buf);
      return;
    }
    int start = buf.readerIndex();
    int end = buf.writerIndex();
    if (first && end > start) {
      first = false;
      if (buf.getByte(start) == 0x16) {
        // a TLS record: this handler was placed in front of a TLS layer it did not recognise; step
        // aside
        p.state = S.PASS;
        firstHeadDone(ctx);
        pass(ctx, buf);
        return;
      }
    }
    // where the head in progress began in this buffer (start when it began in an earlier one)
    int headStart = p.inHead() ? start : -1;
    String why = null;
    int i = start;
    // the bytes are read through a window copied out of the buffer in one block: reading them one
    // getByte at a time (a bounds and reference-count check each) cost more than the checks
    byte[] w = WINDOW.get();
    int wStart = 0, wEnd = 0;
    while (i < end && why == null) {
      S before = p.state;
      if (p.state == S.BODY || p.state == S.CHUNK_DATA) {
        int n = (int) Math.min(p.remaining, end - i);
        i += n;
        p.remaining -= n;
        if (p.remaining == 0) p.state = p.state == S.BODY ? S.LINE_START : S.CHUNK_DATA_CR;
        continue;
      }
      if (p.state == S.PASS || p.state == S.HOLD) break;
      if (i >= wEnd) {
        int n = Math.min(end - i, w.length);
        buf.getBytes(i, w, 0, n);
        wStart = i;
        wEnd = i + n;
      }
      if (p.state == S.VALUE && !p.framing) {
        // the value of a header this handler does not decide by: only its characters are checked
        int j = i;
        while (j < wEnd) {
          int c = w[j - wStart] & 0xff;
          if ((c < 0x20 && c != '\t') || c == 0x7f) break;
          j++;
        }
        if (j > i) {
          p.headBytes += j - i;
          i = j;
          if (p.headBytes > FramingParser.MAX_HEAD_BYTES) p.state = S.PASS;
          continue;
        }
      }
      why = p.step(w[i - wStart] & 0xff);
      if (!headSeen
          && why == null
          && ((before == S.HEAD_END_LF && p.state != S.HEAD_END_LF) || p.state == S.PASS))
        firstHeadDone(ctx);
      if (before == S.LINE_START && p.state == S.LINE) {
        headStart = i;
        wroteSinceHead = false;
      }
      i++;
    }
    if (why == null) {
      if (p.state == S.HOLD && i < end) {
        // what follows a CONNECT is the client's tunnel, or nothing: it waits for the CONNECT's
        // answer
        if (i > start) pass(ctx, buf.retainedSlice(start, i - start));
        hold(ctx, buf.retainedSlice(i, end - i));
        buf.release();
        return;
      }
      pass(ctx, buf);
      return;
    }
    // forward what came before the offending request (or, in a body, before the offending byte)
    int safeEnd = p.headViolation ? Math.max(start, headStart) : i - 1;
    p.state = S.DEAD;
    if (safeEnd > start) pass(ctx, buf.retainedSlice(start, safeEnd - start));
    buf.release();
    // the answers owed before the refusal: every request passed on, but the offending one when its
    // head was
    long owed = p.headViolation ? p.passedOn : p.passedOn - 1;
    refuse(ctx, 400, "Bad Request", why, owed);
  }

  /**
   * Passes bytes on to the decoder. On a plaintext connection with h2c, Vert.x sets HTTP/1.x up
   * only once it has seen the first bytes: until {@link Answers} is in place they go one at a time
   * (a request line needs more than one, so nothing can be answered before it is), at most a few.
   */
  private void pass(ChannelHandlerContext ctx, ByteBuf buf) {
    while (answers == null && setupBudget > 0 && p.state != S.PASS && buf.isReadable()) {
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
      p.state = S.DEAD;
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

  /**
   * Puts {@link Answers} right after the HTTP/1.x response encoder, once there is one; true when
   * done.
   */
  private boolean installAnswers(ChannelHandlerContext ctx) {
    ChannelHandlerContext enc = ctx.pipeline().context(HttpResponseEncoder.class);
    if (enc == null) return false;
    answers = new Answers(this);
    ctx.pipeline().addAfter(enc.name(), Answers.NAME, answers);
    return true;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (closing) {
      // the refusal was the last response: nothing goes out after it
      ReferenceCountUtil.release(msg);
      promise.tryFailure(new ClosedChannelException());
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
    if (headSeen || p.state == S.DEAD) return;
    p.state = S.DEAD;
    refuse(
        ctx,
        408,
        "Request Timeout",
        "the request head did not arrive within " + millis + "ms",
        p.passedOn);
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
  void refuseWhenDue() {
    Refusal r = refusal;
    if (r == null || (!answers.switched && answers.ended < r.owed)) return;
    refusal = null;
    if (answers.switched || answers.started > r.owed) {
      // the connection left HTTP/1.x, or the offending request's own answer has begun: no room for
      // a 400
      closing = true;
      r.ctx.close();
      return;
    }
    reject(r.ctx, r.status, r.title, r.why);
  }

  private record Refusal(
      ChannelHandlerContext ctx, int status, String title, String why, long owed) {}

  private void reject(ChannelHandlerContext ctx, int status, String title, String why) {
    if (closing) return;
    closing = true;
    String rid = rules.newRequestId();
    byte[] body = rules.problemJson(status, title, why, rid).getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + title
            + "\r\nContent-Type: "
            + rules.problemContentType()
            + "\r\nCache-Control: no-store\r\n"
            + "X-Request-Id: "
            + rid
            + "\r\nConnection: close\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    ByteBuf out = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), body);
    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
  }
}
