package bulwark.proxy;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids: a client-supplied X-Request-Id is kept when it is safe, otherwise 128 random bits in hex. */
public final class RequestIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  public static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] c = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      c[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xF];
      c[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xF];
    }
    return new String(c);
  }

  /** The client's id if it is 1-128 chars of [A-Za-z0-9._:-], else a new one. */
  public static String accept(String given) {
    if (given == null || given.isEmpty() || given.length() > 128) return next();
    for (int i = 0; i < given.length(); i++) {
      char ch = given.charAt(i);
      boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':';
      if (!ok) return next();
    }
    return given;
  }
}
