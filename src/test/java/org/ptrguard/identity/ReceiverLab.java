package org.ptrguard.identity;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.net.Addresses;
import org.ptrguard.testing.TestDnsServer;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The labelled identities of {@code receivers/identities.tsv}, served by a {@link TestDnsServer}: their
 * PTR and address records in zone files made here, a SERVFAIL or no answer (TIMEOUT) where the list says
 * so. Gives each identity's ptrguard report and matrix, and what a receiving MTA records for the client
 * (the forward-confirmed PTR name, or "unknown"), looked up on its own, the way Postfix's smtpd does.
 * The zone files and the failing names are public so that a lab DNS server (PostfixReceiversLabIT's
 * Unbound) serves exactly the same data.
 */
public final class ReceiverLab implements AutoCloseable {
  /** The shared labelled list: every validation (SpamAssassin, rspamd, Postfix) judges these. */
  public static final String IDENTITIES = "/receivers/identities.tsv";
  static final List<String> FORWARD_ZONES = List.of("example.com", "example.net", "example.org");
  static final List<String> REVERSE_ZONES = List.of("2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa",
      "113.0.203.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa");

  /**
   * One labelled identity; "-" is none, "self" the identity's own address; SERVFAIL or TIMEOUT as the
   * PTR (the reverse lookup fails) or as the PTR name's or EHLO name's address (that forward lookup fails).
   */
  public record Row(String label, String ip, String ptr, String ptrAddress, String ehlo, String ehloAddress) {
    public boolean ipv6() {
      return ip.contains(":");
    }
  }

  /** A row with ptrguard's report and matrix, and the name a receiving MTA records ("unknown" without one). */
  public record Judged(Row row, IdentityReport report, ReceiverMatrix matrix, String clientName) {
    public ReceiverVerdict profile(String id) {
      return matrix.rows().stream().filter(v -> v.profile().id().equals(id)).findFirst().orElseThrow();
    }
  }

  private final TestDnsServer dns;
  private final List<Row> rows;
  private final Path dir;
  private final Map<String, Path> zoneFiles;
  private final Map<String, TestDnsServer.Fault> faults;

  private ReceiverLab(TestDnsServer dns, List<Row> rows, Path dir, Map<String, Path> zoneFiles,
      Map<String, TestDnsServer.Fault> faults) {
    this.dns = dns;
    this.rows = rows;
    this.dir = dir;
    this.zoneFiles = Map.copyOf(zoneFiles);
    this.faults = Map.copyOf(faults);
  }

  /** The shared labelled list ({@link #IDENTITIES}), zone files written to {@code dir}. */
  static ReceiverLab start(Path dir) throws IOException {
    return start(dir, rows());
  }

  public static ReceiverLab start(Path dir, List<Row> rows) throws IOException {
    TestDnsServer dns = TestDnsServer.start();
    try {
      Map<String, List<String>> records = new LinkedHashMap<>();
      FORWARD_ZONES.forEach(z -> records.put(z, new ArrayList<>()));
      REVERSE_ZONES.forEach(z -> records.put(z, new ArrayList<>()));
      Map<String, TestDnsServer.Fault> faults = new LinkedHashMap<>();
      for (Row r : rows) {
        String reverse = ReverseMap.fromAddress(InetAddress.getByName(r.ip())).toString();
        if (fault(r.ptr()) != null) {
          faults.put(HostNames.normalize(reverse), fault(r.ptr()));
        } else if (!r.ptr().equals("-")) {
          add(records, reverse, "PTR " + r.ptr() + ".");
          if (fault(r.ptrAddress()) != null) {
            faults.put(HostNames.normalize(r.ptr()), fault(r.ptrAddress()));
          }
        }
        if (fault(r.ehloAddress()) != null) {
          faults.put(HostNames.normalize(r.ehlo()), fault(r.ehloAddress()));
        }
        address(records, r.ptr(), r.ptrAddress(), r.ip());
        address(records, r.ehlo(), r.ehloAddress(), r.ip());
      }
      faults.forEach((name, fault) -> dns.fault(name + ".", fault));
      Map<String, Path> files = new LinkedHashMap<>();
      for (Map.Entry<String, List<String>> zone : records.entrySet()) {
        Path file = dir.resolve(zone.getKey() + ".zone");
        Files.writeString(file, "$TTL 300\n@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300\n"
            + "@ IN NS ns1.example.com.\n" + String.join("\n", zone.getValue()) + "\n");
        dns.zone(zone.getKey(), file);
        files.put(zone.getKey(), file);
      }
      return new ReceiverLab(dns, rows, dir, files, faults);
    } catch (IOException | RuntimeException e) {
      dns.close();
      throw e;
    }
  }

