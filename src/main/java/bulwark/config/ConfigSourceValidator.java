package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.List;

/** Checks of the configSource section, and that an etcd-mode file holds no routing section. */
final class ConfigSourceValidator {
  private final ConfigErrors err;
  private final PemChecks pem;

  ConfigSourceValidator(ConfigErrors err) {
    this.err = err;
    this.pem = new PemChecks(err);
  }

  void configSource(ConfigSourceConfig s) {
    err.named("configSource.type");
    if (!s.etcdMode()) return;
    EtcdConfig e = s.etcd();
    if (e == null) {
      err.error("configSource.etcd", "required when configSource.type is etcd");
      return;
    }
    String p = "configSource.etcd";
    if (e.endpoints().isEmpty()) err.error(p + ".endpoints", "at least one endpoint is required");
    for (int i = 0; i < e.endpoints().size(); i++)
      endpoint(e.endpoints().get(i), p + ".endpoints[" + i + "]");
    String prefix = nz(e.prefix());
    err.check(
        prefix.startsWith("/") && (prefix.length() == 1 || !prefix.endsWith("/")),
        p + ".prefix",
        "'" + prefix + "' must start with / and not end with / (e.g. /bulwark/prod)");
    err.check(
        nz(e.username()).isEmpty() == nz(e.password()).isEmpty(),
        p + (nz(e.username()).isEmpty() ? ".username" : ".password"),
        "username and password go together: set both or neither");
    err.positive(e.dialTimeout(), p + ".dialTimeout");
    err.check(
        !nz(e.nodeId()).contains("/") && nz(e.nodeId()).strip().equals(nz(e.nodeId())),
        p + ".nodeId",
        "'"
            + e.nodeId()
            + "' must hold no / and no leading or trailing space (it is one key under <prefix>/nodes/)");
    if (e.tls() != null) {
      EtcdTlsConfig t = e.tls();
      if (t.ca() != null) pem.pemCertificates(t.ca(), p + ".tls.ca");
      if ((t.cert() == null) != (t.key() == null)) {
        err.error(p + (t.cert() == null ? ".tls.cert" : ".tls.key"), "cert and key go together");
      } else if (t.cert() != null
          && pem.pemCertificates(t.cert(), p + ".tls.cert") & pem.pemKey(t.key(), p + ".tls.key")) {
        pem.pair(t.cert(), t.key(), p + ".tls.key");
      }
    }
  }

  private void endpoint(String v, String p) {
    try {
      URI u = new URI(nz(v));
      err.check(
          ("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
              && u.getHost() != null
              && u.getPort() > 0
              && (u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/"))
              && u.getQuery() == null,
          p,
          "'" + v + "' must be http://host:port or https://host:port");
    } catch (Exception e) {
      err.error(p, "'" + v + "' must be http://host:port or https://host:port");
    }
  }

  /**
   * With configSource.type etcd, a routing section written in the file would be silently ignored:
   * each one present is an error.
   */
  static void noRoutingSections(JsonNode root, List<ConfigError> errors) {
    for (String key : BulwarkConfig.ROUTING_SECTIONS) {
      if (root.has(key) && !root.get(key).isNull()) {
        errors.add(
            new ConfigError(
                key,
                "configSource.type is etcd, so "
                    + key
                    + " comes from etcd (keys under configSource.etcd.prefix): remove it from this file"));
      }
    }
  }
}
