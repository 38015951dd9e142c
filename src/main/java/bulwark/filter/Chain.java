package bulwark.filter;

import io.vertx.core.Future;

/** The rest of the pipeline after the current filter. */
@FunctionalInterface
public interface Chain {
  Future<Void> next(Exchange exchange);

  /**
   * Runs {@code filters} in order, then {@code last}. A filter that throws fails only this request;
   * the returned future carries the exception.
   */
  static Future<Void> run(Filter[] filters, int index, Exchange ex, Chain last) {
    if (index == filters.length) {
      ex.filterIndex = -1;
      return last.next(ex);
    }
    ex.filterIndex = index;
    try {
      return filters[index].handle(ex, e -> run(filters, index + 1, e, last));
    } catch (RuntimeException e) {
      return Future.failedFuture(new FilterException(filters[index], e));
    }
  }
}
