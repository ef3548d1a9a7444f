package org.ptrguard.milter;

import java.util.List;
import java.util.Map;

/** One decoded MTA-to-milter frame. */
sealed interface MilterCommand {

  record OptionNegotiation(int version, int actions, int protocol) implements MilterCommand {}

  /** {@code command} is the target command code; {@code pairs} counts name/value pairs as sent. */
  record Macro(char command, Map<String, String> macros, int pairs, int bytes) implements MilterCommand {}

  record Connect(ConnectInfo info) implements MilterCommand {}

  record Helo(String name) implements MilterCommand {}

  record Mail(List<String> argv) implements MilterCommand {}

  record Rcpt(List<String> argv) implements MilterCommand {}

  record Data() implements MilterCommand {}

  record Header(String name, String value) implements MilterCommand {}

  record EndOfHeaders() implements MilterCommand {}

  record Body(byte[] chunk) implements MilterCommand {}

  /** End of message; libmilter allows a last body chunk in the same frame. */
  record EndOfMessage(byte[] lastChunk) implements MilterCommand {}

  record Abort() implements MilterCommand {}

  record Quit() implements MilterCommand {}

  record QuitNewConnection() implements MilterCommand {}

  record Unknown(String command) implements MilterCommand {}

  /** A frame that cannot be understood: the session logs {@code reason} and closes. */
  record Malformed(String reason) implements MilterCommand {}
}
