package bulwark.fleet;

import java.nio.charset.StandardCharsets;

/** One operation of a {@link EtcdClient#txn transaction}'s success or failure branch. */
public sealed interface TxnOp {
  /** Sets {@code key} to {@code value}; {@code lease} 0 for none. */
  record Put(String key, byte[] value, long lease) implements TxnOp {
    public static Put of(String key, String value) {
      return new Put(key, value.getBytes(StandardCharsets.UTF_8), 0);
    }
  }

  /** Deletes {@code key}, or every key in {@code [key, rangeEnd)} when rangeEnd is not null. */
  record Delete(String key, String rangeEnd) implements TxnOp {
    public static Delete of(String key) {
      return new Delete(key, null);
    }
  }

  /** Reads {@code key}, or {@code [key, rangeEnd)}; its result is in {@link TxnResult#ranges}. */
  record Get(String key, String rangeEnd) implements TxnOp {}
}
