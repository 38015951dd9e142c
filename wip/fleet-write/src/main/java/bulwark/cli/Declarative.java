package bulwark.cli;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.config.EtcdConfig;
import bulwark.fleet.ConfigStore;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.RoutingModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What apply, diff and export share: reading a routing file as the gateway would validate it, and
 * a connection to etcd ({@link Session}).
 */
final class Declarative {
  private Declarative() {}

  /** Exit codes of diff: no change, changes, error. Apply: done, lost to a concurrent write, error. */
  static final int OK = 0, CHANGES = 1, ERROR = 2;

  /**
   * A routing file, loaded: the routing model it describes, the config it validated as (its own
   * bootstrap sections, if any, else the defaults) and the bootstrap sections it had, which are not
   * applied.
   */
  record Loaded(RoutingModel model, BulwarkConfig validated, List<String> ignored) {}

  /**
   * Reads {@code file} (YAML; ${NAME} substituted from the environment, as the gateway does): its
   * routing sections are the desired config; the other sections (server, admin, observability,
   * cluster) are only used to validate it, and configSource is dropped.
   */
  static Loaded load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError("", "cannot read " + file + ": " + e)));
    }
    JsonNode root = ConfigTrees.readValue(text);
    if (!root.isObject())
      throw new ConfigException(List.of(new ConfigError("", "expected a mapping of sections")));
    ObjectNode copy = ((ObjectNode) root).deepCopy();
    List<String> ignored = new ArrayList<>();
    copy.fieldNames()
        .forEachRemaining(
            k -> {
              if (!BulwarkConfig.ROUTING_SECTIONS.contains(k)) ignored.add(k);
            });
    copy.remove("configSource");
    BulwarkConfig cfg = ConfigLoader.fromSystemEnv().parse(ConfigTrees.toYaml(copy));
    return new Loaded(RoutingModel.fromConfig(cfg), cfg, List.copyOf(ignored));
  }

  /** Prints every error of {@code e}, as validate does; returns {@link #ERROR}. */
  static int errors(PrintStream err, String what, ConfigException e) {
    err.println(what + ": " + ValidateCommand.count(e.errors().size(), "error"));
    for (ConfigError x : e.errors()) err.println("  " + x);
    return ERROR;
  }

  /** A Vert.x instance and an etcd client on it, closed together. */
  static final class Session implements AutoCloseable {
    final Vertx vertx;
    final EtcdClient etcd;
    final String prefix;

    Session(EtcdOptions o) {
      this.vertx = Vertx.vertx();
      this.prefix = o.prefix;
      EtcdConfig cfg =
          new EtcdConfig(
              o.endpoints, o.prefix, o.user(), o.password(), Duration.ofSeconds(2), "", "", null);
      this.etcd = EtcdClient.of(vertx, cfg);
    }

    ConfigStore store(BulwarkConfig bootstrap) {
      return new ConfigStore(etcd, prefix, bootstrap);
    }

    @Override
    public void close() {
      etcd.close();
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // closing
      }
    }
  }
}
