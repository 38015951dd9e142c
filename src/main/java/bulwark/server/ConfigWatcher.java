package bulwark.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the config file's metadata (modification time, size and file identity) every 50 ms on its
 * own thread, and calls the reload action when it changes. Polling one stat call is cheaper and
 * sturdier than a directory watch: it sees rename-into-place and Kubernetes' symlink swaps, and
 * does not wake up for every write to other files in the same directory (an access log, say). The
 * reload action itself ignores content that did not change.
 */
final class ConfigWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
  static final long PERIOD_MILLIS = 50;
  static final long SETTLE_MILLIS = 20;
  private final Path file;
  private final Runnable onChange;
  private volatile boolean running = true;
  private Thread thread;

  record Stamp(java.nio.file.attribute.FileTime modified, long size, Object key) {}

  ConfigWatcher(Path file, Runnable onChange) {
    this.file = file.toAbsolutePath();
    this.onChange = onChange;
  }

  void start() {
    Stamp initial = stamp();
    thread = Thread.ofPlatform().daemon().name("bulwark-config-watcher").start(() -> loop(initial));
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

  private void loop(Stamp last) {
    while (running) {
      try {
        Thread.sleep(PERIOD_MILLIS);
        Stamp now = stamp();
        if (now != null && !Objects.equals(now, last)) {
          // let a writer finish: wait until the file stays the same for one settle period
          Stamp settled;
          do {
            Thread.sleep(SETTLE_MILLIS);
            settled = now;
            now = stamp();
          } while (now != null && !now.equals(settled));
          // a writer that truncates first leaves the file empty for a moment: give it 200 ms to
          // write (a file that stays empty is still reported as an error)
          for (int i = 0; i < 10 && now != null && now.size() == 0; i++) {
            Thread.sleep(SETTLE_MILLIS);
            now = stamp();
          }
          last = now;
          onChange.run();
        }
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
