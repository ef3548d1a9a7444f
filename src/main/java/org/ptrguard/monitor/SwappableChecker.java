package org.ptrguard.monitor;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.identity.GenericNameClassifier;
import org.ptrguard.identity.Identity;
import org.ptrguard.identity.IdentityChecker;
import org.ptrguard.identity.IdentityReport;

/**
 * The identity checker a monitor checks with. A reload with other DNS settings swaps it: new checks
 * use the new resolvers and budget at once, while checks still running on the old checker finish
 * within its budget, after which it is closed. Every checker counts into the same {@link DnsCounters}.
 */
final class SwappableChecker implements AutoCloseable {
  private final DnsCounters lookups;
  private final ScheduledExecutorService scheduler;
  private volatile IdentityChecker checker;
  private volatile DnsOptions options;

  SwappableChecker(Settings.DnsSettings dns, DnsCounters lookups, ScheduledExecutorService scheduler) {
    this.lookups = lookups;
    this.scheduler = scheduler;
    this.options = IdentityTargets.dnsOptions(dns);
    this.checker = new IdentityChecker(options, GenericNameClassifier.standard(), lookups);
  }

  CompletionStage<IdentityReport> check(Identity identity) {
    return checker.check(identity);
  }

  DnsOptions options() {
    return options;
  }

  /** Swaps the checker when the DNS settings changed; true when it did. */
  boolean update(Settings.DnsSettings dns) {
    DnsOptions next = IdentityTargets.dnsOptions(dns);
    if (next.equals(options)) {
      return false;
    }
    IdentityChecker old = checker;
    checker = new IdentityChecker(next, GenericNameClassifier.standard(), lookups);
    options = next;
    scheduler.schedule(old::close, dns.checkBudget().toMillis() + 1000, TimeUnit.MILLISECONDS);
    return true;
  }

  @Override
  public void close() {
    checker.close();
  }
}
