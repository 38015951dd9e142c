package bulwark.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the metadata of a set of files (modification time, size, file identity; following
 * symlinks, so Kubernetes' secret swaps are seen) on its own thread, and calls the action once
 * they have changed and then stayed the same for a settle period. Used for TLS certificate and
 * key files, like {@link ConfigWatcher} for the config file.
 */
final class FileSetWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(FileSetWatcher.class);
  private final List<Path> files;
  private final long periodMillis;
  private final Runnable onChange;
  private volatile boolean running = true;
  private Thread thread;

  FileSetWatcher(List<Path> files, long periodMillis, Runnable onChange) {
    this.files = List.copyOf(files);
    this.periodMillis = periodMillis;
    this.onChange = onChange;
  }

  void start(String name) {
    List<Object> initial = stamps();
    thread = Thread.ofPlatform().daemon().name(name).start(() -> loop(initial));
  }

  private List<Object> stamps() {
    List<Object> out = new ArrayList<>(files.size());
    for (Path f : files) {
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        out.add(List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey())));
      } catch (IOException e) {
        out.add("missing");
      }
    }
    return out;
  }

  private void loop(List<Object> last) {
    while (running) {
      try {
        Thread.sleep(periodMillis);
        List<Object> now = stamps();
        if (Objects.equals(now, last)) continue;
        // a renewal writes the certificate and the key one after the other: wait until both settle
        List<Object> settled;
        do {
          Thread.sleep(Math.max(20, periodMillis / 2));
          settled = now;
          now = stamps();
        } while (!now.equals(settled));
        last = now;
        onChange.run();
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
