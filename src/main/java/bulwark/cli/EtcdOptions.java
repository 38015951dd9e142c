package bulwark.cli;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.config.EtcdConfig;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Where the routing config lives in etcd and how to reach it: the options apply, diff and export
 * share, mirroring a gateway's {@code configSource.etcd} and checked by the same rules.
 */
final class EtcdOptions {
  static final String USER_ENV = "BULWARK_ETCD_USER";
  static final String PASSWORD_ENV = "BULWARK_ETCD_PASSWORD";

  /** configSource.etcd field paths, as the options that set them. */
  private static final Map<String, String> OPTION_OF =
      Map.of(
          "configSource.etcd.endpoints", "--etcd",
          "configSource.etcd.prefix", "--prefix",
          "configSource.etcd.tls.ca", "--cacert",
          "configSource.etcd.tls.cert", "--cert",
          "configSource.etcd.tls.key", "--key");

  @CommandLine.Option(
      names = "--etcd",
      required = true,
      split = ",",
      paramLabel = "URL",
      description =
          "etcd endpoints, comma-separated (configSource.etcd.endpoints): http://127.0.0.1:2379.")
  List<String> endpoints;

  @CommandLine.Option(
      names = "--prefix",
      required = true,
      paramLabel = "P",
      description = "The key prefix the gateways read (configSource.etcd.prefix): /bulwark/prod.")
  String prefix;

  @CommandLine.Option(
      names = "--user",
      paramLabel = "NAME",
      description = "etcd user name (default: $" + USER_ENV + "; none: no authentication).")
  String user;

  @CommandLine.Option(
      names = "--password-file",
      paramLabel = "FILE",
      description =
          "File holding the etcd password (default: $"
              + PASSWORD_ENV
              + "). Not an option of its own: a command line is visible to other users.")
  Path passwordFile;

  @CommandLine.Option(
      names = "--cacert",
      paramLabel = "FILE",
      description = "PEM authorities trusted for etcd's certificate (configSource.etcd.tls.ca).")
  String cacert;

  @CommandLine.Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "PEM client certificate for etcd (configSource.etcd.tls.cert); needs --key.")
  String cert;

  @CommandLine.Option(
      names = "--key",
      paramLabel = "FILE",
      description = "PEM private key of --cert (configSource.etcd.tls.key).")
  String key;

  /** Where the defaults of --user and the password come from; tests replace it. */
  Function<String, String> env = System::getenv;

  /**
   * The options as the etcd config a gateway would have, checked as configSource.etcd is.
   *
   * @throws ConfigException with every error, each naming its option
   */
  EtcdConfig config() throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    String name = user != null ? user : nz(env.apply(USER_ENV));
    String password = password(errors);
    if (!name.isEmpty() && password.isEmpty())
      errors.add(
          new ConfigError(
              "--user",
              "'"
                  + name
                  + "' needs a password: --password-file FILE or $"
                  + PASSWORD_ENV
                  + " (set both or neither)"));
    if (name.isEmpty() && passwordFile != null)
      errors.add(
          new ConfigError("--password-file", "needs a user name: --user NAME or $" + USER_ENV));
    if (name.isEmpty()) password = "";
    EtcdConfig e = null;
    try {
      e = bound().configSource().etcd();
    } catch (ConfigException x) {
      for (ConfigError c : x.errors()) errors.add(renamed(c));
    }
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return new EtcdConfig(
        e.endpoints(), e.prefix(), name, password, e.dialTimeout(), "", "", e.tls());
  }

  /** The endpoints as one string, for messages. */
  String where() {
    return String.join(", ", endpoints);
  }

  private BulwarkConfig bound() throws ConfigException {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode etcd = f.objectNode();
    endpoints.forEach(etcd.putArray("endpoints")::add);
    etcd.put("prefix", prefix);
    if (cacert != null || cert != null || key != null) {
      ObjectNode tls = etcd.putObject("tls");
      if (cacert != null) tls.put("ca", cacert);
      if (cert != null) tls.put("cert", cert);
      if (key != null) tls.put("key", key);
    }
    ObjectNode root = f.objectNode();
    root.putObject("configSource").put("type", "etcd").set("etcd", etcd);
    // no substitution: the values are the command line's, taken as written
    return new ConfigLoader(n -> null).parse(ConfigTrees.toYaml(root));
  }

  private String password(List<ConfigError> errors) {
    if (passwordFile == null) return nz(env.apply(PASSWORD_ENV));
    try {
      String s = Files.readString(passwordFile);
      return s.endsWith("\r\n")
          ? s.substring(0, s.length() - 2)
          : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    } catch (IOException e) {
      String why =
          e instanceof NoSuchFileException
              ? "no such file"
              : e instanceof AccessDeniedException ? "permission denied" : e.getMessage();
      errors.add(new ConfigError("--password-file", "cannot read " + passwordFile + ": " + why));
      return "";
    }
  }

  private static ConfigError renamed(ConfigError c) {
    for (var e : OPTION_OF.entrySet())
      if (c.path().startsWith(e.getKey()))
        return new ConfigError(e.getValue() + c.path().substring(e.getKey().length()), c.message());
    return c;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
