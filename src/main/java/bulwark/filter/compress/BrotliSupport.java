package bulwark.filter.compress;

import bulwark.config.CompressionAlgorithm;
import com.aayushatharva.brotli4j.Brotli4jLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Brotli's native encoder loads on this machine, and the codings a middleware offers when
 * it does not: br gives way to gzip, with one WARN for the process.
 */
final class BrotliSupport {
  private static final Logger LOG = LoggerFactory.getLogger(BrotliSupport.class);

  /** The process has said once that Brotli is unavailable. */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  /** Loads brotli4j's native library (once per process); the reason it cannot, or null. */
  static final Supplier<Throwable> NATIVE =
      () -> {
        try {
          Brotli4jLoader.ensureAvailability();
          return null;
        } catch (Throwable e) {
          return e;
        }
      };

  private BrotliSupport() {}

  /**
   * {@link #usable(List, Supplier, AtomicBoolean)} with the real library and the process's WARN.
   */
  static CompressionAlgorithm[] usable(List<CompressionAlgorithm> configured) {
    return usable(configured, NATIVE, WARNED);
  }

  /**
   * The configured codings, in order, with br replaced by gzip (once in the list) when {@code
   * brotli} names a reason it cannot load.
   *
   * @param warned set when the WARN was logged; only the first caller to set it logs
   */
  static CompressionAlgorithm[] usable(
      List<CompressionAlgorithm> configured, Supplier<Throwable> brotli, AtomicBoolean warned) {
    if (!configured.contains(CompressionAlgorithm.BR)) return array(configured);
    Throwable cause = brotli.get();
    if (cause == null) return array(configured);
    if (warned.compareAndSet(false, true))
      LOG.warn(
          "Brotli is not available on this machine ({}): compression middlewares use gzip instead of br",
          cause.toString());
    List<CompressionAlgorithm> out = new ArrayList<>();
    for (CompressionAlgorithm a : configured) {
      CompressionAlgorithm use = a == CompressionAlgorithm.BR ? CompressionAlgorithm.GZIP : a;
      if (!out.contains(use)) out.add(use);
    }
    return array(out);
  }

  private static CompressionAlgorithm[] array(List<CompressionAlgorithm> list) {
    return list.toArray(new CompressionAlgorithm[0]);
  }
}
