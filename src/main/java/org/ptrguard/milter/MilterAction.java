package org.ptrguard.milter;

/** SMFIF action flags: what the filter may do at end of message. */
public enum MilterAction {
  ADD_HEADERS(0x1),
  CHANGE_BODY(0x2),
  ADD_RCPT(0x4),
  DELETE_RCPT(0x8),
  CHANGE_HEADERS(0x10),
  QUARANTINE(0x20),
  CHANGE_FROM(0x40),
  ADD_RCPT_WITH_ARGS(0x80),
  SET_SYMBOL_LIST(0x100);

  private final int bit;

  MilterAction(int bit) {
    this.bit = bit;
  }

  public int bit() {
    return bit;
  }
}
