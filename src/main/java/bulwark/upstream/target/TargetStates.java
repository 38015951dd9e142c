package bulwark.upstream.target;

import java.util.Collection;
import java.util.HashSet;
import java.util.concurrent.ConcurrentHashMap;

/** Registry for live state, keyed by address; reload keeps states of addresses still configured. */
public final class TargetStates {
  private final ConcurrentHashMap<String, TargetState> states = new ConcurrentHashMap<>();

  /** Returns the state for this address, creating it on first use. */
  public TargetState stateFor(String key) {
    return states.computeIfAbsent(key, TargetState::new);
  }

  /** Drops the states of addresses not in keys (no longer configured). */
  public void retainOnly(Collection<String> keys) {
    states.keySet().retainAll(new HashSet<>(keys));
  }

  public int size() {
    return states.size();
  }
}
