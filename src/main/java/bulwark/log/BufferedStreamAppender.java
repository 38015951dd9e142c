package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An appender that writes through a buffer (64 KiB for stdout; for a file, {@link
 * DirectAppendStream}'s 1 MiB, written with direct I/O) and is flushed after each batch by {@link
 * BatchingAsyncAppender}, instead of after every line: one write system call per batch of
 * access-log lines rather than one per request. Nothing here runs on an event loop.
 */
final class BufferedStreamAppender extends OutputStreamAppender<ILoggingEvent> {
  private final String target;

  /**
   * @param target "stdout" or a file path (appended to)
   */
  BufferedStreamAppender(String target) {
    this.target = target;
  }

  @Override
  public void start() {
    try {
      setOutputStream(
          target.equals("stdout")
              ? new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024)
              : DirectAppendStream.open(target));
    } catch (IOException e) {
      addError("cannot open " + target, e);
      return;
    }
    setImmediateFlush(false);
    super.start();
  }

  /** Access lines go from the encoder's buffer into the stream's with no array made per line. */
  @Override
  protected void subAppend(ILoggingEvent event) {
    if (!isStarted() || !(getEncoder() instanceof AccessEncoder enc)) {
      super.subAppend(event);
      return;
    }
    streamWriteLock.lock();
    try {
      AccessEncoder.Line l = enc.encodeInto(event);
      OutputStream out = getOutputStream();
      if (l != null && out != null) out.write(l.buf, 0, l.len);
    } catch (IOException e) {
      addError("write failed", e);
    } finally {
      streamWriteLock.unlock();
    }
  }

  /** Writes out what is buffered. Safe from any thread. */
  void flush() {
    streamWriteLock.lock();
    try {
      OutputStream out = getOutputStream();
      if (out != null && isStarted()) out.flush();
    } catch (IOException e) {
      addError("flush failed", e);
    } finally {
      streamWriteLock.unlock();
    }
  }

  @Override
  protected void closeOutputStream() {
    flush();
    if (target.equals("stdout")) return; // never close the process's stdout
    super.closeOutputStream();
  }
}
