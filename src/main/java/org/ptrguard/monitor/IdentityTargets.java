package org.ptrguard.monitor;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.ptrguard.config.ResolverAddress;
import org.ptrguard.config.Settings.IdentitySettings;
import org.ptrguard.config.Settings;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.dns.EgressQuery;
import org.ptrguard.identity.Identity;
import org.ptrguard.postfix.IdentityDiscovery.Discovered;
import org.ptrguard.postfix.IdentityDiscovery;

/** Turns configured identities (literals or "auto") into concrete (address, EHLO) pairs to check. */
public final class IdentityTargets {
  /** One address of one configured identity, with where its values came from. */
  public record Target(String identityName, Identity identity, String ipProvenance, String ehloProvenance) {}

  /** The targets, plus identities (or addresses) that could not be resolved and why. */
  public record Resolution(List<Target> targets, List<String> problems) {}

  private IdentityTargets() {}

  public static Resolution resolve(List<IdentitySettings> identities, IdentityDiscovery discovery) {
    return resolve(identities, discovery, "configured");
  }

  /** @param literalSource how to describe values written literally ("configured", "command line") */
  public static Resolution resolve(List<IdentitySettings> identities, IdentityDiscovery discovery, String literalSource) {
    List<Target> targets = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<Discovered<InetAddress>> autoAddresses = null;
    Discovered<String> autoEhlo = null;
    for (IdentitySettings id : identities) {
      String ehlo = id.ehlo().orElse(null);
      String ehloFrom = literalSource;
      if (ehlo == null) {
        autoEhlo = autoEhlo != null ? autoEhlo : discovery.ehlo();
        if (autoEhlo.value().isEmpty()) {
          problems.add("identity " + id.name() + ": no EHLO name: " + autoEhlo.provenance());
          continue;
        }
        ehlo = autoEhlo.value().get();
        ehloFrom = autoEhlo.provenance();
      }
      Identity.GenericPtr genericPtr = Identity.GenericPtr.valueOf(id.genericPtr().name());
      for (InetAddress ip : id.literalIps()) {
        targets.add(new Target(id.name(), new Identity(id.name(), ip, ehlo, genericPtr), literalSource, ehloFrom));
      }
      if (id.autoIp()) {
        autoAddresses = autoAddresses != null ? autoAddresses : discovery.addresses();
        boolean any = false;
        for (Discovered<InetAddress> d : autoAddresses) {
          if (d.value().isPresent()) {
            any = true;
            targets.add(new Target(id.name(), new Identity(id.name(), d.value().get(), ehlo, genericPtr), d.provenance(), ehloFrom));
          } else {
            problems.add("identity " + id.name() + ": " + d.provenance());
          }
        }
        if (!any && id.literalIps().isEmpty()) {
          problems.add("identity " + id.name() + ": no outbound address found; set identities.ip to the public address");
        }
      }
    }
    return new Resolution(List.copyOf(targets), List.copyOf(problems));
  }

  public static DnsOptions dnsOptions(Settings.DnsSettings dns) {
    return new DnsOptions(dns.resolvers().stream().map(ResolverAddress::socketAddress).toList(),
        dns.compareWith().stream().map(ResolverAddress::socketAddress).toList(), dns.timeout(), dns.checkBudget(),
        egressQuery(dns.egress()), dns.authoritative() ? OptionalInt.of(dns.authoritativePort()) : OptionalInt.empty());
  }

  /** The "what is my address" question, when egress discovery is on. */
  static Optional<EgressQuery> egressQuery(Settings.EgressSettings e) {
    if (e.discover() == Settings.EgressDiscover.OFF) {
      return Optional.empty();
    }
    return Optional.of(new EgressQuery(e.server(), e.port(), e.name(),
        e.type() == Settings.EgressAnswer.TXT ? EgressQuery.Kind.TXT : EgressQuery.Kind.ADDRESS));
  }

  /** The targets of one identity name. */
  public static List<Target> of(List<Target> targets, String identityName) {
    return targets.stream().filter(t -> t.identityName().equals(identityName)).toList();
  }
}
