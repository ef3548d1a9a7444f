package org.ptrguard.milter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A change to the message, allowed only at end of message and only if its action was negotiated. */
public sealed interface Modification {
  /** The action that must have been negotiated for this modification to be sent. */
  MilterAction action();

  /** SMFIR_* code on the wire. */
  char code();

  /** Wire payload. */
  byte[] payload();

  static Modification addHeader(String name, String value) {
    return new AddHeader(name, value);
  }

  static Modification insertHeader(int index, String name, String value) {
    return new InsertHeader(index, name, value);
  }

  static Modification quarantine(String reason) {
    return new Quarantine(reason);
  }

  record AddHeader(String name, String value) implements Modification {
    public AddHeader {
      Checks.headerName(name);
      Checks.text(value, "header value");
    }

    public MilterAction action() {
      return MilterAction.ADD_HEADERS;
    }

    public char code() {
      return MilterProtocol.SMFIR_ADDHEADER;
    }

    public byte[] payload() {
      return Checks.strings(null, name, value);
    }
  }

  /** Inserts at {@code index} (0 = before the first header). */
  record InsertHeader(int index, String name, String value) implements Modification {
    public InsertHeader {
      if (index < 0) {
        throw new IllegalArgumentException("header index must be >= 0, got " + index);
      }
      Checks.headerName(name);
      Checks.text(value, "header value");
    }

    public MilterAction action() {
      return MilterAction.ADD_HEADERS;
    }

    public char code() {
      return MilterProtocol.SMFIR_INSHEADER;
    }

    public byte[] payload() {
      return Checks.strings(index, name, value);
    }
  }

  /** Postfix puts a quarantined message on hold. */
  record Quarantine(String reason) implements Modification {
    public Quarantine {
      Checks.text(reason, "quarantine reason");
      if (reason.isEmpty()) {
        throw new IllegalArgumentException("quarantine reason must not be empty");
      }
    }

    public MilterAction action() {
      return MilterAction.QUARANTINE;
    }

    public char code() {
      return MilterProtocol.SMFIR_QUARANTINE;
    }

    public byte[] payload() {
      return Checks.strings(null, reason);
    }
  }

  /** Validation shared by the modifications. */
  final class Checks {
    private Checks() {}

    static void headerName(String name) {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("header name must not be empty");
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c <= 0x20 || c >= 0x7f || c == ':') {
          throw new IllegalArgumentException("header name '" + name + "' may contain only printable ASCII without ':' or space");
        }
      }
    }

    /** No NUL, CR, LF or other control characters except TAB: a header value is one line. */
    static void text(String value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " must not be null");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          throw new IllegalArgumentException(what + " contains a control character (0x" + Integer.toHexString(c) + ")");
        }
      }
    }

    static byte[] strings(Integer index, String... parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (index != null) {
        out.write(index >>> 24);
        out.write(index >>> 16);
        out.write(index >>> 8);
        out.write(index);
      }
      for (String p : parts) {
        out.writeBytes(p.getBytes(StandardCharsets.UTF_8));
        out.write(0);
      }
      return out.toByteArray();
    }
  }
}
