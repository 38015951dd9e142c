package bulwark.observe;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Exchange;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import io.vertx.core.MultiMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls each part in turn; a part that throws is logged and does not stop the others or the
 * request.
 */
final class Fanout implements Telemetry {
  private static final Logger LOG = LoggerFactory.getLogger(Fanout.class);
  private final Telemetry[] parts;
  // per request hook, only the parts that implement it: a part that keeps the no-op default costs
  // nothing on the request path
  private final Telemetry[] onRequestStarted,
      onTryStarted,
      onPropagate,
      onTryEnded,
      onRetried,
      onBudget,
      onRequestFinished,
      onMirrored,
      onMirrorAnswered,
      onMirrorDropped;

  Fanout(Telemetry[] parts) {
    this.parts = parts;
    onRequestStarted = implementing(parts, "requestStarted", Exchange.class);
    onTryStarted = implementing(parts, "tryStarted", Exchange.class, Target.class);
    onPropagate = implementing(parts, "propagate", Exchange.class, MultiMap.class);
    onTryEnded =
        implementing(
            parts, "tryEnded", Exchange.class, Target.class, Outcome.class, int.class, long.class);
    onRetried = implementing(parts, "retried", Exchange.class);
    onBudget = implementing(parts, "retryBudgetExhausted", Exchange.class);
    onRequestFinished = implementing(parts, "requestFinished", Exchange.class, RequestRecord.class);
    onMirrored = implementing(parts, "mirrored", String.class, String.class);
    onMirrorAnswered = implementing(parts, "mirrorAnswered", String.class, String.class, int.class);
    onMirrorDropped =
        implementing(parts, "mirrorDropped", String.class, String.class, MirrorDrop.class);
  }

  /** The parts whose class overrides {@code method} (instead of inheriting Telemetry's no-op). */
  static Telemetry[] implementing(Telemetry[] parts, String method, Class<?>... params) {
    return java.util.Arrays.stream(parts)
        .filter(
            t -> {
              try {
                return t.getClass().getMethod(method, params).getDeclaringClass()
                    != Telemetry.class;
              } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
              }
            })
        .toArray(Telemetry[]::new);
  }

  // explicit loops, not a shared helper taking a lambda: a capturing lambda per call would
  // allocate on every request

  private static void failed(Telemetry t, RuntimeException e) {
    LOG.warn("telemetry {} failed: {}", t.getClass().getSimpleName(), e.toString());
  }

  @Override
  public void requestStarted(Exchange ex) {
    for (Telemetry t : onRequestStarted) {
      try {
        t.requestStarted(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void tryStarted(Exchange ex, Target target) {
    for (Telemetry t : onTryStarted) {
      try {
        t.tryStarted(ex, target);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void propagate(Exchange ex, MultiMap headers) {
    for (Telemetry t : onPropagate) {
      try {
        t.propagate(ex, headers);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void tryEnded(Exchange ex, Target target, Outcome o, int status, long nanos) {
    for (Telemetry t : onTryEnded) {
      try {
        t.tryEnded(ex, target, o, status, nanos);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void retried(Exchange ex) {
    for (Telemetry t : onRetried) {
      try {
        t.retried(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void retryBudgetExhausted(Exchange ex) {
    for (Telemetry t : onBudget) {
      try {
        t.retryBudgetExhausted(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void requestFinished(Exchange ex, RequestRecord r) {
    for (Telemetry t : onRequestFinished) {
      try {
        t.requestFinished(ex, r);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void mirrored(String route, String upstream) {
    for (Telemetry t : onMirrored) {
      try {
        t.mirrored(route, upstream);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void mirrorAnswered(String route, String upstream, int status) {
    for (Telemetry t : onMirrorAnswered) {
      try {
        t.mirrorAnswered(route, upstream, status);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void mirrorDropped(String route, String upstream, MirrorDrop reason) {
    for (Telemetry t : onMirrorDropped) {
      try {
        t.mirrorDropped(route, upstream, reason);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  // control-plane events are rare: one helper is fine there

  private interface Call {
    void on(Telemetry t);
  }

  private void each(Call c) {
    for (Telemetry t : parts) {
      try {
        c.on(t);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void alpnRefused(String upstream, String target) {
    each(t -> t.alpnRefused(upstream, target));
  }

  @Override
  public void pingTimedOut(String upstream, String target) {
    each(t -> t.pingTimedOut(upstream, target));
  }

  @Override
  public void breakerTransition(String upstream, String breaker, String from, String to) {
    each(t -> t.breakerTransition(upstream, breaker, from, to));
  }

  @Override
  public void reloaded(
      String reason, BulwarkConfig before, BulwarkConfig after, List<String> errors) {
    reloaded(reason, before, after, errors, null);
  }

  @Override
  public void reloaded(
      String reason,
      BulwarkConfig before,
      BulwarkConfig after,
      List<String> errors,
      ConfigSync sync) {
    each(t -> t.reloaded(reason, before, after, errors, sync));
  }

  @Override
  public void configSynced(ConfigSync sync) {
    each(t -> t.configSynced(sync));
  }

  @Override
  public void adminCall(String method, String path, int status, String peer) {
    each(t -> t.adminCall(method, path, status, peer));
  }

  @Override
  public void close() {
    each(Telemetry::close);
  }
}
