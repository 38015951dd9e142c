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
        while (m.find()) out.add(JWK.parseFromPEMEncodedObjects(m.group()).toPublicJWK());
        if (out.isEmpty()) throw new IllegalArgumentException("no JWK or PEM key found");
      }
    } catch (java.text.ParseException | com.nimbusds.jose.JOSEException e) {
      throw new IllegalArgumentException("cannot read keys: " + e.getMessage(), e);
    }
    return out;
  }
}
