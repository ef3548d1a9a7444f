package org.ptrguard.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How to ask: the main resolvers (empty = the system's /etc/resolv.conf), extra views asked the
 * same questions (split-horizon detection), the per-query timeout, the budget for one whole
 * identity check, the "what is my address" question when egress discovery is on, and the port of
 * the zones' authoritative servers when they are asked too (dns.authoritative; empty = not asked).
 */
public record DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith,
    Duration timeout, Duration checkBudget, Optional<EgressQuery> egress, OptionalInt authoritativePort) {
  public DnsOptions {
    resolvers = List.copyOf(resolvers);
    compareWith = List.copyOf(compareWith);
  }

  /** Without asking authoritative servers. */
  public DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith, Duration timeout,
      Duration checkBudget, Optional<EgressQuery> egress) {
    this(resolvers, compareWith, timeout, checkBudget, egress, OptionalInt.empty());
  }

  /** Without egress discovery (its default: it asks a third party) and without asking authoritative servers. */
  public DnsOptions(List<InetSocketAddress> resolvers, List<InetSocketAddress> compareWith, Duration timeout,
      Duration checkBudget) {
    this(resolvers, compareWith, timeout, checkBudget, Optional.empty());
  }

  /** The same options asking the zones' authoritative servers on {@code port}. */
  public DnsOptions withAuthoritativePort(int port) {
    return new DnsOptions(resolvers, compareWith, timeout, checkBudget, egress, OptionalInt.of(port));
  }
}
