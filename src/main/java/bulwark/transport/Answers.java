package bulwark.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Counts the gateway's HTTP/1.x answers as they are written, one Netty handler after the response
 * encoder (so it sees Vert.x's response objects, and the 101 of an h2c upgrade too): how many have
 * begun and how many have ended (interim 1xx answers do not count). A {@code 101}, or a 2xx to a
 * CONNECT, switches the connection out of HTTP/1.x: the guard steps aside. A CONNECT answered
 * otherwise gets {@code Connection: close}, and the connection is closed after it.
 */
final class Answers extends ChannelOutboundHandlerAdapter {
  static final String NAME = "bulwarkAnswers";
  private final RequestFraming guard;
  long started;
  long ended;
  boolean switched;
  private boolean interim;
  private boolean closeAfter;

  Answers(RequestFraming guard) {
    this.guard = guard;
  }

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
        boolean connect = started == guard.connectAt();
        if (code == 101 || (connect && code / 100 == 2)) {
          switching = true;
        } else if (connect) {
          // a refused CONNECT: its client may already be sending what it meant for the tunnel
          r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          closeAfter = true;
        } else if (r.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
          // RFC 9112 9.6: after an answer that says close, the connection closes and no later
          // request is read
          closeAfter = true;
        }
        if (closeAfter) guard.readNoMore();
      }
    }
    boolean end = msg instanceof LastHttpContent && !interim;
    if (end && closeAfter) {
      closeAfter = false;
      ChannelPromise p = promise.unvoid();
      ctx.write(msg, p);
      guard.closing();
      p.addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.write(msg, promise);
    }
    if (switching) {
      // the answer that leaves HTTP/1.x has been passed on: what the client sends from now on is
      // not HTTP/1.x
      switched = true;
      ctx.pipeline().remove(this);
      guard.switched();
    }
    if (end) ended++;
    if (switching || end) guard.refuseWhenDue();
  }
}
