package org.ptrguard.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * How to ask: the main resolvers (empty = the system's /etc/resolv.conf), extra views asked the
 * same questions (split-horizon detection), the per-query timeout and the budget for one whole
 * identity check.
 */
public record DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith,
    Duration timeout, Duration checkBudget) {
  public DnsOptions {
    resolvers = List.copyOf(resolvers);
    compareWith = List.copyOf(compareWith);
  }
}
