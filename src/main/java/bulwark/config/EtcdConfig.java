package bulwark.config;

import java.time.Duration;
import java.util.List;

/** How to reach etcd and where under it the routing configuration lives. */
public record EtcdConfig(
    @Doc(
            value =
                "etcd client URLs, http://host:port or https://host:port; tried in turn when one fails.",
            unit = "URL list")
        List<String> endpoints,
    @Doc(
            value =
                "Key prefix of this gateway fleet's configuration: <prefix>/upstreams/<name>, <prefix>/middlewares/<name>, <prefix>/routes/<name>, <prefix>/groups/<name>, <prefix>/settings, and <prefix>/nodes/<id> for the live instances. Starts with /.",
            dflt = "/bulwark")
        String prefix,
    @Doc(
            value =
                "etcd user name, when etcd has authentication on. To take it from the environment, write username: \"${BULWARK_ETCD_USER}\".",
            dflt = "")
        String username,
    @Doc(
            value =
                "Password of username. Never logged. To take it from the environment, write password: \"${BULWARK_ETCD_PASSWORD}\".",
            dflt = "")
        String password,
    @Doc(
            value = "How long a connection to one endpoint may take before the next one is tried.",
            unit = "duration",
            dflt = "2s")
        Duration dialTimeout,
    @Doc(
            value =
                "File that every compiled configuration is written to (atomically); a gateway started while etcd is unreachable serves it. Empty: no cache, and such a gateway does not start.",
            unit = "file",
            dflt = "")
        String cacheFile,
    @Doc(
            value =
                "This instance's id: its key is <prefix>/nodes/<id> (GET /cluster lists them). Must be unique in the fleet and hold no /. Empty: the host name ($HOSTNAME, else what the system reports) and the data port, host:port.",
            dflt = "")
        String nodeId,
    @Doc(
            value = "TLS to etcd (https endpoints): trusted authorities and a client certificate.",
            section = true)
        EtcdTlsConfig tls) {

  /** Never prints the password (a record's own toString would). */
  @Override
  public String toString() {
    return "EtcdConfig[endpoints="
        + endpoints
        + ", prefix="
        + prefix
        + ", username="
        + username
        + ", password="
        + AdminConfig.redacted(password)
        + ", dialTimeout="
        + dialTimeout
        + ", cacheFile="
        + cacheFile
        + ", nodeId="
        + nodeId
        + ", tls="
        + tls
        + "]";
  }
}
