package org.ptrguard.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.PrivatePostfix;
import org.ptrguard.testing.TestFiles;

/**
 * The set-up the mail-flow lab tests share (RoutesLabIT, FeedbackLabIT): a working directory, the
 * namespaces with the lab's DNS server, real Postfix instances in them (senders and receivers with
 * virtual mailboxes), one ptrguard at a time in the sending host's namespace, and submission
 * through it. Closing stops everything in reverse order and removes the directory (kept with
 * {@code -Dptrguard.keepLab} for a look after a failure).
 */
final class MailLab implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final LabNetwork network;
  private final LabDns dns;
  private final List<PrivatePostfix> postfixes = new ArrayList<>();
  private LabGuard guard;

  private MailLab(Path dir, LabNetwork network, LabDns dns) {
    this.dir = dir;
    this.network = network;
    this.dns = dns;
  }

  /**
   * Creates the namespaces for {@code hosts} plus the DNS host at {@code dnsIpv4} serving {@code zones}.
   *
   * @param name names the working directory (ptrguard-NAME-lab-...)
   */
  static MailLab start(String name, String dnsIpv4, List<LabNetwork.Host> hosts, LabDns.Zones zones) throws Exception {
    Commands.require("swaks", "swaks");
    Path dir = Files.createTempDirectory("ptrguard-" + name + "-lab-");
    LabNetwork network = null;
    try {
      // Postfix's daemons (user postfix) read tables and write mailboxes below it.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      network = LabNetwork.create(dnsIpv4, hosts);
      return new MailLab(dir, network, LabDns.start(network.host("dns"), dir.resolve("dns"), zones));
    } catch (Exception | Error e) {
      if (network != null) {
        network.close();
      }
      TestFiles.deleteTree(dir);
      throw e;
    }
  }

  Path dir() {
    return dir;
  }

  LabNetwork network() {
    return network;
  }

  LabDns dns() {
    return dns;
  }

  /** A Postfix builder for an instance in {@code role}'s namespace, named lab{@code name}. */
  PrivatePostfix.Builder postfix(String name, String role) {
    return PrivatePostfix.builder("lab" + name).inNetworkNamespace(network.host(role).namespace());
  }

  /**
   * Delivers {@code domains} to one mailbox file, {@link #inbox}({@code mailDir}), with Postfix's
   * virtual delivery agent (the directory is created and given to user postfix).
   */
  PrivatePostfix.Builder mailboxes(PrivatePostfix.Builder b, String mailDir, String domains) throws IOException {
    Path mail = Files.createDirectory(dir.resolve(mailDir));
    Files.setOwner(mail, mail.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
    return b.parameter("virtual_mailbox_domains", domains)
        .parameter("virtual_mailbox_base", mail.toString())
        .parameter("virtual_mailbox_maps", "static:inbox")
        .parameter("virtual_uid_maps", "static:" + postfixId("-u"))
        .parameter("virtual_gid_maps", "static:" + postfixId("-g"))
        .parameter("virtual_minimum_uid", "1")
        .masterCfLine("virtual   unix  -       n       n       -       -       virtual");
  }

  /** The mailbox file of {@link #mailboxes}' {@code mailDir}. */
  Path inbox(String mailDir) {
    return dir.resolve(mailDir).resolve("inbox");
  }

  /** Builds and starts {@code b}; the lab stops it on close. */
  PrivatePostfix started(PrivatePostfix.Builder b) {
    PrivatePostfix p = b.build();
    postfixes.add(p);
    return p.start();
  }

  private static String postfixId(String flag) {
    return Commands.runOk(TIMEOUT, List.of("id", flag, "postfix")).stdout().strip();
  }

  /** Stops the running ptrguard, if any, and starts one in {@code role}'s namespace with {@code config}. */
  LabGuard startGuard(String role, String config) throws Exception {
    return startGuard(role, config, List.of());
  }

  /** As above, with {@code prefix} before java inside the namespace (see {@link LabGuard#start}). */
  LabGuard startGuard(String role, String config, List<String> prefix) throws Exception {
    stopGuard();
    guard = LabGuard.start(network.host(role), dir, "ptrguard-" + System.nanoTime(), config, prefix);
    return guard;
  }

  /** The running ptrguard. */
  LabGuard guard() {
    if (guard == null) {
      throw new IllegalStateException("no ptrguard runs in the lab");
    }
    return guard;
  }

  void stopGuard() throws InterruptedException {
    if (guard != null) {
      guard.close();
      guard = null;
    }
  }

  /** One SMTP submission from {@code role}'s namespace to {@code sender}'s submission listener. */
  MultiSubmission submit(String role, PrivatePostfix sender, String from, String subject, List<String> recipients) {
    return MultiSubmission.send(network.host(role), sender.listenerPort("submission"), from, recipients, subject);
  }

  /** Between scenarios: no ptrguard, and no message left in any instance's queue. */
  void cleanSlate() throws InterruptedException {
    stopGuard();
    postfixes.forEach(PrivatePostfix::purgeQueue);
  }

  /** Closes {@code lab} if it got started ({@code @AfterAll} runs after a failed {@code @BeforeAll} too). */
  static void close(MailLab lab) throws Exception {
    if (lab != null) {
      lab.close();
    }
  }

  @Override
  public void close() throws Exception {
    stopGuard();
    List<AutoCloseable> all = new ArrayList<>(postfixes);
    java.util.Collections.reverse(all);
    all.add(dns);
    all.add(network);
    Exception first = null;
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        first = first == null ? e : first; // keep stopping the rest
      }
    }
    if (System.getProperty("ptrguard.keepLab") == null) {
      TestFiles.deleteTree(dir);
    }
    if (first != null) {
      throw first;
    }
  }
}
