package bulwark.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the metadata (modification time, size and file identity, following symlinks) of a set of
 * files on its own thread, and calls the action once a change has been followed by a quiet settle
 * period: a writer that writes a file in several steps, the first of which may be valid alone, or a
 * certificate renewal that writes the certificate and then the key, is applied only when it has
 * finished. A missing file (between a delete and a create) is waited for, not applied. Polling one
 * stat call per file is cheaper and sturdier than a directory watch: it sees rename-into-place and
 * Kubernetes' symlink swaps, and does not wake up for every write to other files in the same
 * directory (an access log, say). Serves the config file (server.reloadSettle) and the TLS
 * certificate and key files; the action itself ignores content that did not change.
 */
final class FileWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(FileWatcher.class);
  private final List<Path> files;
  private final Supplier<Duration> settle;
  private final LongSupplier nanoTime;
  private final Runnable onChange;
  private volatile boolean running = true;
  private Thread thread;

  /**
   * What the last poll saw, when it last changed, and whether that change is still to be applied.
   */
  private List<Stamp> seen;

  private long changedAt;
  private boolean pending;

  /** One file's metadata; null in a list when the file is missing. */
  record Stamp(FileTime modified, long size, Object key) {}

  /**
   * @param settle read at every poll (a reload may change it)
   * @param nanoTime the clock, {@link System#nanoTime} outside tests
   */
  FileWatcher(
      List<Path> files, Supplier<Duration> settle, LongSupplier nanoTime, Runnable onChange) {
    this.files = files.stream().map(Path::toAbsolutePath).toList();
    this.settle = settle;
    this.nanoTime = nanoTime;
    this.onChange = onChange;
    this.seen = stamps();
  }

  /** Polls every {@code periodMillis} on a daemon thread called {@code name}. */
  void start(String name, long periodMillis) {
    thread = Thread.ofPlatform().daemon().name(name).start(() -> loop(periodMillis));
  }

  private List<Stamp> stamps() {
    List<Stamp> out = new ArrayList<>(files.size());
    for (Path f : files) out.add(stamp(f));
    return out;
  }

  private static Stamp stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      LOG.warn("file watcher: cannot read {}: {}", file, e.toString());
      return null;
    }
  }

  /**
   * One poll: notes a change, and applies it once the files have stayed the same for the settle
   * period and none is missing.
   *
   * @return true when it called the action
   */
  boolean poll() {
    long now = nanoTime.getAsLong();
    List<Stamp> s = stamps();
    if (!s.equals(seen)) {
      seen = s;
      changedAt = now;
      pending = true;
    }
    if (!pending || s.contains(null)) return false;
    Duration quiet = settle.get();
    if (now - changedAt < (quiet == null ? 0 : quiet.toNanos())) return false;
    pending = false;
    onChange.run();
    return true;
  }

  private void loop(long periodMillis) {
    while (running) {
      try {
        Thread.sleep(periodMillis);
        poll();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("file watcher {}: {}", files, e.toString());
      }
    }
  }

  void stop() {
    running = false;
    if (thread != null) thread.interrupt();
  }
}
