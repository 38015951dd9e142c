package bulwark.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Test certificates made with the openssl command line (a base package of Debian and of CI images):
 * a CA, and leaf certificates it signs for server and client use, as PEM files with PKCS#8 keys (EC
 * P-256, quick to make).
 */
public final class TestCerts {
  private TestCerts() {}

  /** A PEM certificate file and its key file. */
  public record Pair(Path cert, Path key) {}

  /** A self-signed CA in {@code dir}/{@code name}.pem and .key. */
  public static Pair ca(Path dir, String name) throws IOException {
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "2",
        "-subj",
        "/CN=" + name,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
    return new Pair(cert, key);
  }

  /**
   * A leaf certificate signed by {@code ca}, with subject CN={@code cn}, O={@code org} and the
   * given subject alternative names (e.g. "DNS:a.test", "IP:127.0.0.1"), usable by servers and
   * clients.
   */
  public static Pair leaf(Path dir, Pair ca, String file, String cn, String org, String... sans)
      throws IOException {
    Path cert = dir.resolve(file + ".pem");
    Path key = dir.resolve(file + ".key");
    Path csr = dir.resolve(file + ".csr");
    Path ext = dir.resolve(file + ".ext");
    Files.writeString(
        ext,
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=serverAuth,clientAuth\n"
            + (sans.length > 0 ? "subjectAltName=" + String.join(",", sans) + "\n" : ""));
    openssl(
        dir,
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        csr.toString(),
        "-subj",
        "/CN=" + cn + "/O=" + org);
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        csr.toString(),
        "-CA",
        ca.cert().toString(),
        "-CAkey",
        ca.key().toString(),
        "-set_serial",
        Long.toString(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)),
        "-out",
        cert.toString(),
        "-days",
        "2",
        "-extfile",
        ext.toString());
    return new Pair(cert, key);
  }

  /** Runs openssl; returns its exit code and merged output. */
  public static Result run(Path dir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    try (InputStream in = p.getInputStream()) {
      String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("openssl " + args[0] + " did not finish");
      }
      return new Result(p.exitValue(), out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  public record Result(int exit, String output) {}

  private static void openssl(Path dir, String... args) throws IOException {
    Result r = run(dir, args);
    if (r.exit() != 0)
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + r.output());
  }

  public static X509Certificate read(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** A client SSLContext that trusts only {@code caPem}. */
  public static SSLContext trusting(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", read(caPem));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
