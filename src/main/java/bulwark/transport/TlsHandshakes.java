package bulwark.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * TLS handshake durations of the data listener, from the accepted connection to the end of the
 * handshake, over every event loop. Lock-free counters; the admin API shows them, and each {@link
 * Listener} (the metrics) hears every handshake.
 */
public final class TlsHandshakes {
  static final AttributeKey<Long> ACCEPTED = AttributeKey.valueOf("bulwark.acceptedNanos");
  private static final LongAdder COUNT = new LongAdder();
  private static final LongAdder FAILED = new LongAdder();
  private static final LongAdder TOTAL_NANOS = new LongAdder();
  private static final AtomicLong MAX_NANOS = new AtomicLong();

  private static final java.util.List<Listener> LISTENERS =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private TlsHandshakes() {}

  /**
   * Hears each handshake of every data listener in this process, on its event loop: must not block.
   */
  @FunctionalInterface
  public interface Listener {
    /**
     * {@code nanos} from the accepted connection to the end of the handshake; {@code ok} false when
     * it failed.
     */
    void handshake(long nanos, boolean ok);
  }

  /** Adds a listener until the returned handle is closed. */
  public static AutoCloseable listen(Listener l) {
    LISTENERS.add(l);
    return () -> LISTENERS.remove(l);
  }

  public static long count() {
    return COUNT.sum();
  }

  public static long failed() {
    return FAILED.sum();
  }

  public static double averageMillis() {
    long n = COUNT.sum();
    return n == 0 ? 0 : TOTAL_NANOS.sum() / 1e6 / n;
  }

  public static double maxMillis() {
    return MAX_NANOS.get() / 1e6;
  }

  static void record(long nanos, boolean ok) {
    for (Listener l : LISTENERS) l.handshake(nanos, ok);
    if (!ok) {
      FAILED.increment();
      return;
    }
    COUNT.increment();
    TOTAL_NANOS.add(nanos);
    MAX_NANOS.accumulateAndGet(nanos, Math::max);
  }

  /** Sits right after the TLS handler of one connection until its handshake ends, then leaves. */
  static final class Timer extends ChannelInboundHandlerAdapter {
    static final String NAME = "bulwarkTlsTimer";

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SslHandshakeCompletionEvent done) {
        Long accepted = ctx.channel().attr(ACCEPTED).get();
        if (accepted != null) record(System.nanoTime() - accepted, done.isSuccess());
        ctx.pipeline().remove(this);
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