  /** The fault a list entry asks for (SERVFAIL, TIMEOUT: no answer), or null for a real entry. */
  private static TestDnsServer.Fault fault(String entry) {
    return switch (entry) {
      case "SERVFAIL" -> TestDnsServer.Fault.SERVFAIL;
      case "TIMEOUT" -> TestDnsServer.Fault.DROP;
      default -> null;
    };
  }

  private static void address(Map<String, List<String>> records, String name, String address, String self) {
    if (address.equals("-") || name.equals("-") || fault(name) != null || fault(address) != null) {
      return;
    }
    String ip = address.equals("self") ? self : address;
    // an EHLO name may be announced with its trailing dot
    add(records, HostNames.normalize(name) + ".", (ip.contains(":") ? "AAAA " : "A ") + ip);
  }

  private static void add(Map<String, List<String>> records, String owner, String data) {
    String o = owner.toLowerCase(java.util.Locale.ROOT);
    for (String zone : records.keySet()) {
      if (o.endsWith("." + zone + ".")) {
        records.get(zone).add(o + " IN " + data);
        return;
      }
    }
    throw new IllegalArgumentException("no test zone holds " + owner);
  }

  static List<Row> rows() {
    return rows(IDENTITIES);
  }

  /** The rows of a labelled list in the class path ({@code /receivers/NAME.tsv}). */
  public static List<Row> rows(String resource) {
    try (InputStream in = ReceiverLab.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      List<Row> rows = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        if (f.length != 6) {
          throw new IllegalStateException(resource + ": 6 tab-separated fields expected: " + line);
        }
        rows.add(new Row(f[0], f[1], f[2], f[3], f[4], f[5]));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<Row> labelled() {
    return rows;
  }

  /** The zone files the test DNS server serves, by zone name (no trailing dot). */
  public Map<String, Path> zoneFiles() {
    return zoneFiles;
  }

  /** The names (no trailing dot) the test DNS server fails, with everything below them. */
  public Map<String, TestDnsServer.Fault> faults() {
    return faults;
  }

  TestDnsServer dns() {
    return dns;
  }

  /** ptrguard's check and matrix of every row, with the client name a receiving MTA records. */
  public List<Judged> judgeAll() throws Exception {
    DnsOptions options = new DnsOptions(List.of(dns.address()), List.of(), Duration.ofSeconds(2), Duration.ofSeconds(8));
    List<Judged> out = new ArrayList<>();
    try (IdentityChecker checker = new IdentityChecker(options, GenericNameClassifier.standard())) {
      for (Row r : rows) {
        Identity id = new Identity(r.label(), InetAddress.getByName(r.ip()), r.ehlo(), false);
        IdentityReport report = checker.check(id).toCompletableFuture().get(20, TimeUnit.SECONDS);
        out.add(new Judged(r, report, ReceiverProfiles.standard().judge(report), clientName(r)));
      }
    }
    return out;
  }

  /** Postfix's rule for client_name: the PTR name if one of its addresses is the client's, else "unknown". */
  private String clientName(Row r) throws IOException {
    InetAddress ip = InetAddress.getByName(r.ip());
    if (fault(r.ptr()) != null || fault(r.ptrAddress()) != null) {
      // a lookup that fails: no confirmed name (and no timeout to sit out here)
      return "unknown";
    }
    Message ptr = ask(ReverseMap.fromAddress(ip), Type.PTR);
    if (ptr.getRcode() != Rcode.NOERROR) {
      return "unknown";
    }
    for (Record rec : ptr.getSection(Section.ANSWER)) {
      if (rec instanceof PTRRecord p) {
        Message forward = ask(p.getTarget(), ip.getAddress().length == 4 ? Type.A : Type.AAAA);
        for (Record a : forward.getSection(Section.ANSWER)) {
          InetAddress found = a instanceof ARecord ar ? ar.getAddress() : a instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
          if (ip.equals(found)) {
            return HostNames.normalize(p.getTarget().toString());
          }
        }
      }
    }
    return "unknown";
  }

  private Message ask(Name name, int type) throws IOException {
    SimpleResolver resolver = new SimpleResolver(dns.address());
    resolver.setTimeout(Duration.ofSeconds(2));
    return resolver.send(Message.newQuery(Record.newRecord(name, type, DClass.IN)));
  }

  /** The address as a Received header shows it: {@code 192.0.2.10} or {@code IPv6:2001:db8::25}. */
  static String receivedAddress(Row r) throws IOException {
    String text = Addresses.text(InetAddress.getByName(r.ip()));
    return r.ipv6() ? "IPv6:" + text : text;
  }

  Path dir() {
    return dir;
  }

  @Override
  public void close() {
    dns.close();
  }
}
