package bulwark.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files at config load, so that a missing or broken certificate, key or CA bundle is
 * reported with its field path before anything starts (and a reload with one is rejected).
 */
public final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  private Pem() {}

  /**
   * The certificates in a PEM file, in order; at least one, else an exception with a readable
   * message.
   */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    List<X509Certificate> out = new ArrayList<>();
    CertificateFactory cf;
    try {
      cf = CertificateFactory.getInstance("X.509");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    for (Block b : blocks(file)) {
      if (!b.type().equals("CERTIFICATE")) continue;
      try {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            file + ": certificate " + (out.size() + 1) + " cannot be parsed: " + e.getMessage());
      }
    }
    if (out.isEmpty())
      throw new IllegalArgumentException(
          file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    return out;
  }

  /**
   * Checks that a PEM file holds a private key that can be read, and returns it: null for PKCS#1
   * and SEC1 keys, which Vert.x reads but the JDK cannot parse without help.
   */
  public static PrivateKey privateKey(Path file) throws IOException {
    for (Block b : blocks(file)) {
      switch (b.type()) {
        case "PRIVATE KEY" -> {
          for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
              return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
            } catch (GeneralSecurityException e) {
              // try the next algorithm
            }
          }
          throw new IllegalArgumentException(
              file + ": the PKCS#8 private key cannot be parsed (RSA, EC or EdDSA expected)");
        }
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
          return null; // PKCS#1 / SEC1: the base64 decoded; Vert.x reads them
        }
        case "ENCRYPTED PRIVATE KEY" ->
            throw new IllegalArgumentException(
                file
                    + ": encrypted private keys are not supported; decrypt it (openssl pkcs8 -nocrypt)");
        default -> {}
      }
    }
    throw new IllegalArgumentException(
        file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }

  /**
   * Checks that the private key belongs to the certificate: a signature made with the key must
   * verify with the certificate's public key. A null key (PKCS#1, SEC1) is not checked.
   */
  public static boolean belongTogether(X509Certificate cert, PrivateKey key) {
    if (key == null) return true;
    String alg =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          default -> key.getAlgorithm(); // Ed25519, Ed448
        };
    try {
      byte[] probe = "bulwark key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * Reads a certificate file and its key file and checks that they belong together; throws with a
   * readable message.
   */
  public static void pair(Path certFile, Path keyFile) throws IOException {
    X509Certificate cert = certificates(certFile).get(0);
    PrivateKey key = privateKey(keyFile);
    if (!belongTogether(cert, key)) {
      throw new IllegalArgumentException(
          "the private key in " + keyFile + " does not belong to the certificate in " + certFile);
    }
  }

  record Block(String type, byte[] der) {}

  private static List<Block> blocks(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("file " + file + " does not exist");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IllegalArgumentException(
          file + " is not a PEM file (binary content; DER must be converted to PEM)");
    }
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).trim())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            file + ": a " + m.group(1) + " block is not valid base64");
      }
    }
    return out;
  }
}
