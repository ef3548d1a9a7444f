package org.ptrguard.milter;

/**
 * The MTA events a handler may ask for or negotiate away. END_OF_MESSAGE, ABORT and QUIT are not
 * listed: the protocol always delivers them.
 */
public enum MilterEvent {
  CONNECT(MilterProtocol.SMFIP_NOCONNECT, MilterProtocol.SMFIP_NR_CONN),
  HELO(MilterProtocol.SMFIP_NOHELO, MilterProtocol.SMFIP_NR_HELO),
  MAIL(MilterProtocol.SMFIP_NOMAIL, MilterProtocol.SMFIP_NR_MAIL),
  RCPT(MilterProtocol.SMFIP_NORCPT, MilterProtocol.SMFIP_NR_RCPT),
  DATA(MilterProtocol.SMFIP_NODATA, MilterProtocol.SMFIP_NR_DATA),
  HEADER(MilterProtocol.SMFIP_NOHDRS, MilterProtocol.SMFIP_NR_HDR),
  END_OF_HEADERS(MilterProtocol.SMFIP_NOEOH, MilterProtocol.SMFIP_NR_EOH),
  BODY(MilterProtocol.SMFIP_NOBODY, MilterProtocol.SMFIP_NR_BODY),
  UNKNOWN(MilterProtocol.SMFIP_NOUNKNOWN, MilterProtocol.SMFIP_NR_UNKN);

  private final int notSentFlag;
  private final int noReplyFlag;

  MilterEvent(int notSentFlag, int noReplyFlag) {
    this.notSentFlag = notSentFlag;
    this.noReplyFlag = noReplyFlag;
  }

  /** The SMFIP_NO* bit that tells the MTA not to send this event. */
  public int notSentFlag() {
    return notSentFlag;
  }

  /** The SMFIP_NR_* bit that tells the MTA not to wait for a reply to this event. */
  public int noReplyFlag() {
    return noReplyFlag;
  }
}
