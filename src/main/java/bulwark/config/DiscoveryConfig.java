package bulwark.config;

import java.time.Duration;
import java.util.List;

public record DiscoveryConfig(
    @Doc(
            "A DNS name and the port its addresses serve on, host:port (e.g. payments.prod.svc.cluster.local:8080): every A and AAAA record of the name is a target with weight 1, as a Kubernetes headless Service publishes its pods. The name is queried as written (no search domains). Exactly one of dns and srv.")
        String dns,
    @Doc(
            "A DNS SRV name (e.g. _http._tcp.payments.prod.svc.cluster.local): each record of the lowest priority is a target at its port, with its weight (0 counts as 1, above 1000 as 1000), at every A and AAAA address of its host. Exactly one of dns and srv.")
        String srv,
    @Doc(
            value =
                "The longest time between two lookups. A name is looked up again when its answer's TTL (the smallest of its records) runs out, but at least 1s and at most refresh after the last lookup; a failed or empty lookup is retried after refresh.",
            unit = "duration",
            dflt = "30s")
        Duration refresh,
    @Doc(
            "The DNS servers to ask, as IP:port or [IPv6]:port (port 53 when absent), in order. Empty: the system's nameservers (/etc/resolv.conf).")
        List<String> nameservers) {

  /** The nameservers as addresses, in order (the config was validated). */
  public List<HostPort> nameserverAddresses() {
    return nameservers.stream().map(DiscoveryChecks::nameserver).toList();
  }
}
