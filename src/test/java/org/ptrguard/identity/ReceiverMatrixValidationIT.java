package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.FreePorts;
import org.ptrguard.testing.ProcessResult;

/**
 * The matrix's SpamAssassin and rspamd rows against Debian's spamassassin and rspamd, for every labelled
 * identity of {@code receivers/identities.tsv}. Both programs get what a receiving MTA passes on: the
 * client address, the EHLO name, and the forward-confirmed PTR name or "unknown" (SpamAssassin in the
 * Received header, rspamd as rspamc's --ip/--helo/--hostname). Neither reaches the network:
 * SpamAssassin runs with local tests only (-L) and DNS off; rspamd's only name server is the test DNS
 * server, and it listens on loopback ports of this run. The agreement table is printed and written to
 * target/receiver-matrix-agreement-*.txt; every identity must agree.
 */
class ReceiverMatrixValidationIT {
  /** The rules of the profiles' concern: connection identity (rDNS, HELO), nothing about the content. */
  private static final Pattern SA_IDENTITY_RULES = Pattern.compile("^(RDNS_|HELO_|FSL_HELO|KHOP_HELO|RCVD_NUMERIC_HELO)");
  private static final Pattern RSPAMD_IDENTITY_RULES = Pattern.compile("^(HFILTER_HOSTNAME|HFILTER_HELO|RDNS_)");
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  static Path dir;
  private static ReceiverLab lab;
  private static List<ReceiverLab.Judged> judged;
  private static Process rspamd;
  private static int rspamdPort;

  @BeforeAll
  static void start() throws Exception {
    Commands.require("spamassassin", "spamassassin");
    Commands.require("rspamd", "rspamd");
    Commands.require("rspamc", "rspamd");
    Path zones = Files.createDirectories(dir.resolve("zones"));
    lab = ReceiverLab.start(zones);
    judged = lab.judgeAll();
  }

  @AfterAll
  static void stop() throws Exception {
    if (rspamd != null) {
      rspamd.destroy();
      if (!rspamd.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        rspamd.destroyForcibly();
      }
    }
    if (lab != null) {
      lab.close();
    }
  }

  // ---- SpamAssassin

  @Test
  void spamAssassinFiresTheRulesTheMatrixNames() throws Exception {
    Path site = Files.createDirectories(dir.resolve("sa-site"));
    try (var pre = Files.list(Path.of("/etc/spamassassin"))) {
      for (Path p : pre.filter(f -> f.toString().endsWith(".pre")).toList()) {
        Files.copy(p, site.resolve(p.getFileName()));
      }
    }
    // Score set 0, as the profile's scores: no network tests, no Bayes. DNS off and, should anything
    // ask anyway, only the test server.
    Files.writeString(site.resolve("local.cf"), "trusted_networks 127.0.0.0/8\ninternal_networks 127.0.0.0/8\n"
        + "use_bayes 0\nreport_safe 0\ndns_available no\ndns_server [127.0.0.1]:" + lab.dns().address().getPort() + "\n"
        + "add_header all Rules _TESTSSCORES(,)_\n");
    Path prefs = Files.writeString(dir.resolve("user_prefs"), "");
    StringBuilder mbox = new StringBuilder();
    for (ReceiverLab.Judged j : judged) {
      mbox.append(message(j));
    }
    ProcessResult r = Commands.run(TIMEOUT, List.of("spamassassin", "-L", "--mbox", "--siteconfigpath=" + site,
        "-p", prefs.toString()), Map.of("HOME", dir.toString()), mbox.toString().getBytes(StandardCharsets.UTF_8));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    Map<String, Map<String, Double>> fired = spamAssassinResults(r.stdout());
    agreement("spamassassin", "spamassassin -L --mbox (Debian spamassassin), score set 0", fired);
  }

