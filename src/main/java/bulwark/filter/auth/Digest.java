package bulwark.filter.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 digest as a map key. {@code equals} compares in constant time ({@link
 * MessageDigest#isEqual}); the hash code is taken from digest bytes, which tell nothing about the
 * secret they were made from.
 */
public final class Digest {
  private final byte[] bytes;
  private final int hash;

  private Digest(byte[] bytes) {
    this.bytes = bytes;
    this.hash =
        (bytes[0] & 0xFF) << 24
            | (bytes[1] & 0xFF) << 16
            | (bytes[2] & 0xFF) << 8
            | (bytes[3] & 0xFF);
  }

  public static Digest sha256(String secret) {
    return sha256(secret.getBytes(StandardCharsets.UTF_8));
  }

  public static Digest sha256(byte[] secret) {
    try {
      return new Digest(MessageDigest.getInstance("SHA-256").digest(secret));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** From 64 hex digits (either case), as stored in the config. */
  public static Digest ofHex(String hex) {
    byte[] b = HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT));
    if (b.length != 32)
      throw new IllegalArgumentException("a SHA-256 hex digest has 64 hex digits");
    return new Digest(b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && MessageDigest.isEqual(bytes, d.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "Digest[sha256]";
  }
}
