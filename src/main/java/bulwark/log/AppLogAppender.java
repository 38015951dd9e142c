package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;

/**
 * The application log's appender (logback.xml): to stderr, or appended to a file when {@code file}
 * is a path ({@code BULWARK_LOG_FILE}), so that Filebeat can read it. Each line is flushed as it is
 * written; an {@code AsyncAppender} in front keeps that off the calling thread.
 */
public final class AppLogAppender extends OutputStreamAppender<ILoggingEvent> {
  private String file = "stderr";

  /** "stderr" (or empty) for the process's stderr, else a file path, appended to. */
  public void setFile(String file) {
    this.file = file == null || file.isBlank() ? "stderr" : file.trim();
  }

  private boolean stderr() {
    return file.equals("stderr");
  }

  @Override
  public void start() {
    try {
      setOutputStream(stderr() ? new FileOutputStream(FileDescriptor.err) : new FileOutputStream(file, true));
    } catch (IOException e) {
      addError("cannot open the application log file " + file, e);
      return;
    }
    super.start();
  }

  @Override
  protected void closeOutputStream() {
    if (stderr()) return; // never close the process's stderr
    super.closeOutputStream();
  }
}
