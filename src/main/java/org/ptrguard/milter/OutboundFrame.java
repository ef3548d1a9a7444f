package org.ptrguard.milter;

/** One milter-to-MTA frame: reply code and payload. */
record OutboundFrame(char code, byte[] payload) {

  static OutboundFrame of(MilterReply reply) {
    return new OutboundFrame(reply.code(), reply.payload());
  }

  static OutboundFrame of(Modification modification) {
    return new OutboundFrame(modification.code(), modification.payload());
  }

  static OutboundFrame progress() {
    return new OutboundFrame(MilterProtocol.SMFIR_PROGRESS, new byte[0]);
  }
}
