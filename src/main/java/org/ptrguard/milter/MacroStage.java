package org.ptrguard.milter;

import java.util.Optional;

/** SMFIM macro stages, with the id used on the wire in the OPTNEG macro lists. */
public enum MacroStage {
  CONNECT(0, 'C'),
  HELO(1, 'H'),
  MAIL(2, 'M'),
  RCPT(3, 'R'),
  DATA(4, 'T'),
  END_OF_MESSAGE(5, 'E'),
  END_OF_HEADERS(6, 'N');

  private final int id;
  private final char command;

  MacroStage(int id, char command) {
    this.id = id;
    this.command = command;
  }

  /** SMFIM_* id, as sent in the OPTNEG reply's macro lists. */
  public int id() {
    return id;
  }

  /** The command code a MACRO frame names to target this stage. */
  public char command() {
    return command;
  }

  /** The stage a MACRO frame's command byte refers to; empty for codes with no stage (ignored). */
  public static Optional<MacroStage> forCommand(char command) {
    for (MacroStage s : values()) {
      if (s.command == command) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
