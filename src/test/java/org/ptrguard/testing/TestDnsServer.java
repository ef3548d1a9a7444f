package org.ptrguard.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SetResponse;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

/**
 * A small authoritative DNS server for tests: real DNS messages over UDP and TCP on a loopback
 * port, answering from zone files (dnsjava's zone parser), with per-name faults (SERVFAIL, no
 * answer, slow answer) and zones that can be replaced while it runs. Several instances can share one
 * port on different loopback addresses (127.0.0.2, 127.0.0.3, ...), as a zone's name servers do on
 * port 53; answers carry the AA bit unless {@link #authoritative(boolean)} turns it off (a caching
 * resolver's answer, or a lame server), and a delegation inside a zone is answered with a referral.
 */
public final class TestDnsServer implements AutoCloseable {
  /**
   * What to do with questions for one name instead of answering them. TRUNCATE answers over UDP
   * with an empty truncated (TC) reply whatever the size, and normally over TCP. ECHO sends the
   * query back unchanged (QR bit clear), as a socket that loops to its sender would.
   * TRUNCATE_ALWAYS answers with an empty TC reply over UDP and over TCP alike (a broken middlebox or
   * server). SPOOF_ID first sends, over UDP, an NXDOMAIN reply whose transaction ID is off by one (an
   * off-path spoofer's guess), then the real answer after {@link #SPOOF_LEAD_MS}.
   */
  public enum Fault { SERVFAIL, DROP, DELAY, TRUNCATE, TRUNCATE_ALWAYS, ECHO, SPOOF_ID }

  /** How long the real answer follows the spoofed one. */
  public static final long SPOOF_LEAD_MS = 100;

  private record FaultSpec(Fault fault, long delayMs) {}

  private static final int UDP_LIMIT = 512;

