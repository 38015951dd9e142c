package bulwark.config;

import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's commented sections of the capabilities that have landed (fleet, traffic, the grpc
 * upstream), uncommented in memory: the copy itself must stay equal to the shared file
 * (ContractTest).
 */
class ContractSectionsTest {

  /**
   * Uncomments the block that starts at the commented line beginning with {@code first} (after its
   * indentation and "# ") and ends at the one beginning with {@code last}, inclusive.
   */
  static String uncomment(String text, String first, String last) {
    List<String> out = new ArrayList<>();
    boolean in = false;
    boolean seen = false;
    for (String line : text.split("\n", -1)) {
      String body = line.stripLeading();
      String words = body.startsWith("#") ? body.replaceFirst("^#\\s*", "") : null;
      if (!in && words != null && words.startsWith(first)) in = seen = true;
      if (in) {
        String next = line.replaceFirst("^(\\s*)# ", "$1");
        out.add(next);
        if (words != null && words.startsWith(last)) in = false;
      } else {
        out.add(line);
      }
    }
    assertThat(seen).as("the contract has a commented block starting with %s", first).isTrue();
    return String.join("\n", out);
  }

  @Test
  void theTrafficAndFleetSectionsUncommentedBindAsWritten() throws Exception {
    String contract = ContractTest.contract();
    String c = contract;
    c = uncomment(c, "payments:", "discovery:");
    c = uncomment(c, "checkout-v1:", "checkout-shadow:");
    c = uncomment(c, "gzip:", "redirect:");
    c = uncomment(c, "- name: checkout", "middlewares: [gzip]");
    assertThat(c).isNotEqualTo(contract);

    BulwarkConfig cfg = load(c, Map.of());
    assertThat(cfg.upstreams().get("payments").discovery()).isNotNull();
    assertThat(cfg.middlewares().keySet()).contains("gzip", "chaos", "to-https");
    assertThat(cfg.middlewares().get("gzip").compression()).isNotNull();
    RouteConfig checkout =
        cfg.routes().stream().filter(r -> r.name().equals("checkout")).findFirst().orElseThrow();
    assertThat(checkout.backends())
        .extracting(BackendConfig::upstream)
        .containsExactly("checkout-v1", "checkout-v2");
    assertThat(checkout.canary()).hasSize(2);
    assertThat(checkout.stickyOn()).isNotNull();
    assertThat(checkout.mirror().upstream()).isEqualTo("checkout-shadow");
    assertThat(checkout.mirror().percent()).isEqualTo(new Percent(10));
    assertThat(checkout.mirror().maxBody()).isEqualTo(new ByteSize(1L << 20));
    assertThat(checkout.middlewares()).containsExactly("gzip");
  }

  @Test
  void theGreeterUpstreamUncommentedBindsWithItsGrpcHealthCheck() throws Exception {
    String contract = ContractTest.contract();
    // the upstream only: the greeter route's grpcWeb is another slice of issue 20
    String c = uncomment(contract, "greeter:", "healthCheck:");
    assertThat(c).isNotEqualTo(contract);

    UpstreamConfig greeter = load(c, Map.of()).upstreams().get("greeter");
    assertThat(greeter.protocol()).isEqualTo(UpstreamProtocol.H2C);
    ActiveCheckConfig active = greeter.healthCheck().active();
    assertThat(active.type()).isEqualTo(HealthCheckType.GRPC);
    assertThat(active.grpc()).isEqualTo(new GrpcCheckConfig(""));
    assertThat(active.grpcService()).isEmpty();
    assertThat(active.interval()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(active.timeout()).isEqualTo(java.time.Duration.ofSeconds(1));
  }

  @Test
  void theFleetBootstrapUncommentedIsAnEtcdModeBootstrap() throws Exception {
    String c = uncomment(ContractTest.contract(), "configSource:", "cacheFile:");
    // in etcd mode the routing sections live in etcd: a bootstrap keeps only the local sections
    StringBuilder bootstrap = new StringBuilder();
    boolean keep = true;
    for (String line : c.split("\n", -1)) {
      if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("#")) {
        String key = line.substring(0, Math.max(0, line.indexOf(':')));
        keep = List.of("server", "admin", "observability", "cluster", "configSource").contains(key);
      }
      if (keep) bootstrap.append(line).append('\n');
    }
    BulwarkConfig cfg = load(bootstrap.toString(), Map.of());
    assertThat(cfg.etcdMode()).isTrue();
    assertThat(cfg.configSource().etcd().endpoints()).hasSize(3);
    assertThat(cfg.configSource().etcd().prefix()).isEqualTo("/bulwark/prod");
    assertThat(cfg.configSource().etcd().cacheFile()).isEqualTo("/var/lib/bulwark/last-good.json");
  }
}
