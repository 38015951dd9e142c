package bulwark.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
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
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  private Pem() {}

  /** The certificates in a PEM file, in order; at least one, else an exception with a readable message. */
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
        throw new IllegalArgumentException(file + ": certificate " + (out.size() + 1) + " cannot be parsed: " + e.getMessage());
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    return out;
  }

  /** Checks that a PEM file holds one private key that can be read. */
  public static void privateKey(Path file) throws IOException {
    for (Block b : blocks(file)) {
      switch (b.type()) {
        case "PRIVATE KEY" -> {
          for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
              KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
              return;
            } catch (GeneralSecurityException e) {
              // try the next algorithm
            }
          }
          throw new IllegalArgumentException(file + ": the PKCS#8 private key cannot be parsed (RSA, EC or EdDSA expected)");
        }
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
          return; // PKCS#1 / SEC1: base64 already decoded; Vert.x reads them
        }
        case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(file + ": encrypted private keys are not supported; decrypt it (openssl pkcs8 -nocrypt)");
        default -> { }
      }
    }
    throw new IllegalArgumentException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }

  record Block(String type, byte[] der) {}

  private static List<Block> blocks(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("file " + file + " does not exist");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IllegalArgumentException(file + " is not a PEM file (binary content; DER must be converted to PEM)");
    }
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2).trim())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": a " + m.group(1) + " block is not valid base64");
      }
    }
    return out;
  }
}
