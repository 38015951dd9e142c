package bulwark.proxy;

import bulwark.config.ByteSize;
import bulwark.filter.BodyDecoder;
import bulwark.filter.Exchange;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.concurrent.TimeUnit;

/**
 * The client's request body on its way to the upstream, with back-pressure: read once, by the first
 * attempt, under server.limits.maxBodySize; kept for a replay up to retry.maxBufferedBody when the
 * request may be retried; teed to the route's mirror, if the request is copied ({@link MirrorCopy},
 * which never holds the body back); inflated on its way when a filter asked for it ({@link
 * BodyDecoder}); watched by the body-read timer (server.limits.bodyReadTimeout).
 */
final class BodyUpload {
  private static final long NO_TIMER = -1;

  private final HttpCall owner;
  private final Exchange ex;

  /** Up to this many bytes are kept for a replay; 0: none are. */
  private final long replayCap;

  private long bytes;

  /** The body kept for a replay, under the cap; null when none, or past the cap. */
  private Buffer replayBody;

  /** Past the cap: nothing more is kept, and the request is not replayed. */
  private boolean overCap;

  /** The request's copy to the route's mirror; null when it is not copied (or not yet started). */
  private MirrorCopy mirror;

  private long bodyTimer = NO_TIMER;
  private long lastBodyNanos;

  /**
   * The request is paused because the upstream cannot take more (that time is not the client's).
   */
  private boolean heldBack;

  BodyUpload(HttpCall owner, long replayCap) {
    this.owner = owner;
    this.ex = owner.exchange();
    this.replayCap = replayCap;
  }

  /** Whether all of the body read so far was kept (or there was none). */
  boolean replayable() {
    return bytes == 0 || replayBody != null;
  }

  /** Sends the kept body on a retry's request (the client's request has ended). */
  void replay(HttpClientRequest creq) {
    if (replayBody == null) creq.end();
    else creq.end(replayBody.copy());
  }

  /**
   * Streams the client's body to {@code creq}, the request of attempt {@code tryNo}: as it comes,
   * or through the exchange's request decoder (slices pulled while the upstream takes them).
   */
  void start(HttpClientRequest creq, int tryNo) {
    HttpServerRequest req = ex.request();
    long max = owner.loop().plane().snapshot().maxBodyBytes();
    BodyDecoder decoder = ex.requestDecoder();
    // before the body is read: the copy takes its chunks from the first one on
    mirror = MirrorCopy.start(owner);
    req.handler(
        buf -> {
          if (!owner.live()) return;
          lastBodyNanos = System.nanoTime();
          if (decoder == null) {
            forward(buf, max, req, null);
          } else {
            decoder.input(buf);
            decoded(decoder, max, req);
          }
        });
    req.endHandler(
        v -> {
          cancelTimer();
          if (decoder != null && owner.live() && !ended(decoder)) return;
          // what the decoder kept for the end (an unpadded base64 group) goes last
          if (decoder != null && owner.live()) {
            for (Buffer rest; (rest = decoder.next()) != null; )
              if (!forward(rest, max, req, decoder)) return;
          }
          if (mirror != null) mirror.end();
          if (!owner.live() || owner.call().tryNo() != tryNo || owner.upstreamRequest() == null)
            return;
          creq.end();
          owner.call().requestSent(tryNo);
        });
    // a body is expected: Content-Length > 0, chunked, or an HTTP/2 stream still open; a gRPC
    // stream may idle by design (its deadline and the route timeout bound it)
    if (!req.isEnded()
        && (owner.expectsBody() || req.version() == HttpVersion.HTTP_2)
        && !owner.grpc()) startTimer();
    req.resume();
  }

