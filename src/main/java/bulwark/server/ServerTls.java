package bulwark.server;

import bulwark.config.BulwarkConfig;
import bulwark.config.CertificateConfig;
import bulwark.config.Pem;
import bulwark.config.TlsConfig;
import bulwark.config.TlsVersion;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * TLS termination on the data listener: PEM certificates chosen by SNI, TLS 1.2 and 1.3 only with
 * AEAD, forward-secret cipher suites, ALPN h2 when HTTP/2 is on. OpenSSL (BoringSSL through
 * netty-tcnative) when it loads, else the JDK's TLS.
 */
final class ServerTls {
  /**
   * TLS 1.2 suites: ECDHE key exchange and AEAD ciphers only (Mozilla's "intermediate" list). The
   * TLS 1.3 suites are all strong and always on.
   */
  static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ServerTls.class);

  private ServerTls() {}

  /**
   * True when OpenSSL (netty-tcnative) is usable and not turned off with {@code
   * -Dbulwark.tls.engine=jdk}; else the JDK's TLS engine is used.
   */
  static boolean openSsl() {
    return !"jdk".equalsIgnoreCase(System.getProperty("bulwark.tls.engine"))
        && OpenSSLEngineOptions.isAvailable()
        && OpenSSLEngineOptions.isAlpnAvailable();
  }

  /** "OpenSSL (BoringSSL ...)" or "JDK", for the startup log and the docs. */
  static String engineName() {
    return openSsl()
        ? "OpenSSL (" + OpenSsl.versionString() + ")"
        : "JDK " + System.getProperty("java.version");
  }

  static SSLEngineOptions engine() {
    return openSsl()
        ? new OpenSSLEngineOptions().setSessionCacheEnabled(true)
        : new JdkSSLEngineOptions();
  }

  static Set<String> protocols(TlsConfig t) {
    return t.minVersion() == TlsVersion.TLS_V1_3
        ? Set.of("TLSv1.3")
        : new LinkedHashSet<>(List.of("TLSv1.2", "TLSv1.3"));
  }

  /** Turns TLS on in the listener options (called when building them, at start). */
  static void apply(HttpServerOptions o, TlsConfig t, boolean http2) throws IOException {
    o.setSsl(true)
        .setSni(true)
        .setSslEngineOptions(engine())
        .setKeyCertOptions(keyCert(t))
        .setEnabledSecureTransportProtocols(protocols(t))
        .setSslHandshakeTimeout(10)
        .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
        .setUseAlpn(http2)
        .setAlpnVersions(
            http2
                ? List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)
                : List.of(HttpVersion.HTTP_1_1))
        .setHttp2ClearTextEnabled(false);
    for (String c : CIPHERS) o.addEnabledCipherSuite(c);
  }

  /** The options a running listener switches to when certificates or TLS settings change. */
  static ServerSSLOptions sslOptions(TlsConfig t, boolean http2) throws IOException {
    ServerSSLOptions s =
        new ServerSSLOptions()
            .setSni(true)
            .setKeyCertOptions(keyCert(t))
            .setEnabledSecureTransportProtocols(protocols(t))
            .setSslHandshakeTimeout(10)
            .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
            .setUseAlpn(http2)
            .setApplicationLayerProtocols(http2 ? List.of("h2", "http/1.1") : List.of("http/1.1"));
    for (String c : CIPHERS) s.addEnabledCipherSuite(c);
    return s;
  }

  /**
   * The certificates and keys, read now (not by path): what was checked is what is served, and a
   * changed file gives options that differ from the running ones. Checks each pair as PEM first.
   */
  static PemKeyCertOptions keyCert(TlsConfig t) throws IOException {
    PemKeyCertOptions pem = new PemKeyCertOptions();
    for (CertificateConfig c : t.certificates()) {
      Path cert = Path.of(c.cert());
      Path key = Path.of(c.key());
      Pem.pair(cert, key);
      warnIfExpiring(cert, Pem.certificates(cert).get(0));
      pem.addCertValue(Buffer.buffer(Files.readAllBytes(cert)));
      pem.addKeyValue(Buffer.buffer(Files.readAllBytes(key)));
    }
    return pem;
  }

  /**
   * Logs a warning for a certificate that has expired or expires within two weeks (it is served all
   * the same).
   */
  static void warnIfExpiring(Path file, java.security.cert.X509Certificate c) {
    java.time.Instant end = c.getNotAfter().toInstant();
    java.time.Instant now = java.time.Instant.now();
    if (end.isBefore(now)) {
      LOG.warn(
          "TLS certificate {} ({}) expired at {}",
          file,
          c.getSubjectX500Principal().getName(),
          end);
    } else if (end.isBefore(now.plus(java.time.Duration.ofDays(14)))) {
      LOG.warn(
          "TLS certificate {} ({}) expires at {}, in less than 14 days",
          file,
          c.getSubjectX500Principal().getName(),
          end);
    }
  }

  /** Every certificate and key file, for the watcher. */
  static List<Path> files(TlsConfig t) {
    List<Path> out = new ArrayList<>();
    for (CertificateConfig c : t.certificates()) {
      out.add(Path.of(c.cert()).toAbsolutePath());
      out.add(Path.of(c.key()).toAbsolutePath());
    }
    return out;
  }

  /** The Strict-Transport-Security header value for responses over TLS, or null. */
  static CharSequence hstsOf(BulwarkConfig cfg) {
    var tls = cfg.server().tls();
    return tls != null && tls.hsts() != null
        ? HttpHeaders.createOptimized(tls.hsts().headerValue())
        : null;
  }
}
