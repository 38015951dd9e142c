package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestCerts;
import bulwark.it.TestCerts.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * server.tls and upstreams.*.tls: binding, defaults, and PEM files checked at load with their
 * paths.
 */
class TlsConfigTest {
  static Path dir;
  static Pair ca;
  static Pair leaf;
  static Path garbage;
  static Pair other;

  @BeforeAll
  static void certs() throws Exception {
    dir = Files.createTempDirectory("bulwark-tls-config");
    ca = TestCerts.ca(dir, "ca");
    leaf = TestCerts.leaf(dir, ca, "leaf", "a.test", "t", "DNS:a.test");
    garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
    other = TestCerts.leaf(dir, ca, "other", "b.test", "t", "DNS:b.test");
  }

  static String server(String tls) {
    return "server:\n  tls:\n"
        + tls.indent(4)
        + USERS
        + "routes:\n  - { name: r, match: { path: /r }, upstream: users }\n";
  }

  @Test
  void aValidSectionBindsWithItsDefaults() throws Exception {
    BulwarkConfig cfg =
        load(
            server(
                "certificates: [ { cert: \""
                    + leaf.cert()
                    + "\", key: \""
                    + leaf.key()
                    + "\" } ]\nhsts: {}\n"));
    TlsConfig t = cfg.server().tls();
    assertThat(t.certificates())
        .containsExactly(new CertificateConfig(leaf.cert().toString(), leaf.key().toString()));
    assertThat(t.minVersion()).isEqualTo(TlsVersion.TLS_V1_2);
    assertThat(t.hsts().headerValue()).isEqualTo("max-age=31536000");
    assertThat(new HstsConfig(600, true, true).headerValue())
        .isEqualTo("max-age=600; includeSubDomains; preload");
  }

  @Test
  void everyBadFileIsReportedWithItsPath() {
    List<String> errors =
        errors(
            server(
                """
        certificates:
          - { cert: "%s", key: "%s" }
          - { cert: "%s", key: "%s" }
        minVersion: TLSv1.1
        """
                    .formatted(dir.resolve("missing.pem"), leaf.cert(), garbage, leaf.key())));
    assertThat(errors)
        .containsExactly(
            "server.tls.certificates[0].cert: file "
                + dir.resolve("missing.pem")
                + " does not exist",
            "server.tls.certificates[0].key: "
                + leaf.cert()
                + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
            "server.tls.certificates[1].cert: "
                + garbage
                + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            "server.tls.minVersion: 'TLSv1.1' must be TLSv1.2 or TLSv1.3 (older versions are not accepted)");
  }

  @Test
  void aKeyThatDoesNotBelongToItsCertificateIsAnError() {
    assertThat(
            errors(
                server(
                    "certificates: [ { cert: \""
                        + leaf.cert()
                        + "\", key: \""
                        + other.key()
                        + "\" } ]\n")))
        .containsExactly(
            "server.tls.certificates[0].key: the private key in "
                + other.key()
                + " does not belong to the certificate in "
                + leaf.cert());
  }

  @Test
  void certificatesAreRequired() {
    assertThat(errors(server("minVersion: TLSv1.3\n")))
        .containsExactly("server.tls.certificates: required");
  }

  @Test
  void upstreamTlsChecksItsFilesAndNeedsCertAndKeyTogether() {
    String yaml =
        """
        upstreams:
          secure:
            targets: [ { url: "https://10.0.0.1:8443" } ]
            tls: { ca: [ "%s" ], cert: "%s", serverName: "not a name" }
          plain:
            targets: [ { url: "http://10.0.0.1:8080" } ]
            tls: { verify: false }
        routes:
          - { name: r, match: { path: /r }, upstream: secure }
        """
            .formatted(garbage, leaf.cert());
    assertThat(errors(yaml))
        .containsExactly(
            "upstreams.secure.tls.ca[0]: "
                + garbage
                + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            "upstreams.secure.tls.serverName: 'not a name' is not a host name",
            "upstreams.secure.tls.key: a client certificate needs both cert and key",
            "upstreams.plain.tls: applies to https:// targets, and this upstream has none");
  }

  @Test
  void upstreamTlsBindsWithVerifyOnByDefault() throws Exception {
    BulwarkConfig cfg =
        load(
            """
        upstreams:
          secure:
            targets: [ { url: "https://10.0.0.1:8443" } ]
            tls: { ca: [ "%s" ], serverName: api.internal, cert: "%s", key: "%s" }
        routes:
          - { name: r, match: { path: /r }, upstream: secure }
        """
                .formatted(ca.cert(), leaf.cert(), leaf.key()));
    assertThat(cfg.upstreams().get("secure").tls())
        .isEqualTo(
            new UpstreamTlsConfig(
                List.of(ca.cert().toString()),
                "api.internal",
                leaf.cert().toString(),
                leaf.key().toString(),
                true));
  }
}
