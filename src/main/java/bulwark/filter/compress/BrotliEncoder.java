package bulwark.filter.compress;

import bulwark.filter.BodyEncoder;
import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.aayushatharva.brotli4j.encoder.EncoderJNI;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Brotli (RFC 7932) of one response body, streamed through brotli4j's native encoder: with {@code
 * flush}, each piece is pushed with a flush, so it reaches the client at once; without, output
 * comes as the encoder's blocks fill. The end is pushed with a finish. The encoder's native state
 * (window, hash tables, its input buffer) is freed by {@link #close} (or {@link #finish}).
 */
final class BrotliEncoder implements BodyEncoder {
  /**
   * Window of 2^19 bytes (512 KiB), as ngx_brotli's default: the per-response native memory stays
   * near a megabyte, and a response the size of an API answer loses nothing to a smaller window.
   */
  static final int LGWIN = 19;

  /**
   * Input between flushes, at most: brotli4j's encoder at quality 4 spends about twice the CPU on a
   * long unflushed run (20 ms per MiB of JSON against 9.4 ms flushed every 64 KiB, at 0.3% more
   * output), so a document is flushed every 64 KiB too.
   */
  static final int FLUSH_EVERY = 64 << 10;

  /** The native input buffer: larger pieces go through it in turns. */
  private static final int INPUT = 32 << 10;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final EncoderJNI.Wrapper encoder;
  private final ByteBuffer input;
  private final EncoderJNI.Operation piece;
  private final byte[] scratch = new byte[INPUT];
  private boolean closed;
  private long sinceFlush;
  private long in;
  private long out;

  BrotliEncoder(int quality, boolean flush) {
    // loads the native library once (the filter checked it can); a no-op after that
    Brotli4jLoader.ensureAvailability();
    try {
      this.encoder = new EncoderJNI.Wrapper(INPUT, quality, LGWIN, Encoder.Mode.GENERIC);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a Brotli encoder", e);
    }
    this.input = encoder.getInputBuffer();
    this.piece = flush ? EncoderJNI.Operation.FLUSH : EncoderJNI.Operation.PROCESS;
    CompressionFilter.OPEN.incrementAndGet();
  }

  @Override
  public String name() {
    return "br";
  }

  @Override
  public Buffer encode(Buffer chunk) {
    return push(chunk, piece);
  }

  @Override
  public Buffer finish(Buffer last) {
    Buffer res = push(last, EncoderJNI.Operation.FINISH);
    close();
    return res;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    CompressionFilter.OPEN.decrementAndGet();
    encoder.destroy();
  }

  @Override
  public long bytesIn() {
    return in;
  }

  @Override
  public long bytesOut() {
    return out;
  }

  boolean closed() {
    return closed;
  }

  /**
   * Pushes {@code chunk} (null: nothing) through the native input buffer, every part but the last
   * with PROCESS and the last with {@code op}, and collects what the encoder gives out.
   */
  private Buffer push(Buffer chunk, EncoderJNI.Operation op) {
    if (closed) throw new IllegalStateException("the Brotli encoder is closed");
    ByteBuffer src = chunk == null ? EMPTY : ((BufferInternal) chunk).unwrap().nioBuffer();
    in += src.remaining();
    Buffer res = Buffer.buffer(Math.min(INPUT, src.remaining() / 2 + 64));
    do {
      input.clear();
      int n = Math.min(input.capacity(), src.remaining());
      input.put(input.position(), src, src.position(), n);
      src.position(src.position() + n);
      sinceFlush += n;
      EncoderJNI.Operation step = src.hasRemaining() ? EncoderJNI.Operation.PROCESS : op;
      if (step == EncoderJNI.Operation.PROCESS && sinceFlush >= FLUSH_EVERY)
        step = EncoderJNI.Operation.FLUSH;
      if (step != EncoderJNI.Operation.PROCESS) sinceFlush = 0;
      encoder.push(step, n);
      drain(step, res);
    } while (src.hasRemaining());
    out += res.length();
    return res;
  }

  /** Takes all output, and pushes again while the encoder still holds input. */
  private void drain(EncoderJNI.Operation op, Buffer res) {
    while (true) {
      if (!encoder.isSuccess()) throw new IllegalStateException("Brotli encoding failed");
      if (encoder.hasMoreOutput()) {
        ByteBuffer o = encoder.pull();
        while (o.hasRemaining()) {
          int n = Math.min(o.remaining(), scratch.length);
          o.get(scratch, 0, n);
          res.appendBytes(scratch, 0, n);
        }
      } else if (encoder.hasRemainingInput()) {
        encoder.push(op, 0);
      } else {
        return;
      }
    }
  }
}
