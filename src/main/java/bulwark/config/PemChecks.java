package bulwark.config;

/**
 * Whether the PEM files a config names can be read and belong together (server.tls, upstream tls).
 */
final class PemChecks {
  private final ConfigErrors err;

  PemChecks(ConfigErrors err) {
    this.err = err;
  }

  /** True when the file holds PEM certificates; else reports why at {@code p}. */
  boolean pemCertificates(String file, String p) {
    return pemReadable(file, p, Pem::certificates);
  }

  /** True when the file holds a readable private key; else reports why at {@code p}. */
  boolean pemKey(String file, String p) {
    return pemReadable(file, p, Pem::privateKey);
  }

  private interface PemRead {
    Object read(java.nio.file.Path file) throws java.io.IOException;
  }

  private boolean pemReadable(String file, String p, PemRead read) {
    if (file == null || err.failed(p)) return false;
    try {
      read.read(java.nio.file.Path.of(file));
      return true;
    } catch (IllegalArgumentException e) {
      err.error(p, e.getMessage());
    } catch (java.io.IOException e) {
      err.error(p, "cannot read " + file + ": " + e);
    }
    return false;
  }

  void pair(String cert, String key, String p) {
    try {
      Pem.pair(java.nio.file.Path.of(cert), java.nio.file.Path.of(key));
    } catch (IllegalArgumentException | java.io.IOException e) {
      err.error(p, e.getMessage());
    }
  }
}
