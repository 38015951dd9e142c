package bulwark.config;

import java.util.regex.Pattern;

/** Lexical rules the config checks in several places. */
final class Syntax {
  private Syntax() {}

  /** An HTTP token (RFC 9110): header names, cookie names. */
  static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  static final Pattern METHOD = Pattern.compile("[A-Z]+");

  /** A host name, or *.domain. */
  static final Pattern HOST =
      Pattern.compile(
          "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

  static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  static boolean token(String s) {
    return s != null && TOKEN.matcher(s).matches();
  }
}
