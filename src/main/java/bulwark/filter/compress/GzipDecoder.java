package bulwark.filter.compress;

import bulwark.filter.BodyDecoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A gzip request body (RFC 1952) inflated as it streams: each member's header is read (its optional
 * fields skipped), its deflate data inflated in slices of at most 64 KiB, its CRC-32 and length
 * checked; several members follow one another as GZIPInputStream reads them. A body that is not
 * gzip, fails its check or stops inside a member is refused.
 */
final class GzipDecoder implements BodyDecoder {
  static final int SLICE = 64 << 10;

  /** A header longer than this (its name or comment fields) is refused. */
  private static final int MAX_HEADER = 64 << 10;

  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;

  private enum State {
    HEADER,
    DATA,
    TRAILER
  }

  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private final byte[] out = new byte[SLICE];

  /** Header or trailer bytes gathered so far (they may arrive split across pieces). */
  private final Buffer gathered = Buffer.buffer(16);

  private State state = State.HEADER;
  private ByteBuffer input;
  private long memberBytes;
  private boolean closed;

  GzipDecoder() {
    CompressionFilter.OPEN.incrementAndGet();
  }

  @Override
  public void input(Buffer piece) {
    if (input != null && input.hasRemaining())
      throw new IllegalStateException("input given before the previous piece was decoded");
    input = ((BufferInternal) piece).unwrap().nioBuffer();
    if (state == State.DATA) inflater.setInput(input);
  }

  @Override
  public Buffer next() {
    while (input != null) {
      switch (state) {
        case HEADER -> {
          if (!header()) return null;
        }
        case DATA -> {
          Buffer b = inflate();
          if (b != null) return b;
          if (state == State.DATA) return null;
        }
        case TRAILER -> {
          if (!trailer()) return null;
        }
      }
    }
    return null;
  }

  @Override
  public void end() {
    if (state != State.HEADER || gathered.length() > 0)
      throw new IllegalArgumentException("the gzip data ends before its end (truncated)");
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    CompressionFilter.OPEN.decrementAndGet();
    inflater.end();
  }

  /** Gathers up to {@code n} bytes in {@link #gathered}; true when it holds n. */
  private boolean gather(int n) {
    int take = Math.min(n - gathered.length(), input.remaining());
    if (take > 0) {
      byte[] b = new byte[take];
      input.get(b);
      gathered.appendBytes(b);
    }
    return gathered.length() >= n;
  }

  /** Reads a member's header; false when more input is needed. */
  private boolean header() {
    if (!gather(10)) return false;
    if (gathered.getUnsignedByte(0) != 0x1f
        || gathered.getUnsignedByte(1) != 0x8b
        || gathered.getUnsignedByte(2) != 8)
      throw new IllegalArgumentException("not gzip data (bad magic or method)");
    int flags = gathered.getUnsignedByte(3);
    if ((flags & 0xe0) != 0) throw new IllegalArgumentException("not gzip data (reserved flags)");
    int need = 10;
    if ((flags & FEXTRA) != 0) {
      if (!gather(need + 2)) return false;
      need += 2 + gathered.getUnsignedShortLE(10);
    }
    if (!gather(need)) return false;
    if ((flags & FNAME) != 0 && (need = zeroTerminated(need)) < 0) return false;
    if ((flags & FCOMMENT) != 0 && (need = zeroTerminated(need)) < 0) return false;
    if ((flags & FHCRC) != 0 && !gather(need + 2)) return false;
    resetGathered();
    state = State.DATA;
    crc.reset();
    memberBytes = 0;
    inflater.reset();
    inflater.setInput(input);
    return true;
  }

  /**
   * Gathers a zero-terminated field that starts at {@code from}; the offset after it, or -1 when
   * more input is needed.
   */
  private int zeroTerminated(int from) {
    while (true) {
      for (int i = from; i < gathered.length(); i++) if (gathered.getByte(i) == 0) return i + 1;
      if (gathered.length() >= MAX_HEADER)
        throw new IllegalArgumentException("a gzip header over " + MAX_HEADER + " bytes");
      if (!input.hasRemaining()) return -1;
      gather(gathered.length() + 1);
    }
  }

  /** One slice of inflated bytes, or null when the input is used up or the member's data ended. */
  private Buffer inflate() {
    try {
      while (true) {
        int n = inflater.inflate(out);
        if (n > 0) {
          crc.update(out, 0, n);
          memberBytes += n;
          return Buffer.buffer(n).appendBytes(out, 0, n);
        }
        if (inflater.finished()) {
          state = State.TRAILER;
          return null;
        }
        if (inflater.needsInput()) {
          input = null;
          return null;
        }
        if (inflater.needsDictionary())
          throw new IllegalArgumentException("gzip data asks for a preset dictionary");
      }
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("bad gzip data: " + e.getMessage());
    }
  }

  /** Checks a member's trailer; false when more input is needed. */
  private boolean trailer() {
    if (!gather(8)) return false;
    if ((int) crc.getValue() != gathered.getIntLE(0))
      throw new IllegalArgumentException("the gzip CRC-32 does not match its data");
    if ((int) memberBytes != gathered.getIntLE(4))
      throw new IllegalArgumentException("the gzip length does not match its data");
    resetGathered();
    state = State.HEADER;
    if (!input.hasRemaining()) input = null;
    return true;
  }

  private void resetGathered() {
    ((BufferInternal) gathered).unwrap().clear();
  }
}
