package bulwark.fleet;

import java.util.List;

/**
 * What a transaction did: whether every compare held (the success branch ran), the revision after
 * it, and the result of each {@link TxnOp.Get} of the branch that ran, in order.
 */
public record TxnResult(boolean succeeded, long revision, List<RangeResult> ranges) {}
