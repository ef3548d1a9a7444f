package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GenericNameClassifierTest {
  private final GenericNameClassifier classifier = GenericNameClassifier.standard();

  /** One labelled name; {@code held} rows are kept aside while tuning and only measured. */
  record Row(String name, String ip, boolean generic, String scheme, boolean held, String note) {}

  /** Whose naming scheme a row follows, and where that shape is documented. */
  record Scheme(String id, String provider, String kind, String shape, String source) {
    boolean isProvider() {
      return !kind.equals("shape") && !kind.equals("own");
    }
  }

  static List<Row> labeledList() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (String[] f : tsv("generic-names.tsv")) {
      rows.add(new Row(f[0], f[1], f[2].equals("generic"), f[3], f[4].equals("held"), f.length > 5 ? f[5] : ""));
    }
    return rows;
  }

  static Map<String, Scheme> schemes() throws Exception {
    Map<String, Scheme> out = new LinkedHashMap<>();
    for (String[] f : tsv("generic-name-schemes.tsv")) {
      out.put(f[0], new Scheme(f[0], f[1], f[2], f[3], f[4]));
    }
    return out;
  }

  private static List<String[]> tsv(String resource) throws Exception {
    List<String[]> rows = new ArrayList<>();
    try (var in = GenericNameClassifierTest.class.getResourceAsStream(resource)) {
      for (String line : new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList()) {
        if (!line.isBlank() && !line.startsWith("#")) {
          rows.add(line.split("\t"));
        }
      }
    }
    return rows;
  }

  /**
   * The list's shape as issue 18 asks for it: at least 400 names of both classes, the default
   * schemes of at least 40 providers, every row's scheme documented with its source, a fixed
   * quarter held aside, no name twice.
   */
  @Test
  void theLabelledListCoversTheProvidersWithSources() throws Exception {
    List<Row> rows = labeledList();
    Map<String, Scheme> schemes = schemes();
    assertThat(rows).hasSizeGreaterThanOrEqualTo(400);
    assertThat(rows.stream().filter(Row::generic).count()).isGreaterThanOrEqualTo(200);
    assertThat(rows.stream().filter(r -> !r.generic()).count()).isGreaterThanOrEqualTo(200);
    assertThat(rows).allSatisfy(r -> assertThat(schemes).as(r.name()).containsKey(r.scheme()));
    assertThat(schemes.values()).isNotEmpty().allSatisfy(s -> assertThat(s.source()).as(s.id()).isNotBlank());
    Set<String> providers = new TreeSet<>();
    rows.stream().map(r -> schemes.get(r.scheme())).filter(Scheme::isProvider).forEach(s -> providers.add(s.provider()));
    assertThat(providers).hasSizeGreaterThanOrEqualTo(40);
    double held = rows.stream().filter(Row::held).count() / (double) rows.size();
    assertThat(held).isBetween(0.22, 0.28);
    assertThat(rows.stream().map(r -> r.name().toLowerCase(Locale.ROOT)).distinct().count()).isEqualTo(rows.size());
    System.out.printf(Locale.ROOT, "labelled list: %d names (%d generic, %d custom), %d providers, %d schemes, %d held aside%n",
        rows.size(), rows.stream().filter(Row::generic).count(), rows.stream().filter(r -> !r.generic()).count(),
        providers.size(), schemes.size(), rows.stream().filter(Row::held).count());
  }

  /** The part looked at while tuning: every miss is printed so a regression is easy to read. */
  @Test
  void precisionAndRecallOnTheTuningPart() throws Exception {
    measure(false, 0.97, 0.95);
  }

  /**
   * The fixed quarter kept aside while tuning: the fair measurement. Only the figures are printed
   * (not the misses), so that reading the output does not turn it into tuning data.
   */
  @Test
  void precisionAndRecallOnTheHeldAsidePart() throws Exception {
    measure(true, 0.95, 0.90);
  }

  private void measure(boolean heldPart, double minPrecision, double minRecall) throws Exception {
    List<Row> rows = labeledList().stream().filter(r -> r.held() == heldPart).toList();
    int tp = 0;
    int fp = 0;
    int fn = 0;
    int tn = 0;
    for (Row row : rows) {
      GenericNameClassifier.GenericVerdict v = classifier.classify(row.name(), InetAddress.getByName(row.ip()));
      if (v.generic() && row.generic()) {
        tp++;
      } else if (v.generic()) {
        fp++;
        if (!heldPart) {
          System.out.println("FALSE POSITIVE " + row + " -> " + v.reason());
        }
      } else if (row.generic()) {
        fn++;
        if (!heldPart) {
          System.out.println("FALSE NEGATIVE " + row);
        }
      } else {
        tn++;
      }
    }
    double precision = tp / (double) (tp + fp);
    double recall = tp / (double) (tp + fn);
    System.out.printf(Locale.ROOT, "%s part: %d names (%d generic, %d custom): precision %.3f, recall %.3f (tp=%d fp=%d fn=%d tn=%d)%n",
        heldPart ? "held-aside" : "tuning", rows.size(), tp + fn, fp + tn, precision, recall, tp, fp, fn, tn);
    assertThat(rows.size()).isGreaterThanOrEqualTo(heldPart ? 100 : 300);
    assertThat(precision).isGreaterThanOrEqualTo(minPrecision);
    assertThat(recall).isGreaterThanOrEqualTo(minRecall);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ec2-198-51-100-7.compute-1.amazonaws.com|198.51.100.7|spells the address 198.51.100.7 dashed ('198-51-100-7'); provider scheme: AWS EC2 default name (amazonaws.com)",
      "7.100.51.198.bc.googleusercontent.com|198.51.100.7|reversed dotted ('7.100.51.198'); provider scheme: Google Cloud",
      "static.7-100-51-198.isp.example|198.51.100.7|reversed dashed ('7-100-51-198')",
      "h198x51x100x7.isp.example|198.51.100.7|separated by 'x' ('198x51x100x7')",
      "198-051-100-007.isp.example|198.51.100.7|zero-padded, dashed ('198-051-100-007')",
      "host198051100007.isp.example|198.51.100.7|zero-padded, concatenated ('198051100007')",
      "0xc6336407.isp.example|198.51.100.7|in hexadecimal ('c6336407')",
      "pc6336407.dip0.t-ipconnect.de|198.51.100.7|in hexadecimal ('c6336407'); provider scheme: Deutsche Telekom",
      "3325256711.static.isp.example|198.51.100.7|as the 32-bit number 3325256711",
      "ns3001234.ip-198-51-100.eu|198.51.100.7|three octets, dashed: '198-51-100'",
      "client-100-51-198.isp.example|198.51.100.7|three octets, reversed, dashed: '100-51-198') next to the word 'client'",
      "dynamic.isp.example.net|198.51.100.7|access-network word 'dynamic'",
      "vps-1a2b3c4d.vps.ovh.net|198.51.100.7|numbered host name under ovh.net; provider scheme: OVHcloud default name",
      "vmi1234567.contaboserver.net|198.51.100.7|provider scheme: Contabo default name",
      "2001-db8-0-1--25.ipv6.isp.example|2001:db8:0:1::25|dashed ('2001-db8-0-1--25')",
      "c-198-51-100-7.hsd1.ca.comcast.net|::ffff:198.51.100.7|dashed ('198-51-100-7')"})
  void genericShapesAreRecognisedWithTheEvidence(String name, String ip, String evidence) throws Exception {
    GenericNameClassifier.GenericVerdict v = classifier.classify(name, InetAddress.getByName(ip));
    assertThat(v.generic()).as(name).isTrue();
    assertThat(v.reason()).contains(evidence);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "mail.example.com|198.51.100.7",
      "mail2.example.com|198.51.100.7",
      "smtp-2024.example.org|198.51.100.7",
      "mx01.example.net|198.51.100.7",
      "outbound-mail-3.example.com|198.51.100.7",
      "mail.dyn.com|198.51.100.7",
      "smtp.dynamicsolutions.de|198.51.100.7",
      "mail.resmed.com|198.51.100.7",
      "mx-100-7.example.com|198.51.100.7",
      "mail.ip-203-0-113-9.example|198.51.100.7",
      "mail.198-51-100.example|198.51.100.7",
      "mail7.example.com|198.51.100.7",
      "host-1.example.com|198.51.100.7",
      "static-web.example.org|198.51.100.7",
      "o198-51-100-7.outbound-mail.sendgrid.net|198.51.100.7",
      "smtp-198-51-100-7.example.com|198.51.100.7"})
  void ordinaryNamesAreNotFlagged(String name, String ip) throws Exception {
    GenericNameClassifier.GenericVerdict v = classifier.classify(name, InetAddress.getByName(ip));
    assertThat(v.generic()).as(name + " -> " + v.reason()).isFalse();
    assertThat(v.reason()).isEmpty();
  }

  @Test
  void garbageNeverThrows() throws Exception {
    InetAddress ip = InetAddress.getByName("198.51.100.7");
    for (String name : new String[] {null, "", ".", "..", "com", "\u0000\u00ff.example", "a".repeat(5000) + ".com"}) {
      assertThat(classifier.classify(name, ip).generic()).isFalse();
    }
    assertThat(classifier.classify("ec2-1-2-3-4.compute-1.amazonaws.com", null).generic()).isFalse();
  }
}
