package bulwark.upstream;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Test helpers shared by the balancer tests. */
final class TestTargets {
  private TestTargets() {}

  static Target target(String key, int weight) {
    int colon = key.lastIndexOf(':');
    String host = colon < 0 ? key : key.substring(0, colon);
    int port = colon < 0 ? 80 : Integer.parseInt(key.substring(colon + 1));
    return new Target(key, host, port, false, weight, new TargetState(key));
  }

  /** Targets "10.0.0.1:8080", "10.0.0.2:8080", ... with the given weights. */
  static List<Target> targets(int... weights) {
    List<Target> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(target("10.0.0." + (i + 1) + ":8080", weights[i]));
    }
    return list;
  }

  static List<String> keys(List<Target> picks) {
    return picks.stream().map(t -> t == null ? null : t.key()).toList();
  }

  /** Runs the task on {@code threads} threads released at the same time; returns their results. */
  static <T> List<T> runConcurrently(int threads, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.call();
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
