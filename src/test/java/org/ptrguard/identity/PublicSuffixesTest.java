package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both sources of public suffixes: Debian's list (the publicsuffix package, installed by
 * .ci/install-deps) and the embedded subset used when it is missing.
 */
class PublicSuffixesTest {
  @TempDir
  Path dir;

  private static int suffix(PublicSuffixes list, String name) {
    return list.suffixLabels(Arrays.asList(name.split("\\.")));
  }

  @Test
  void debiansListIsUsedWhenInstalled() {
    assertThat(PublicSuffixes.DEBIAN_LIST).as("install the Debian package publicsuffix (.ci/install-deps)").isReadable();
    PublicSuffixes debian = PublicSuffixes.load(PublicSuffixes.DEBIAN_LIST);
    assertThat(debian.description()).startsWith("the public suffix list " + PublicSuffixes.DEBIAN_LIST + ", ")
        .matches(".*, \\d{4,} rules");
    assertThat(suffix(debian, "mail.example.co.uk")).isEqualTo(2);
    assertThat(suffix(debian, "mail.example.com")).isEqualTo(1);
    // Rules only the full list has: a wildcard and its exception (*.kawasaki.jp, !city.kawasaki.jp) ...
    assertThat(suffix(debian, "mail.example.kawasaki.jp")).isEqualTo(3);
    assertThat(suffix(debian, "www.city.kawasaki.jp")).isEqualTo(2);
    // ... and internationalised rules, matched in the ASCII form names have in DNS (xn--55qx5d.cn is 公司.cn).
    assertThat(suffix(debian, "mail.example.xn--55qx5d.cn")).isEqualTo(2);
    // The private section is not read: a provider's zone is not a suffix of its own.
    assertThat(suffix(debian, "ec2-203-0-113-5.compute-1.amazonaws.com")).isEqualTo(1);

    PublicSuffixes embedded = PublicSuffixes.load(dir.resolve("absent.dat"));
    assertThat(suffix(embedded, "mail.example.kawasaki.jp")).as("not in the subset").isEqualTo(1);
  }

  @Test
  void embeddedSubsetWhenTheListIsMissingOrEmpty() throws Exception {
    PublicSuffixes missing = PublicSuffixes.load(dir.resolve("absent.dat"));
    assertThat(missing.description()).startsWith("ptrguard's embedded subset (" + dir.resolve("absent.dat") + " not found")
        .contains("publicsuffix");
    assertThat(suffix(missing, "mail.example.co.uk")).isEqualTo(2);
    assertThat(suffix(missing, "mail.example.com.au")).isEqualTo(2);
    assertThat(suffix(missing, "mail.example.org")).isEqualTo(1);

    Path empty = Files.writeString(dir.resolve("empty.dat"), "// nothing here\n");
    assertThat(PublicSuffixes.load(empty).description()).contains("has no ICANN rules");
  }

  @Test
  void rulesFollowTheListsFormat() throws Exception {
    Path list = Files.writeString(dir.resolve("list.dat"), """
        // a comment
        com
        // ===BEGIN ICANN DOMAINS===
        org
        example.org
        *.wild.example.net
        !keep.wild.example.net
        // ===END ICANN DOMAINS===
        // ===BEGIN PRIVATE DOMAINS===
        hosted.example.com
        // ===END PRIVATE DOMAINS===
        """);
    PublicSuffixes p = PublicSuffixes.load(list);
    assertThat(p.description()).endsWith(", 4 rules");
    assertThat(suffix(p, "a.b.example.org")).isEqualTo(2);
    assertThat(suffix(p, "a.b.wild.example.net")).isEqualTo(4);
    assertThat(suffix(p, "a.keep.wild.example.net")).isEqualTo(3);
    assertThat(suffix(p, "a.hosted.example.com")).as("private section ignored").isEqualTo(1);
    assertThat(suffix(p, "example.org")).as("a suffix alone").isEqualTo(2);
    assertThat(p.suffixLabels(List.of())).isZero();
  }

  @Test
  void hostNamesUseTheSystemList() {
    PublicSuffixes system = PublicSuffixes.system();
    assertThat(system.description()).isEqualTo(PublicSuffixes.load(PublicSuffixes.DEBIAN_LIST).description());
    assertThat(HostNames.split("mail.example.kawasaki.jp").registrableDomain()).isEqualTo("mail.example.kawasaki.jp");
    assertThat(HostNames.split("a.b.example.co.uk").registrableDomain()).isEqualTo("example.co.uk");
  }
}
