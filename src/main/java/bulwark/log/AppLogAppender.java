package bulwark.log;

import bulwark.config.LogFormat;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The application log's appender (LogSetup): to stderr, or appended to a file when {@code file} is
 * a path ({@code BULWARK_LOG_FILE}), so that Filebeat can read it. Each line is flushed as it is
 * written; an {@code AsyncAppender} in front keeps that off the calling thread.
 *
 * <p>Its lines are ECS JSON (the encoder LogSetup sets, {@link EcsEncoder}) or, for people, {@link
 * TextEncoder}'s lines: {@code observability.logFormat} ({@link #useFormat}) picks one, and {@code
 * auto}, the default, picks text only when the lines go to stderr and that is a terminal.
 */
public final class AppLogAppender extends OutputStreamAppender<ILoggingEvent> {
  private static final Set<AppLogAppender> STARTED = ConcurrentHashMap.newKeySet();

  private String file = "stderr";
  private String format = "auto";
  private Encoder<ILoggingEvent> json;
  private final TextEncoder text = new TextEncoder();
  private volatile boolean textLines;

  /** "stderr" (or empty) for the process's stderr, else a file path, appended to. */
  public void setFile(String file) {
    this.file = file == null || file.isBlank() ? "stderr" : file.trim();
  }

  /** auto (the default), json or text; see {@link #useFormat}. */
  public void setFormat(String format) {
    this.format = format == null || format.isBlank() ? "auto" : format.trim();
    if (isStarted()) textLines = textLines(this.format);
  }

  /** Whether lines are written as text now (else ECS JSON). */
  public boolean writesText() {
    return textLines;
  }

  /**
   * Switches every started application-log appender to {@code format} (observability.logFormat):
   * json, text, or auto (text when the lines go to a terminal, else json). Called when a config is
   * applied, at start and on each reload; lines logged before that are in the auto format.
   */
  public static void useFormat(String format) {
    for (AppLogAppender a : STARTED) a.setFormat(format);
  }

  /** {@link #useFormat(String)} with the config's value. */
  public static void useFormat(LogFormat format) {
    useFormat(format == null ? null : format.configName());
  }

  private boolean stderr() {
    return file.equals("stderr");
  }

  private boolean textLines(String format) {
    return switch (format) {
      case "text" -> true;
      case "json" -> false;
      default -> stderr() && stderrIsTerminal();
    };
  }

  /**
   * True when the process runs on a terminal: {@link System#console()} says so (on JDK 22+ through
   * {@code Console.isTerminal()}, called reflectively since the language level is 21; on 21 a
   * console exists only when stdin and stdout are terminals), and, where /proc tells, stderr, which
   * the lines go to, is a terminal device too ({@code bulwark run 2>app.log} gets JSON).
   */
  static boolean stderrIsTerminal() {
    Console c = System.console();
    if (c == null) return false;
    try {
      Object terminal = Console.class.getMethod("isTerminal").invoke(c);
      if (!Boolean.TRUE.equals(terminal)) return false;
    } catch (ReflectiveOperationException e) {
      // JDK 21: a non-null console means stdin and stdout are terminals
    }
    Path fd2 = Path.of("/proc/self/fd/2");
    try {
      String target = Files.readSymbolicLink(fd2).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return true; // no /proc: the console's answer stands
    }
  }

  @Override
  public void start() {
    try {
      setOutputStream(
          stderr() ? new FileOutputStream(FileDescriptor.err) : new FileOutputStream(file, true));
    } catch (IOException e) {
      addError("cannot open the application log file " + file, e);
      return;
    }
    Encoder<ILoggingEvent> configured = getEncoder();
    if (configured instanceof Either)
      configured = json; // started again: keep the JSON encoder of the first start
    if (configured == null) {
      addError("no encoder for the application log");
      return;
    }
    json = configured;
    text.setContext(getContext());
    text.start();
    textLines = textLines(format);
    Either either = new Either();
    either.setContext(getContext());
    either.start();
    super.setEncoder(either);
    super.start();
    STARTED.add(this);
  }

  @Override
  public void stop() {
    STARTED.remove(this);
    super.stop();
    text.stop();
  }

  /** Encodes with the text or the JSON encoder, as the format says at the time of the line. */
  private final class Either extends EncoderBase<ILoggingEvent> {
    @Override
    public byte[] headerBytes() {
      return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
      return (textLines ? text : json).encode(event);
    }

    @Override
    public byte[] footerBytes() {
      return null;
    }
  }

  @Override
  protected void closeOutputStream() {
    if (stderr()) return; // never close the process's stderr
    super.closeOutputStream();
  }
}