  /**
   * Sends one piece of the body upstream (counted against the body limit, kept for a replay, teed
   * to the mirror); when the upstream's queue fills, the client is paused until it drains ({@code
   * decoder}: the slices still in it go first).
   *
   * @return false when the request was answered (413)
   */
  private boolean forward(Buffer buf, long max, HttpServerRequest req, BodyDecoder decoder) {
    bytes += buf.length();
    if (max > 0 && bytes > max) {
      tooLarge(max);
      return false;
    }
    if (replayCap > 0 && !overCap) keepForReplay(buf);
    if (mirror != null) mirror.body(buf);
    HttpClientRequest cur = owner.upstreamRequest();
    if (cur == null) return true; // the try failed mid-upload: the rest of the body is dropped
    cur.write(buf);
    if (cur.writeQueueFull()) {
      req.pause();
      heldBack = true;
      cur.drainHandler(
          v -> {
            heldBack = false;
            lastBodyNanos = System.nanoTime();
            if (decoder != null && owner.live()) decoded(decoder, max, req);
            if (!heldBack) req.resume();
          });
    }
    return true;
  }

  /** Forwards decoded slices until the decoder's input is used up or the upstream is full. */
  private void decoded(BodyDecoder decoder, long max, HttpServerRequest req) {
    while (!heldBack) {
      Buffer slice;
      try {
        slice = decoder.next();
      } catch (IllegalArgumentException e) {
        badBody(e);
        return;
      }
      if (slice == null || !forward(slice, max, req, decoder)) return;
    }
  }

  /** The decoder saw the whole body; false when it was cut short (answered 400). */
  private boolean ended(BodyDecoder decoder) {
    try {
      decoder.end();
      return true;
    } catch (IllegalArgumentException e) {
      badBody(e);
      return false;
    }
  }

  private void badBody(IllegalArgumentException e) {
    if (!owner.live()) return;
    LocalReply.closeAfterResponse(ex);
    LocalReply.problem(owner, 400, "Bad Request", "the request body: " + e.getMessage());
  }

  /** Keeps a copy of the body for a retry, up to the cap; past it, the request is not replayed. */
  private void keepForReplay(Buffer buf) {
    if (replayBody == null)
      replayBody = Buffer.buffer((int) Math.min(replayCap, Math.max(256, buf.length())));
    if (replayBody.length() + buf.length() > replayCap) {
      overCap = true;
      replayBody = null;
      return;
    }
    replayBody.appendBuffer(buf);
  }

  private void tooLarge(long max) {
    if (!owner.live()) return;
    LocalReply.closeAfterResponse(ex);
    LocalReply.problem(
        owner, 413, "Content Too Large", "the request body is larger than " + ByteSize.human(max));
  }

  /**
   * A client that sends no body bytes for bodyReadTimeout (slow-body attacks) gets 408 if nothing
   * was answered yet, and its connection is closed. One timer per request, re-armed for the
   * remainder when bytes came meanwhile, rather than one per chunk.
   */
  private void startTimer() {
    long ms =
        owner.loop().plane().snapshot().config().server().limits().bodyReadTimeout().toMillis();
    if (ms <= 0) return;
    lastBodyNanos = System.nanoTime();
    armTimer(ms, ms);
  }

  private void armTimer(long ms, long delay) {
    bodyTimer =
        owner
            .loop()
            .vertx()
            .setTimer(
                Math.max(1, delay),
                id -> {
                  bodyTimer = NO_TIMER;
                  if (!owner.live() || ex.request().isEnded()) return;
                  long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastBodyNanos);
                  if (heldBack || idle < ms) {
                    armTimer(ms, heldBack ? ms : ms - idle);
                    return;
                  }
                  timedOut(ms);
                });
  }

  private void timedOut(long ms) {
    if (ex.response().headWritten()) {
      // the upstream already answered: only the connection can be cut
      LocalReply.problem(owner, 408, "Request Timeout", "no request body bytes for " + ms + "ms");
      return;
    }
    LocalReply.closeAfterResponse(ex);
    LocalReply.problem(
        owner, 408, "Request Timeout", "the client sent no request body bytes for " + ms + "ms");
    // the rest of the body will not come: do not wait for it before closing
    if (ex.request().version() != HttpVersion.HTTP_2) ex.request().connection().close();
  }

  /**
   * The exchange has ended: the body timer stops, and a copy still waiting for body bytes is
   * abandoned (one sent whole lives on to its response).
   */
  void finished() {
    cancelTimer();
    if (mirror != null) mirror.primaryFinished();
  }

  private void cancelTimer() {
    if (bodyTimer != NO_TIMER) owner.loop().vertx().cancelTimer(bodyTimer);
    bodyTimer = NO_TIMER;
  }
}
