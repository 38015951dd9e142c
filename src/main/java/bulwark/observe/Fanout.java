package bulwark.observe;

import bulwark.config.BulwarkConfig;
import bulwark.filter.Exchange;
import bulwark.upstream.Outcome;
import bulwark.upstream.Target;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls each part in turn; a part that throws is logged and does not stop the others or the request. */
final class Fanout implements Telemetry {
  private static final Logger LOG = LoggerFactory.getLogger(Fanout.class);
  private final Telemetry[] parts;

  Fanout(Telemetry[] parts) {
    this.parts = parts;
  }

  // explicit loops, not a shared helper taking a lambda: a capturing lambda per call would
  // allocate on every request

  private static void failed(Telemetry t, RuntimeException e) {
    LOG.warn("telemetry {} failed: {}", t.getClass().getSimpleName(), e.toString());
  }

  @Override
  public void requestStarted(Exchange ex) {
    for (Telemetry t : parts) {
      try {
        t.requestStarted(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void tryStarted(Exchange ex, Target target) {
    for (Telemetry t : parts) {
      try {
        t.tryStarted(ex, target);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void tryEnded(Exchange ex, Target target, Outcome o, int status, long nanos) {
    for (Telemetry t : parts) {
      try {
        t.tryEnded(ex, target, o, status, nanos);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void retried(Exchange ex) {
    for (Telemetry t : parts) {
      try {
        t.retried(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void retryBudgetExhausted(Exchange ex) {
    for (Telemetry t : parts) {
      try {
        t.retryBudgetExhausted(ex);
      } catch (RuntimeException e) {
        failed(t, e);
      }
    }
  }

  @Override
  public void requestFinished(Exchange ex) {
    for (Telemetry t : parts) {
      try {
        t.requestFinished(ex);
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

  @Override public void breakerTransition(String upstream, String breaker, String from, String to) { each(t -> t.breakerTransition(upstream, breaker, from, to)); }
  @Override public void reloaded(String reason, BulwarkConfig before, BulwarkConfig after, List<String> errors) { each(t -> t.reloaded(reason, before, after, errors)); }
  @Override public void adminCall(String method, String path, int status, String peer) { each(t -> t.adminCall(method, path, status, peer)); }
  @Override public void close() { each(Telemetry::close); }
}
