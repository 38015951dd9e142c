package bulwark.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the config file's metadata (modification time, size and file identity) every 50 ms on its
 * own thread, and calls the reload action once a change has been followed by a quiet settle period
 * ({@code server.reloadSettle}): a writer that writes the file in several steps, the first of which
 * may be valid alone, is applied only when it has finished. Polling one stat call is cheaper and
 * sturdier than a directory watch: it sees rename-into-place and Kubernetes' symlink swaps, and
 * does not wake up for every write to other files in the same directory (an access log, say). The
 * reload action itself ignores content that did not change.
 */
final class ConfigWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
  static final long PERIOD_MILLIS = 50;
  private final Path file;
  private final Supplier<Duration> settle;
  private final LongSupplier nanoTime;
  private final Runnable onChange;
  private volatile boolean running = true;
  private Thread thread;
  /** What the last poll saw, when it last changed, and whether that change is still to be applied. */
  private Stamp seen;
  private long changedAt;
  private boolean pending;

  record Stamp(java.nio.file.attribute.FileTime modified, long size, Object key) {}

  /**
   * @param settle read at every poll (a reload may change it)
   * @param nanoTime the clock, {@link System#nanoTime} outside tests
   */
  ConfigWatcher(Path file, Supplier<Duration> settle, LongSupplier nanoTime, Runnable onChange) {
    this.file = file.toAbsolutePath();
    this.settle = settle;
    this.nanoTime = nanoTime;
    this.onChange = onChange;
    this.seen = stamp();
  }

  void start() {
    thread = Thread.ofPlatform().daemon().name("bulwark-config-watcher").start(this::loop);
  }

  private Stamp stamp() {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      LOG.warn("config watcher: cannot read {}: {}", file, e.toString());
      return null;
    }
  }

  /**
   * One poll: notes a change, and applies it once the file has stayed the same for the settle
   * period. A missing file (between a delete and a create) is waited for, not applied.
   *
   * @return true when it called the reload action
   */
  boolean poll() {
    long now = nanoTime.getAsLong();
    Stamp s = stamp();
    if (!Objects.equals(s, seen)) {
      seen = s;
      changedAt = now;
      pending = true;
    }
    if (!pending || s == null) return false;
    Duration quiet = settle.get();
    if (now - changedAt < (quiet == null ? 0 : quiet.toNanos())) return false;
    pending = false;
    onChange.run();
    return true;
  }

  private void loop() {
    while (running) {
      try {
        Thread.sleep(PERIOD_MILLIS);
        poll();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.error("config watcher: {}", e.toString());
      }
    }
  }

  void stop() {
    running = false;
    if (thread != null) thread.interrupt();
  }
}
