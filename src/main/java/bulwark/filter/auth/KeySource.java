package bulwark.filter.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where the keys that check token signatures come from. Thread-safe. */
public interface KeySource {
  /**
   * The keys to try for a token naming {@code kid} (null: the token names none). Fails with a
   * {@link Rejection} of 503 when no usable keys are at hand (JWKS endpoint down past maxStale).
   * The future may complete on another event loop than the caller's.
   */
  Future<List<JWK>> keys(String kid);

  /** Fixed keys from the config: a JWK, a JWK set, or PEM blocks. */
  static KeySource fixed(List<JWK> keys) {
    Future<List<JWK>> f = Future.succeededFuture(List.copyOf(keys));
    return kid -> f;
  }

  Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----.*?-----END \\1-----", Pattern.DOTALL);

  /**
   * Parses keys written as a JWK, a JWK set or PEM (public keys or certificates, RSA or EC).
   * Private parts are dropped. {@code secrets}: symmetric (oct) keys are kept, else dropped.
   */
  static List<JWK> parse(String text, boolean secrets) {
    String t = text.trim();
    List<JWK> out = new ArrayList<>();
    try {
      if (t.startsWith("{")) {
        List<JWK> all = t.contains("\"keys\"") ? JWKSet.parse(t).getKeys() : List.of(JWK.parse(t));
        for (JWK k : all) {
          if (k.getKeyType() == com.nimbusds.jose.jwk.KeyType.OCT) {
            if (secrets) out.add(k);
          } else {
            out.add(k.toPublicJWK());
          }
        }
      } else {
        Matcher m = PEM.matcher(t);
        while (m.find()) out.add(pem(m.group(1), m.group()));
        if (out.isEmpty()) throw new IllegalArgumentException("no JWK or PEM key found");
      }
    } catch (java.text.ParseException
        | com.nimbusds.jose.JOSEException
        | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read keys: " + e.getMessage(), e);
    }
    return out;
  }

  /** One PEM block: a PUBLIC KEY (RSA or EC, X.509 SubjectPublicKeyInfo) or a CERTIFICATE. */
  private static JWK pem(String type, String block)
      throws java.security.GeneralSecurityException, com.nimbusds.jose.JOSEException {
    String b64 = block.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der = java.util.Base64.getDecoder().decode(b64);
    java.security.PublicKey key;
    if (type.equals("CERTIFICATE")) {
      key =
          java.security.cert.CertificateFactory.getInstance("X.509")
              .generateCertificate(new java.io.ByteArrayInputStream(der))
              .getPublicKey();
    } else if (type.equals("PUBLIC KEY")) {
      java.security.spec.X509EncodedKeySpec spec = new java.security.spec.X509EncodedKeySpec(der);
      try {
        key = java.security.KeyFactory.getInstance("RSA").generatePublic(spec);
      } catch (java.security.spec.InvalidKeySpecException notRsa) {
        key = java.security.KeyFactory.getInstance("EC").generatePublic(spec);
      }
    } else {
      throw new java.security.GeneralSecurityException(
          "PEM " + type + " is not a public key or certificate");
    }
    if (key instanceof java.security.interfaces.RSAPublicKey r)
      return new com.nimbusds.jose.jwk.RSAKey.Builder(r).build();
    if (key instanceof java.security.interfaces.ECPublicKey e) {
      return new com.nimbusds.jose.jwk.ECKey.Builder(
              com.nimbusds.jose.jwk.Curve.forECParameterSpec(e.getParams()), e)
          .build();
    }
    throw new java.security.GeneralSecurityException("unsupported key type " + key.getAlgorithm());
  }
}
