package org.ptrguard.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How to ask: the main resolvers (empty = the system's /etc/resolv.conf), extra views asked the
 * same questions (split-horizon detection), the per-query timeout, the budget for one whole
 * identity check, and the "what is my address" question when egress discovery is on.
 */
public record DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith,
    Duration timeout, Duration checkBudget, Optional<EgressQuery> egress) {
  public DnsOptions {
    resolvers = List.copyOf(resolvers);
    compareWith = List.copyOf(compareWith);
  }

  /** Without egress discovery (its default: it asks a third party). */
  public DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith, Duration timeout,
      Duration checkBudget) {
    this(resolvers, compareWith, timeout, checkBudget, Optional.empty());
  }
}
