package bulwark.server;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigTrees;
import bulwark.fleet.RoutingModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd cache file (configSource.etcd.cacheFile): the routing config of every published etcd
 * revision as YAML in the file's shape, under a first line {@code # revision: N}. Written to a temp
 * file in the same directory and renamed over the cache (atomic), so a reader never sees half of
 * one; read at start when etcd cannot be.
 */
final class EtcdCache {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdCache.class);
  private static final String HEADER = "# revision: ";

  private final Path file;
  private long revision = -1;

  EtcdCache(Path file) {
    this.file = file.toAbsolutePath();
  }

  Path file() {
    return file;
  }

  boolean exists() {
    return Files.isRegularFile(file);
  }

  /** The revision of the config last read from the file; -1 when it has none. */
  long revision() {
    return revision;
  }

  /**
   * Writes {@code model}, the config of etcd revision {@code revision}; a failure is logged (the
   * gateway serves on without a fresh cache).
   */
  void write(RoutingModel model, long revision) {
    Path tmp = null;
    try {
      Path dir = file.getParent();
      if (dir != null) Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
      Files.writeString(tmp, HEADER + revision + "\n" + model.toYaml());
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot write the etcd cache file {}: {}", file, e.toString());
      try {
        if (tmp != null) Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  /**
   * The cached routing config bound into {@code bootstrap} and validated.
   *
   * @throws ConfigException when the file cannot be read or does not hold a valid config
   */
  BulwarkConfig read(BulwarkConfig bootstrap) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError(file.toString(), e.toString())));
    }
    revision = -1;
    if (text.startsWith(HEADER)) {
      int nl = text.indexOf('\n');
      try {
        revision = Long.parseLong(text.substring(HEADER.length(), nl < 0 ? text.length() : nl));
      } catch (NumberFormatException e) {
        // no revision: still a config
      }
    }
    JsonNode tree = ConfigTrees.readValue(text);
    if (!(tree instanceof ObjectNode o))
      throw new ConfigException(List.of(new ConfigError(file.toString(), "not a YAML mapping")));
    return ConfigTrees.bindRouting(bootstrap, o);
  }
}