  /** The message as the receiving MTA hands it on: its Received header carries EHLO, client name and address. */
  private static String message(ReceiverLab.Judged j) throws IOException {
    ReceiverLab.Row r = j.row();
    return "From sender@example.com Thu Dec  3 06:00:00 2026\n"
        + "Received: from " + r.ehlo() + " (" + j.clientName() + " [" + ReceiverLab.receivedAddress(r) + "])\n"
        + "\tby mx.example.org (Postfix) with ESMTP id 4A1B2C3D4E\n"
        + "\tfor <postmaster@example.org>; Thu, 3 Dec 2026 06:00:00 +0000 (UTC)\n"
        + "X-Ptrguard-Label: " + r.label() + "\n"
        + "From: Sender <sender@example.com>\nTo: postmaster@example.org\nSubject: receiver matrix " + r.label() + "\n"
        + "Date: Thu, 3 Dec 2026 06:00:00 +0000\nMessage-ID: <" + r.label() + ".matrix@example.com>\n"
        + "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
        + "A test message of the receiver matrix validation, for identity " + r.label() + ".\n\n";
  }

  private static Map<String, Map<String, Double>> spamAssassinResults(String mbox) {
    Map<String, Map<String, Double>> out = new TreeMap<>();
    for (String msg : mbox.split("\n(?=From sender@example\\.com )")) {
      String headers = msg.split("\n\n", 2)[0].replaceAll("\n[ \t]+", " ");
      Matcher label = Pattern.compile("(?m)^X-Ptrguard-Label: (\\S+)").matcher(headers);
      Matcher rules = Pattern.compile("(?m)^X-Spam-Rules: (.*)$").matcher(headers);
      if (!label.find()) {
        continue;
      }
      Map<String, Double> scores = new TreeMap<>();
      if (rules.find()) {
        for (String pair : rules.group(1).split(",")) {
          String[] kv = pair.trim().split("=");
          if (kv.length == 2 && SA_IDENTITY_RULES.matcher(kv[0]).find()) {
            scores.put(kv[0], Double.parseDouble(kv[1]));
          }
        }
      }
      out.put(label.group(1), scores);
    }
    return out;
  }

  // ---- rspamd

  @Test
  void rspamdFiresTheSymbolsTheMatrixNames() throws Exception {
    startRspamd();
    Map<String, Map<String, Double>> fired = new TreeMap<>();
    Pattern symbol = Pattern.compile("(?m)^Symbol: (\\S+) \\((-?[0-9.]+)\\)");
    for (ReceiverLab.Judged j : judged) {
      ReceiverLab.Row r = j.row();
      // An MTA passes an unconfirmed client as "[address]" (Postfix's milter client does, as Sendmail):
      // rspamd then has no host name for it.
      String hostname = j.clientName().equals("unknown") ? "[" + r.ip() + "]" : j.clientName();
      ProcessResult res = rspamc(r.ip(), r.ehlo(), hostname, message(j));
      assertThat(res.stdout()).as(res.describe()).contains("Symbol:");
      Map<String, Double> scores = new TreeMap<>();
      Matcher m = symbol.matcher(res.stdout());
      while (m.find()) {
        if (RSPAMD_IDENTITY_RULES.matcher(m.group(1)).find()) {
          scores.put(m.group(1), Double.parseDouble(m.group(2)));
        }
      }
      fired.put(r.label(), scores);
    }
    agreement("rspamd", "rspamc --ip --helo --hostname against a local rspamd 3.4 (Debian rspamd)", fired);
  }

  private static ProcessResult rspamc(String ip, String helo, String hostname, String message) {
    return Commands.run(TIMEOUT, List.of("rspamc", "-h", "127.0.0.1:" + rspamdPort, "-t", "30", "--ip", ip, "--helo", helo,
        "--hostname", hostname, "symbols"), Map.of(), message.getBytes(StandardCharsets.UTF_8));
  }

