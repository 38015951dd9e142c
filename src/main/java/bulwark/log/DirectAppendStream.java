package bulwark.log;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends to a log file with direct I/O ({@code O_DIRECT}): whole blocks go from one aligned buffer
 * to the disk without passing through the page cache, and only the last, partial block of each
 * flush is written through the page cache, so that readers ({@code tail -f}, Filebeat) see every
 * line as soon as it is flushed.
 *
 * <p>Why: an access log written the usual way fills the page cache with data nobody reads again, at
 * ~20 MB/s under load, and every new page-cache page costs a page allocation. Where memory handed
 * back to the host must be faulted in again (a VM with free page reporting, like this project's
 * benchmark machine), that was ~10 µs per 4 KiB page, about 1 µs per access-log line, on the
 * gateway's own CPU (docs/performance.md, "The access log's page cache"). Direct writes of ~1 MiB
 * cost ~0.1 µs per line there.
 *
 * <p>The file grows only by whole lines, as before. A file shortened behind the stream's back
 * (logrotate's {@code copytruncate}) is noticed at the next flush, and writing restarts at its new
 * end. Where direct I/O is not available (a file system without it, a device or a pipe), {@link
 * #open} returns a plain appending stream. Used by one thread at a time (the appender's lock),
 * which must not be interrupted: an interrupt during a write closes a FileChannel
 * (BatchingAsyncAppender parks its worker instead).
 */
final class DirectAppendStream extends OutputStream {
  /** Bytes buffered before a write without a flush: whole blocks, written in one call. */
  static final int CAPACITY = 1 << 20;

  private final FileChannel direct;
  private final FileChannel cached;
  private final int block;
  private final ByteBuffer buf;

  /** The file offset of buf[0], a multiple of the block size. */
  private long base;

  /** buf[0, visible) is already in the file (written by an earlier flush's partial block). */
  private int visible;

  /** Set when a direct write failed: from then on everything goes through the page cache. */
  private boolean directFailed;

  private DirectAppendStream(FileChannel direct, FileChannel cached, int block) throws IOException {
    this.direct = direct;
    this.cached = cached;
    this.block = block;
    this.buf = ByteBuffer.allocateDirect(CAPACITY + block).alignedSlice(block);
    continueAt(cached.size());
  }

  /**
   * A stream appending to {@code file}: direct where the file system allows it, else a plain one.
   */
  static OutputStream open(String file) throws IOException {
    Path path = Path.of(file);
    if (Files.exists(path) && !Files.isRegularFile(path)) return plain(file);
    FileChannel cached =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    FileChannel direct;
    int block;
    try {
      block = (int) Files.getFileStore(path).getBlockSize();
      if (block <= 0 || Integer.bitCount(block) != 1 || block > 1 << 16)
        throw new IOException("unusual block size " + block);
      direct = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
    } catch (IOException | UnsupportedOperationException e) {
      cached.close();
      return plain(file);
    }
    try {
      return new DirectAppendStream(direct, cached, block);
    } catch (IOException e) {
      direct.close();
      cached.close();
      return plain(file);
    }
  }

  private static OutputStream plain(String file) throws IOException {
    return new BufferedOutputStream(new FileOutputStream(file, true), 64 * 1024);
  }

  /**
   * Empties the buffer and starts it at the block that holds the file's end ({@code size}): the
   * bytes of that block already in the file are read back in, so whole blocks can be written.
   */
  private void continueAt(long size) throws IOException {
    int partial = (int) (size % block);
    base = size - partial;
    buf.clear().limit(CAPACITY);
    ByteBuffer head = buf.duplicate().limit(partial);
    while (head.hasRemaining()) {
      if (cached.read(head, base + head.position()) < 0) break;
    }
    buf.position(head.position());
    visible = head.position();
  }

  @Override
  public void write(int b) throws IOException {
    if (!buf.hasRemaining()) writeAll();
    buf.put((byte) b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (!buf.hasRemaining()) writeAll();
      int n = Math.min(len, buf.remaining());
      buf.put(b, off, n);
      off += n;
      len -= n;
    }
  }

  /** The buffer is full: all of it is whole blocks. */
  private void writeAll() throws IOException {
    writeBlocks(buf.position());
    base += buf.position();
    buf.clear().limit(CAPACITY);
    visible = 0;
  }

  /** Writes buf[0, n), n a multiple of the block size, at {@link #base}. */
  private void writeBlocks(int n) throws IOException {
    if (!directFailed) {
      try {
        writeFully(direct, buf.duplicate().position(0).limit(n), base);
        return;
      } catch (IOException e) {
        directFailed = true; // e.g. EINVAL where the device wants another alignment
      }
    }
    writeFully(cached, buf.duplicate().position(visible).limit(n), base + visible);
  }

  /** Makes everything written so far visible in the file. */
  @Override
  public void flush() throws IOException {
    if (cached.size() < base + visible) truncated();
    int n = buf.position();
    int whole = n - n % block;
    if (whole > 0) writeBlocks(whole);
    int from = Math.max(whole, visible);
    if (n > from) writeFully(cached, buf.duplicate().position(from).limit(n), base + from);
    if (whole > 0) {
      // keep the partial block, now at the start of the buffer
      ByteBuffer rest = buf.duplicate().position(whole).limit(n);
      buf.clear().limit(CAPACITY);
      buf.put(rest);
      base += whole;
    }
    visible = buf.position();
  }

  /** The file was cut shorter (copytruncate): go on at its new end. */
  private void truncated() throws IOException {
    byte[] pending = new byte[buf.position() - visible];
    buf.duplicate().position(visible).limit(buf.position()).get(pending);
    continueAt(cached.size());
    write(pending, 0, pending.length);
  }

  private static void writeFully(FileChannel ch, ByteBuffer src, long at) throws IOException {
    long pos = at;
    while (src.hasRemaining()) pos += ch.write(src, pos);
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      try {
        direct.close();
      } finally {
        cached.close();
      }
    }
  }

  /** Whether blocks go to the disk directly (false once a direct write failed). */
  boolean isDirect() {
    return !directFailed;
  }
}
