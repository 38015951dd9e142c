package bulwark.server;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the config file's directory (so editors' rename-into-place is seen too) and calls the
 * reload action, on its own thread, when the file changes. The action ignores unchanged content.
 */
final class ConfigWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
  private final Path file;
  private final Runnable onChange;
  private volatile boolean running = true;
  private Thread thread;
  private WatchService ws;

  ConfigWatcher(Path file, Runnable onChange) {
    this.file = file.toAbsolutePath();
    this.onChange = onChange;
  }

  void start() throws IOException {
    ws = FileSystems.getDefault().newWatchService();
    file.getParent().register(ws, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
    thread = new Thread(this::loop, "bulwark-config-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    Path name = file.getFileName();
    while (running) {
      try {
        WatchKey key = ws.poll(1, TimeUnit.SECONDS);
        if (key == null) {
          continue;
        }
        boolean hit = false;
        for (WatchEvent<?> ev : key.pollEvents()) {
          if (ev.kind() == StandardWatchEventKinds.OVERFLOW || name.equals(ev.context())) hit = true;
        }
        key.reset();
        if (hit) {
          // let a writer finish; later events in the window fold into this reload
          Thread.sleep(20);
          WatchKey more = ws.poll();
          if (more != null) {
            more.pollEvents();
            more.reset();
          }
          onChange.run();
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        LOG.error("config watcher: {}", e.toString());
      }
    }
  }

  void stop() {
    running = false;
    if (thread != null) thread.interrupt();
    try {
      if (ws != null) ws.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
