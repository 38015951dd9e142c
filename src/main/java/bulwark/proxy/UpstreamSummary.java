package bulwark.proxy;

import bulwark.upstream.UpstreamRuntime;

/**
 * What a finished {@link UpstreamCall} leaves for observers, built once when the request ends.
 *
 * @param upstream the upstream of the last attempt (the route's or its fallback's); null when
 *     the request was refused before one was chosen
 * @param tries attempts sent
 * @param retriesDenied retries the retry budget refused
 * @param startNanos when the request went upstream (System.nanoTime), 0 when it never did
 * @param endNanos when the response head (or the 101) came, 0 when none came
 * @param error how the last attempt failed (connect, reset, timeout, body_reset, body_timeout),
 *     null when it did not fail or answered with a status
 */
record UpstreamSummary(UpstreamRuntime upstream, int tries, int retries, int retriesDenied, long startNanos, long endNanos, String error) {}
