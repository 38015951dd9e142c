package bulwark.filter;

/** A filter threw: the request fails with 500 and this is logged once with the request id. */
public final class FilterException extends RuntimeException {
  public FilterException(Filter filter, Throwable cause) {
    super("filter " + filter.getClass().getSimpleName() + " failed: " + cause, cause);
  }
}
