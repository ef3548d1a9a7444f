package org.ptrguard.identity;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.ptrguard.net.Addresses;
import org.xbill.DNS.Name;

/**
 * The "how to fix it" text of each finding, written for the admin who has to act: which record,
 * with which value, in whose zone. The reverse zone belongs to whoever holds the address block
 * (usually the hosting or access provider), not to the domain's DNS host; saying so saves the
 * most common wasted afternoon.
 */
final class Fixes {
  private Fixes() {}

  private static String a(InetAddress ip) {
    return ip instanceof Inet6Address ? "AAAA" : "A";
  }

  private static String text(Name reverse) {
    return DnsEvidence.lower(reverse);
  }

  static String ptrMissing(Name reverse, InetAddress ip, String host, String who) {
    return "Ask " + who + " to create " + text(reverse) + " PTR " + host + "."
        + " This is usually the provider that assigned " + Addresses.text(ip) + " (its control panel or support),"
        + " not the DNS host of your domain. Also make sure " + host + ". " + a(ip) + " " + Addresses.text(ip) + " exists.";
  }

  static String ptrMultiple(Name reverse, List<String> names, String host, String who) {
    return "Keep a single PTR record for " + text(reverse) + " (e.g. " + host + ".) and ask " + who
        + " to delete the others (" + String.join(", ", names) + "): the order of records in an answer is not fixed,"
        + " and most MTAs use only the first name, so receivers see a different name from query to query.";
  }

  static String ptrGeneric(Name reverse, InetAddress ip, String host, String who) {
    return "The PTR is the provider's default name. Ask " + who + " (your provider) to set " + text(reverse) + " PTR "
        + host + ". and keep " + host + ". " + a(ip) + " " + Addresses.text(ip) + " in your domain.";
  }

  static String ptrNotPublic(Name reverse, InetAddress ip, String ptrName, String host, String who, String resolver) {
    return "Ask " + who + " to set " + text(reverse) + " PTR " + host + ". (a name in your public domain) and create "
        + host + ". " + a(ip) + " " + Addresses.text(ip) + " at your DNS host. " + ptrName + " exists only in a private"
        + " or reserved namespace: if the resolver " + resolver + " answers for it, that is a local or split-horizon"
        + " zone, which receivers never see.";
  }

  static String fcrdnsNoAddress(String ptrName, InetAddress ip, Name reverse, String who) {
    return "Create " + ptrName + ". " + a(ip) + " " + Addresses.text(ip) + " at the DNS host of "
        + HostNames.split(ptrName).registrableDomain() + ", or ask " + who + " to point " + text(reverse)
        + " to a name that already resolves to " + Addresses.text(ip) + ".";
  }

  static String fcrdnsMismatch(String ptrName, InetAddress ip, Name reverse, String who) {
    return "Make the name resolve back: add " + ptrName + ". " + a(ip) + " " + Addresses.text(ip) + " at the DNS host of "
        + HostNames.split(ptrName).registrableDomain() + " (or correct the existing record), or ask " + who
        + " to change " + text(reverse) + " to a name that resolves to " + Addresses.text(ip) + ".";
  }

  static String ehloInvalid(Optional<String> ptrName, InetAddress ip) {
    if (ptrName.isPresent()) {
      String name = ptrName.get();
      return "Set a public host name in Postfix's main.cf, ideally the PTR name: postconf -e 'smtp_helo_name = "
          + name + "' && postfix reload. " + name + " already resolves to " + Addresses.text(ip) + ".";
    }
    return "Set a public host name of your own domain in Postfix's main.cf (postconf -e 'smtp_helo_name ="
        + " mail.your-domain.example' && postfix reload), give it " + a(ip) + " " + Addresses.text(ip)
        + ", and have the PTR of " + Addresses.text(ip) + " set to the same name.";
  }

  static String ehloNoAddress(String ehlo, InetAddress ip) {
    return "Create " + ehlo + ". " + a(ip) + " " + Addresses.text(ip) + " at the DNS host of "
        + HostNames.split(ehlo).registrableDomain() + ", or set smtp_helo_name in main.cf to a name that has it.";
  }

  static String ehloAddressMismatch(String ehlo, InetAddress ip, Optional<String> ptrName) {
    String better = ptrName.map(n -> " (the PTR name " + n + " is the natural choice)").orElse("");
    return "Add " + ehlo + ". " + a(ip) + " " + Addresses.text(ip) + ", or set smtp_helo_name to a name that resolves to "
        + Addresses.text(ip) + better + ". If Postfix should send from another address, set smtp_bind_address.";
  }

  static String ehloPtrMismatch(String ehlo, Optional<String> ptrName, Name reverse) {
    if (ptrName.isPresent()) {
      return "Use one name for both: set smtp_helo_name = " + ptrName.get() + " in main.cf, or have " + text(reverse)
          + " changed to PTR " + ehlo + ". Some receivers score a mismatch as a sign of a hijacked host.";
    }
    // The PTR name is provider-assigned or not forward-confirmed: announcing it would trade one
    // finding for a worse one, so the only sound fix is on the reverse side.
    return "Have " + text(reverse) + " changed to PTR " + ehlo + "; the current PTR name is no name to announce (it is"
        + " generic or does not resolve back). Some receivers score a mismatch as a sign of a hijacked host.";
  }

  static String egressNat(String identity, InetAddress bound, InetAddress seen) {
    return "Receivers check the PTR and FCrDNS of " + Addresses.text(seen) + ", the address your NAT gives the mail."
        + " Write it in ptrguard.conf (identity " + identity + ": ip = [\"" + Addresses.text(seen) + "\"]) so that"
        + " ptrguard judges what receivers see (ptrguard check --ip " + Addresses.text(seen) + " shows it now), and"
        + " have its PTR set to your mail host name. If mail should leave from " + Addresses.text(bound)
        + " itself, the NAT or firewall rule for outbound port 25 is where to change it.";
  }

  static String resolversDisagree(String mainResolver) {
    return "Receivers ask public DNS. Compare the answers (dig @SERVER -x ADDRESS): a split-horizon view or an internal"
        + " zone may hide what the Internet sees, a secondary may be stale, or a recent change has not expired from"
        + " caches yet (wait for the TTL). The answers of " + mainResolver + " are the ones ptrguard judged.";
  }

  static String propagating(String question, long remaining, String zone, String resolver) {
    return "If the authoritative answer is the intended one, nothing is to change: the resolver " + resolver
        + " drops its copy of the " + question + " within " + remaining + " s, receivers' resolvers when their own"
        + " copies expire, and ptrguard checks again then (the verdict already judges the authoritative answer). If"
        + " it is not intended, correct the record in " + zone + " at its DNS host. Caches elsewhere cannot be flushed"
        + " from here; lowering the TTL (and the SOA minimum) a day before the next change shortens the wait.";
  }

  static String temporary(String resolver, InetAddress ip) {
    return "Nothing is proven wrong yet. Check that the resolver " + resolver + " answers (" + dig(resolver.split(",")[0])
        + " -x " + Addresses.text(ip) + ") and that the zone's name servers respond; ptrguard retries in the background and keeps the last"
        + " known verdict meanwhile.";
  }

  /** dig syntax for a resolver label "host:port" or "[v6]:port": dig takes the port as -p, not after a colon. */
  static String dig(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0 || hostPort.startsWith("[") && !hostPort.substring(0, colon).endsWith("]")) {
      return "dig @" + hostPort;
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    String port = hostPort.substring(colon + 1);
    return "dig @" + host + (port.equals("53") ? "" : " -p " + port);
  }
}