  private final Map<Name, Zone> zones = new ConcurrentHashMap<>();
  private final Map<Name, FaultSpec> faults = new ConcurrentHashMap<>();
  private final Map<Name, UnaryOperator<String>> whatIsMyAddress = new ConcurrentHashMap<>();
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "test-dns");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong queries = new AtomicLong();
  private final AtomicLong tcpQueries = new AtomicLong();
  private volatile boolean closed;
  private volatile boolean authoritative = true;

  private TestDnsServer(DatagramSocket udp, ServerSocket tcp) {
    this.udp = udp;
    this.tcp = tcp;
  }

  /** Starts on 127.0.0.1, UDP and TCP on the same free port. */
  public static TestDnsServer start() throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try {
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort()));
        TestDnsServer server = new TestDnsServer(udp, tcp);
        server.workers.execute(server::serveUdp);
        server.workers.execute(server::serveTcp);
        return server;
      } catch (IOException portTakenForTcp) {
        udp.close();
      }
    }
    throw new IOException("no free port for UDP and TCP together");
  }

  /**
   * Starts one server on each of {@code addresses} (loopback, e.g. "127.0.0.2"), all on the same
   * free port: the port of dns.authoritative-port in a test.
   */
  public static java.util.List<TestDnsServer> startOnSamePort(java.util.List<String> addresses) throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      int port = FreePorts.closedUdp();
      java.util.List<TestDnsServer> started = new java.util.ArrayList<>();
      try {
        for (String a : addresses) {
          started.add(start(new InetSocketAddress(InetAddress.getByName(a), port)));
        }
        return started;
      } catch (IOException portTaken) {
        started.forEach(TestDnsServer::close);
      }
    }
    throw new IOException("no port free on all of " + addresses);
  }

  /** Starts on exactly {@code at}, UDP and TCP. */
  public static TestDnsServer start(InetSocketAddress at) throws IOException {
    DatagramSocket udp = new DatagramSocket(at);
    try {
      ServerSocket tcp = new ServerSocket();
      tcp.setReuseAddress(true);
      tcp.bind(at);
      TestDnsServer server = new TestDnsServer(udp, tcp);
      server.workers.execute(server::serveUdp);
      server.workers.execute(server::serveTcp);
      return server;
    } catch (IOException e) {
      udp.close();
      throw e;
    }
  }

  /**
   * With false, answers carry no AA bit: the server plays a caching resolver (its zone data is
   * what the cache holds, its TTLs what is left of them) or a lame name server.
   */
  public TestDnsServer authoritative(boolean aa) {
    this.authoritative = aa;
    return this;
  }

  /** Loads (or replaces) a zone from a file; the origin is given, $ORIGIN/$TTL in the file work too. */
  public TestDnsServer zone(String origin, Path file) {
    try {
      Name o = Name.fromString(origin.endsWith(".") ? origin : origin + ".");
      zones.put(o, new Zone(o, file.toString()));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads a zone from a classpath resource under /zones/. */
  public TestDnsServer zoneResource(String origin, String resource) {
    try {
      return zone(origin, Path.of(TestDnsServer.class.getResource("/zones/" + resource).toURI()));
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public TestDnsServer removeZone(String origin) {
    try {
      zones.remove(Name.fromString(origin.endsWith(".") ? origin : origin + "."));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TestDnsServer fault(String name, Fault fault) {
    return fault(name, fault, 0);
  }

  public TestDnsServer fault(String name, Fault fault, long delayMs) {
    faults.put(name(name), new FaultSpec(fault, delayMs));
    return this;
  }

  /** Every name: used to simulate a resolver that stopped answering. */
  public TestDnsServer faultAll(Fault fault) {
    faults.put(Name.root, new FaultSpec(fault, 0));
    return this;
  }

  public TestDnsServer clearFaults() {
    faults.clear();
    return this;
  }

  /**
   * Answers questions for {@code name} as Google's {@code o-o.myaddr.l.google.com} (TXT) and
   * OpenDNS's {@code myip.opendns.com} (A/AAAA) do: with the source address of the question.
   * {@code seenAs} maps that address's text to the answer, which lets a test stand behind a NAT
   * (127.0.0.2 -> "203.0.113.7") or have a server answer something that is not an address. A/AAAA
   * questions whose answer is no address of that family get an empty NOERROR answer.
   */
  public TestDnsServer whatIsMyAddress(String name, UnaryOperator<String> seenAs) {
    whatIsMyAddress.put(name(name), seenAs);
    return this;
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
  }

  public long queries() {
    return queries.get();
  }

  /** Questions that came over TCP (after a truncated UDP answer, for a DNS client). */
  public long tcpQueries() {
    return tcpQueries.get();
  }

  private static Name name(String s) {
    try {
      return Name.fromString(s.endsWith(".") ? s : s + ".");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- serving

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(packet);
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
      InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
      // Counted on arrival: counted later (after a SPOOF_ID lead, say), a question the client already
      // gave up on landed in the next test's count.
      queries.incrementAndGet();
      workers.execute(() -> answerUdp(data, from));
    }
  }

  private void answerUdp(byte[] data, InetSocketAddress from) {
    byte[] spoofed = spoofedReply(data);
    if (spoofed != null) {
      try {
        udp.send(new DatagramPacket(spoofed, spoofed.length, from));
      } catch (IOException ignored) {
        // the client went away
      }
      sleep(SPOOF_LEAD_MS);
    }
    byte[] out = respond(data, true, from.getAddress());
    if (out != null) {
      try {
        udp.send(new DatagramPacket(out, out.length, from));
      } catch (IOException ignored) {
        // the client went away
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try {
        Socket s = tcp.accept();
        workers.execute(() -> answerTcp(s));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void answerTcp(Socket socket) {
    try (socket) {
      socket.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      while (true) {
        int length = in.readUnsignedShort();
        byte[] data = in.readNBytes(length);
        queries.incrementAndGet();
        tcpQueries.incrementAndGet();
        byte[] reply = respond(data, false, socket.getInetAddress());
        if (reply != null) {
          out.writeShort(reply.length);
          out.write(reply);
          out.flush();
        }
      }
    } catch (IOException endOfConnection) {
      // client closed or timed out
    }
  }

  /** For a SPOOF_ID name: an NXDOMAIN with the wrong transaction ID, else null. */
  private byte[] spoofedReply(byte[] data) {
    try {
      Message query = new Message(data);
      Record question = query.getQuestion();
      FaultSpec fault = question == null ? null : faults.getOrDefault(question.getName(), faults.get(Name.root));
      if (fault == null || fault.fault() != Fault.SPOOF_ID) {
        return null;
      }
      Message fake = reply(query, Rcode.NXDOMAIN);
      fake.getHeader().setID((query.getHeader().getID() + 1) & 0xFFFF);
      fake.getHeader().setFlag(Flags.AA);
      return fake.toWire();
    } catch (IOException e) {
      return null;
    }
  }

  /** The wire answer, or null to stay silent. */
  private byte[] respond(byte[] data, boolean udpTransport, InetAddress client) {
    Message query;
    try {
      query = new Message(data);
    } catch (IOException e) {
      return null;
    }
    Record question = query.getQuestion();
    if (question == null || query.getHeader().getOpcode() != Opcode.QUERY) {
      return reply(query, Rcode.FORMERR).toWire();
    }
    FaultSpec fault = faults.getOrDefault(question.getName(), faults.get(Name.root));
    if (fault != null) {
      switch (fault.fault()) {
        case DROP:
          return null;
        case SERVFAIL:
          return reply(query, Rcode.SERVFAIL).toWire();
        case DELAY:
          sleep(fault.delayMs());
          break;
        case ECHO:
          return data;
        case TRUNCATE:
          if (udpTransport) {
            return truncated(query);
          }
          break;
        case TRUNCATE_ALWAYS:
          return truncated(query);
        default:
          break;
      }
    }
    UnaryOperator<String> myAddress = whatIsMyAddress.get(question.getName());
    Message response = myAddress != null ? clientAddress(query, question, myAddress.apply(client.getHostAddress()))
        : answer(query, question);
    byte[] wire = response.toWire();
    if (udpTransport && wire.length > UDP_LIMIT) {
      return truncated(query);
    }
    return wire;
  }

  /** An empty NOERROR reply with the TC bit: "too big, ask again over TCP". */
  private static byte[] truncated(Message query) {
    Message truncated = reply(query, Rcode.NOERROR);
    truncated.getHeader().setFlag(Flags.TC);
    truncated.getHeader().setFlag(Flags.AA);
    return truncated.toWire();
  }

  private Message answer(Message query, Record question) {
    Zone zone = zoneFor(question.getName());
    if (zone == null) {
      return reply(query, Rcode.REFUSED);
    }
    Message response = reply(query, Rcode.NOERROR);
    if (authoritative) {
      response.getHeader().setFlag(Flags.AA);
    }
    Name name = question.getName();
    java.util.Set<Name> seen = new java.util.HashSet<>();
    // Like a real authoritative server, a CNAME loop is answered with the chain up to the repeat.
    while (seen.add(name)) {
      SetResponse sr = zone.findRecords(name, question.getType());
      if (sr.isSuccessful()) {
        for (RRset set : sr.answers()) {
          set.rrs().forEach(r -> response.addRecord(r, Section.ANSWER));
        }
        return response;
      }
      if (sr.isDelegation()) {
        // A zone cut: a referral to the child's servers, without AA (the parent is no authority there).
        response.getHeader().unsetFlag(Flags.AA);
        sr.getNS().rrs().forEach(r -> response.addRecord(r, Section.AUTHORITY));
        return response;
      }
      if (sr.isCNAME()) {
        response.addRecord(sr.getCNAME(), Section.ANSWER);
        name = sr.getCNAME().getTarget();
        if (!name.subdomain(zone.getOrigin())) {
          return response; // the client follows an alias out of this zone itself
        }
        continue;
      }
      if (sr.isNXDOMAIN()) {
        if (response.getSection(Section.ANSWER).isEmpty()) {
          response.getHeader().setRcode(Rcode.NXDOMAIN);
        }
      }
      response.addRecord(zone.getSOA(), Section.AUTHORITY);
      return response;
    }
    return response;
  }

  private static Message clientAddress(Message query, Record question, String seen) {
    Message response = reply(query, Rcode.NOERROR);
    response.getHeader().setFlag(Flags.AA);
    try {
      if (question.getType() == Type.TXT) {
        response.addRecord(new TXTRecord(question.getName(), DClass.IN, 60, seen), Section.ANSWER);
      } else if (question.getType() == Type.A || question.getType() == Type.AAAA) {
        java.util.Optional<InetAddress> a = org.ptrguard.net.IpLiterals.parse(seen);
        if (a.isPresent() && a.get() instanceof java.net.Inet4Address && question.getType() == Type.A) {
          response.addRecord(new ARecord(question.getName(), DClass.IN, 60, a.get()), Section.ANSWER);
        } else if (a.isPresent() && a.get() instanceof java.net.Inet6Address && question.getType() == Type.AAAA) {
          response.addRecord(new AAAARecord(question.getName(), DClass.IN, 60, a.get()), Section.ANSWER);
        }
      }
    } catch (IllegalArgumentException e) {
      return reply(query, Rcode.SERVFAIL);
    }
    return response;
  }

  private Zone zoneFor(Name name) {
    Zone best = null;
    for (Map.Entry<Name, Zone> e : zones.entrySet()) {
      if (name.subdomain(e.getKey()) && (best == null || e.getKey().labels() > best.getOrigin().labels())) {
        best = e.getValue();
      }
    }
    return best;
  }

  private static Message reply(Message query, int rcode) {
    Message m = new Message(query.getHeader().getID());
    Header h = m.getHeader();
    h.setFlag(Flags.QR);
    if (query.getHeader().getFlag(Flags.RD)) {
      h.setFlag(Flags.RD);
    }
    h.setRcode(rcode);
    if (query.getQuestion() != null) {
      m.addRecord(query.getQuestion(), Section.QUESTION);
    }
    return m;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    workers.shutdownNow();
  }


}
