package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgumentParserTest {
  static final Command SPEC = new Command("demo", "[NAME]", "s", "d",
      List.of(CommonOptions.CONFIG, Option.valued("ip", "IP", "none", "an address").many(),
          Option.valued("ehlo", "NAME", "auto", "a name"), Option.flag("json", "JSON"),
          Option.flag("text", "text")),
      List.of(List.of("json", "text")), List.of(), 1, (args, out, err) -> 0);

  static Arguments parse(String... args) throws UsageException {
    return ArgumentParser.parse(SPEC, args);
  }

  @Test
  void gnuFormsAllGiveTheSameValues() throws Exception {
    for (String[] form : new String[][] {
        {"--config", "/x.conf"}, {"--config=/x.conf"}, {"-c", "/x.conf"}, {"-c/x.conf"}}) {
      assertThat(parse(form).value("config")).as(String.join(" ", form)).contains("/x.conf");
    }
    Arguments a = parse("--ip=192.0.2.1", "--ip", "192.0.2.2", "--json", "--", "--not-an-option");
    assertThat(a.all("ip")).containsExactly("192.0.2.1", "192.0.2.2");
    assertThat(a.has("json")).isTrue();
    assertThat(a.operands()).containsExactly("--not-an-option");
    assertThat(parse("--ehlo=a=b").value("ehlo")).contains("a=b");
    assertThatThrownBy(() -> parse("--help", "--frob=1")).hasMessage("unknown option '--frob'");
  }

  @Test
  void helpWinsOverEverythingAfterItButNotOverUnknownOptionsBeforeIt() throws Exception {
    assertThat(parse("--json", "-h").help()).isTrue();
    assertThat(parse("--help", "--json", "--text").help()).isTrue();
  }

  @Test
  void everyMistakeIsNamed() {
    assertThatThrownBy(() -> parse("--frob")).hasMessage("unknown option '--frob'");
    assertThatThrownBy(() -> parse("--frob=1")).hasMessage("unknown option '--frob'");
    assertThatThrownBy(() -> parse("-x")).hasMessage("unknown option '-x'");
    assertThatThrownBy(() -> parse("--config")).hasMessage("option '--config' needs a value (FILE)");
    assertThatThrownBy(() -> parse("-c")).hasMessage("option '-c' needs a value (FILE)");
    assertThatThrownBy(() -> parse("--config=")).hasMessage("option '--config' has an empty value");
    assertThatThrownBy(() -> parse("--config", "")).hasMessage("option '--config' has an empty value");
    assertThatThrownBy(() -> parse("--json=yes")).hasMessage("option '--json' takes no value");
    assertThatThrownBy(() -> parse("--ehlo=a", "--ehlo=b")).hasMessage("option '--ehlo' given twice with different values");
    assertThatThrownBy(() -> parse("--json", "--text")).hasMessage("options '--json' and '--text' cannot be used together");
    assertThatThrownBy(() -> parse("one", "two")).hasMessage("unexpected argument 'two'");
  }
}
