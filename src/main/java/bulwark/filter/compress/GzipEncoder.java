package bulwark.filter.compress;

import bulwark.filter.BodyEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip (RFC 1952) of one response body, streamed: the JDK's raw deflate between a gzip header and
 * the CRC-32 and length trailer. With {@code flush}, each piece is sync-flushed, so what the
 * upstream sent reaches the client at once (server-sent events, long polls) for a few bytes of
 * framing per piece; without, output comes as deflate's buffer fills. The deflater's native memory
 * is freed by {@link #close} (or {@link #finish}).
 */
final class GzipEncoder implements BodyEncoder {
  /** Magic, deflate, no flags, no mtime, no extra flags, OS unknown. */
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private static final int SCRATCH = 16 << 10;

  private final Deflater deflater;
  private final boolean flush;
  private final CRC32 crc = new CRC32();
  private final byte[] scratch = new byte[SCRATCH];
  private boolean headerSent;
  private boolean closed;
  private long in;
  private long out;

  GzipEncoder(int level, boolean flush) {
    this.deflater = new Deflater(level, true);
    this.flush = flush;
    CompressionFilter.OPEN.incrementAndGet();
  }

  @Override
  public String name() {
    return "gzip";
  }

  @Override
  public Buffer encode(Buffer chunk) {
    Buffer res = Buffer.buffer(Math.min(SCRATCH, chunk.length() / 2 + 64));
    header(res);
    input(chunk);
    drain(res, flush ? Deflater.SYNC_FLUSH : Deflater.NO_FLUSH);
    out += res.length();
    return res;
  }

  @Override
  public Buffer finish(Buffer last) {
    Buffer res = Buffer.buffer(last == null ? 64 : Math.min(SCRATCH, last.length() / 2 + 64));
    header(res);
    if (last != null) input(last);
    deflater.finish();
    while (!deflater.finished()) {
      int n = deflater.deflate(scratch, 0, SCRATCH, Deflater.NO_FLUSH);
      res.appendBytes(scratch, 0, n);
    }
    res.appendIntLE((int) crc.getValue());
    res.appendIntLE((int) in);
    out += res.length();
    close();
    return res;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    CompressionFilter.OPEN.decrementAndGet();
    deflater.end();
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

  private void header(Buffer res) {
    if (headerSent) return;
    headerSent = true;
    res.appendBytes(HEADER);
  }

  /** Hands the piece to the deflater without copying it (a view of its bytes). */
  private void input(Buffer chunk) {
    ByteBuffer view = ((BufferInternal) chunk).unwrap().nioBuffer();
    in += view.remaining();
    crc.update(view.duplicate());
    deflater.setInput(view);
  }

  /** Deflates all input given so far, then flushes with {@code mode}. */
  private void drain(Buffer res, int mode) {
    while (true) {
      int n = deflater.deflate(scratch, 0, SCRATCH, mode);
      res.appendBytes(scratch, 0, n);
      // a full scratch may leave more to write; a partly filled one means all input is out
      if (n < SCRATCH && deflater.needsInput()) return;
    }
  }
}