  /** rspamd with the Debian configuration, its own ports, directories and log, and the test DNS server only. */
  private static void startRspamd() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("rspamd"));
    Path local = Files.createDirectories(conf.resolve("local.d"));
    Path override = Files.createDirectories(conf.resolve("override.d"));
    for (String d : List.of("db", "run", "log")) {
      Files.createDirectories(conf.resolve(d));
    }
    rspamdPort = FreePorts.next();
    int controller = FreePorts.next();
    Files.writeString(override.resolve("worker-normal.inc"), "bind_socket = \"127.0.0.1:" + rspamdPort + "\";\ncount = 1;\n");
    Files.writeString(override.resolve("worker-controller.inc"), "bind_socket = \"127.0.0.1:" + controller + "\";\ncount = 1;\n");
    Files.writeString(override.resolve("worker-proxy.inc"), "enabled = false;\n");
    Files.writeString(override.resolve("worker-fuzzy.inc"), "enabled = false;\n");
    Files.writeString(override.resolve("logging.inc"), "type = \"file\";\nfilename = \"" + conf.resolve("log/rspamd.log")
        + "\";\nlevel = \"info\";\n");
    // The only name server is the test one; modules that would fetch from the Internet are off.
    Files.writeString(local.resolve("options.inc"), "dns { nameserver = [\"127.0.0.1:" + lab.dns().address().getPort()
        + "\"]; timeout = 1s; retransmits = 2; }\nlocal_addrs = [];\n");
    for (String module : List.of("fuzzy_check", "rbl", "asn", "multimap", "dkim_signing", "arc", "url_redirector")) {
      Files.writeString(override.resolve(module + ".conf"), "enabled = false;\n");
    }
    List<String> command = new ArrayList<>(List.of(Commands.require("rspamd", "rspamd").toString(), "-f",
        "-c", "/etc/rspamd/rspamd.conf", "--var=LOCAL_CONFDIR=" + conf, "--var=DBDIR=" + conf.resolve("db"),
        "--var=RUNDIR=" + conf.resolve("run"), "--var=LOGDIR=" + conf.resolve("log")));
    if ("root".equals(System.getProperty("user.name"))) {
      // rspamd will not run as root: it drops to Debian's _rspamd, which must reach its directories
      command.addAll(List.of("-u", "_rspamd", "-g", "_rspamd"));
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      Commands.runOk(TIMEOUT, List.of("chown", "-R", "_rspamd:_rspamd", conf.toString()));
    }
    rspamd = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(conf.resolve("rspamd.out").toFile()).start();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      if (!rspamd.isAlive()) {
        throw new IllegalStateException("rspamd exited: " + Files.readString(conf.resolve("rspamd.out")));
      }
      if (listening(rspamdPort)) {
        ProcessResult probe = rspamc("192.0.2.1", "probe.example.com", "probe.example.com", "Subject: probe\n\nprobe\n");
        if (probe.stdout().contains("Symbol:")) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("rspamd did not answer within " + TIMEOUT + ": " + Files.readString(conf.resolve("rspamd.out")));
      }
      Thread.sleep(250);
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---- the comparison

  /**
   * Compares, per identity, the rules the program fired (within the profile's concern) with the rules the
   * matrix says fire, scores included; prints the table and fails on any identity that disagrees.
   */
  private static void agreement(String profile, String how, Map<String, Map<String, Double>> actual) throws IOException {
    List<String> lines = new ArrayList<>();
    List<String> disagree = new ArrayList<>();
    int agree = 0;
    for (ReceiverLab.Judged j : judged) {
      String label = j.row().label();
      Map<String, Double> predicted = new TreeMap<>();
      for (ReceiverVerdict.Fired f : j.profile(profile).fired()) {
        predicted.put(f.rule().name(), f.rule().outcome().score());
      }
      Map<String, Double> seen = actual.get(label);
      boolean same = seen != null && seen.keySet().equals(predicted.keySet())
          && seen.keySet().stream().allMatch(k -> Math.abs(seen.get(k) - predicted.get(k)) < 0.0015);
      if (same) {
        agree++;
      } else {
        disagree.add(label);
      }
      lines.add(String.format(java.util.Locale.ROOT, "%-24s %-5s matrix %-50s %s %s", label, same ? "agree" : "DIFF",
          predicted, profile, seen));
    }
    String table = profile + ": " + agree + " of " + judged.size() + " identities agree (" + how + ")\n"
        + String.join("\n", lines) + "\n";
    System.out.println(table);
    Files.writeString(Path.of("target", "receiver-matrix-agreement-" + profile + ".txt"), table);
    assertThat(disagree).as(table).isEmpty();
    // every rule of the profile is exercised by some labelled identity: a new rule needs a row that fires it
    List<String> unexercised = new ArrayList<>();
    for (ReceiverRule rule : judged.get(0).profile(profile).profile().rules()) {
      if (judged.stream().noneMatch(j -> j.profile(profile).fired().stream().anyMatch(f -> f.rule().equals(rule)))) {
        unexercised.add(rule.name());
      }
    }
    assertThat(unexercised).as("rules of " + profile + " that no labelled identity fires").isEmpty();
  }
}
