package bulwark.upstream.target;

import bulwark.config.UpstreamTlsConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.Set;

/**
 * TLS toward https:// targets, for the proxy's pools and the active health checks alike: TLS 1.2
 * and 1.3, the configured CA bundle (else the JVM's trust store), host name verification, and an
 * optional client certificate for mutual TLS. The files are read when a pool is created, that is at
 * the first request of an event loop to this upstream of this config generation.
 */
public final class UpstreamTls {
  private UpstreamTls() {}

  /** Applies the TLS settings to a client's options; {@code tls} may be null (defaults). */
  public static HttpClientOptions apply(HttpClientOptions o, UpstreamTlsConfig tls) {
    boolean openSsl =
        !"jdk".equalsIgnoreCase(System.getProperty("bulwark.tls.engine"))
            && OpenSSLEngineOptions.isAvailable();
    o.setSslEngineOptions(openSsl ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions())
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setVerifyHost(true);
    if (tls == null) return o;
    if (!tls.verify()) {
      o.setTrustAll(true).setVerifyHost(false);
    } else if (!tls.ca().isEmpty()) {
      PemTrustOptions trust = new PemTrustOptions();
      tls.ca().forEach(trust::addCertPath);
      o.setTrustOptions(trust);
    }
    if (tls.cert() != null && tls.key() != null) {
      o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()));
    }
    return o;
  }
}
