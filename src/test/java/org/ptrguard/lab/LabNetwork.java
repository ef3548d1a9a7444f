package org.ptrguard.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.TestFiles;

/**
 * The lab's network: one namespace per host (DNS server, sender, receiver), each with a veth into a
 * bridge that lives in a hub namespace of its own, so nothing is added to the host's network. Every
 * host has one IPv4 and one IPv6 TEST-NET address and an on-link default route over the bridge, so
 * hosts in different /24s reach each other without a router. Each host's resolv.conf (through
 * {@code /etc/netns/NAME/}, which {@code ip netns exec} bind-mounts) names the lab DNS server.
 *
 * <p>Names carry this JVM's pid: concurrent runs do not collide, and {@link #create} removes the
 * namespaces of runs whose JVM died before tearing down.
 */
final class LabNetwork implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String PREFIX = "ptrlab-";
  private static final java.util.concurrent.atomic.AtomicInteger LABS = new java.util.concurrent.atomic.AtomicInteger();
  private static final Pattern OWNED = Pattern.compile("^" + PREFIX + "(\\d+)-\\S+");

  /** One lab host: its namespace and addresses ({@code moreIpv4}: further source addresses). */
  record Host(String role, String namespace, String ipv4, String ipv6, List<String> moreIpv4) {
    Host(String role, String namespace, String ipv4, String ipv6) {
      this(role, namespace, ipv4, ipv6, List.of());
    }

    /** Prefix that runs a command inside this host's namespace. */
    List<String> exec(String... command) {
      List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
      full.addAll(List.of(command));
      return full;
    }
  }

  private final String hub;
  private final List<Host> hosts;

  private LabNetwork(String hub, List<Host> hosts) {
    this.hub = hub;
    this.hosts = List.copyOf(hosts);
  }

  /** Builds the hub and the three hosts; on any failure removes what it made and rethrows. */
  static LabNetwork create(String dnsServerIpv4) {
    return create(dnsServerIpv4, List.of(
        new Host("snd", "", LabIT.SENDER_V4, LabIT.SENDER_V6),
        new Host("rcv", "", LabIT.RECEIVER_V4, LabIT.RECEIVER_V6)));
  }

  /**
   * Builds the hub, a DNS host and {@code hosts} (their namespace field is ignored: names are made
   * here, unique per JVM and per lab, so two labs never share a namespace).
   */
  static LabNetwork create(String dnsServerIpv4, List<Host> hosts) {
    Commands.require("ip", "iproute2");
    reapOrphans();
    String tag = PREFIX + ProcessHandle.current().pid() + "-" + LABS.incrementAndGet() + "-";
    List<Host> all = new ArrayList<>();
    all.add(new Host("dns", tag + "dns", dnsServerIpv4, "2001:db8:53::53"));
    for (Host h : hosts) {
      all.add(new Host(h.role(), tag + h.role(), h.ipv4(), h.ipv6(), h.moreIpv4()));
    }
    LabNetwork network = new LabNetwork(tag + "hub", all);
    try {
      network.build(dnsServerIpv4);
      return network;
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  Host host(String role) {
    return hosts.stream().filter(h -> h.role().equals(role)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no lab host " + role));
  }

  /**
   * Adds further source addresses (IPv4 /32 or IPv6 /128, no duplicate address detection) to a host,
   * e.g. one per identity whose connections the test makes from that host.
   */
  void addAddresses(String role, List<String> addresses) {
    String ns = host(role).namespace();
    for (String address : addresses) {
      if (address.contains(":")) {
        ip("-n", ns, "-6", "addr", "add", address + "/128", "dev", "eth0", "nodad");
      } else {
        ip("-n", ns, "addr", "add", address + "/32", "dev", "eth0");
      }
    }
  }

  private void build(String nameserver) {
    ip("netns", "add", hub);
    ip("-n", hub, "link", "set", "lo", "up");
    // Without snooping the bridge floods IPv6 neighbour solicitations to every port, no MLD needed.
    ip("-n", hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    ip("-n", hub, "link", "set", "br0", "up");
    for (Host host : hosts) {
      if (host.role().length() > 12) {
        throw new IllegalArgumentException("lab host role too long for an interface name: " + host.role());
      }
      String ns = host.namespace();
      writeResolvConf(ns, nameserver);
      ip("netns", "add", ns);
      ip("-n", hub, "link", "add", "v" + host.role(), "type", "veth", "peer", "name", "eth0", "netns", ns);
      ip("-n", hub, "link", "set", "v" + host.role(), "master", "br0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", ns, "addr", "add", host.ipv4() + "/32", "dev", "eth0");
      for (String more : host.moreIpv4()) {
        ip("-n", ns, "addr", "add", more + "/32", "dev", "eth0");
      }
      // nodad: usable at once instead of "tentative" for a second or more
      ip("-n", ns, "-6", "addr", "add", host.ipv6() + "/128", "dev", "eth0", "nodad");
      ip("-n", ns, "route", "add", "default", "dev", "eth0");
      ip("-n", ns, "-6", "route", "add", "default", "dev", "eth0");
    }
  }

  private static void writeResolvConf(String namespace, String nameserver) {
    try {
      Path dir = Files.createDirectories(Path.of("/etc/netns", namespace));
      // attempts/timeout small: a lab DNS problem shows up as a quick failure, not a long stall
      Files.writeString(dir.resolve("resolv.conf"), "nameserver " + nameserver + "\noptions timeout:2 attempts:2\n");
      // glibc reads /etc/hosts first; the host's file names only localhost, which the lab never asks for
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write /etc/netns/" + namespace + "/resolv.conf", e);
    }
  }

  /** Deletes the namespaces (which removes their veths and the bridge) and the resolv.conf files. */
  @Override
  public void close() {
    List<String> names = new ArrayList<>(hosts.stream().map(Host::namespace).toList());
    names.add(hub);
    names.forEach(LabNetwork::remove);
  }

  private static void remove(String namespace) {
    Commands.run(TIMEOUT, List.of("ip", "netns", "del", namespace));
    TestFiles.deleteTree(Path.of("/etc/netns", namespace));
  }

  /** Removes lab namespaces left behind by test JVMs that no longer run. */
  private static void reapOrphans() {
    ProcessResult list = Commands.run(TIMEOUT, List.of("ip", "netns", "list"));
    for (String line : list.stdout().lines().toList()) {
      Matcher m = OWNED.matcher(line);
      if (m.find() && !ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) {
        remove(line.split("\\s+")[0]);
      }
    }
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    Commands.runOk(TIMEOUT, command);
  }

}
