package org.ptrguard.milter;

/** Wire constants of the milter protocol (facts from libmilter's mfdef.h). */
public final class MilterProtocol {
  private MilterProtocol() {}

  public static final int VERSION = 6;
  /** Oldest MTA protocol version we talk to: version 1 lacks the protocol-flags word. */
  public static final int MIN_VERSION = 2;

  // MTA -> milter commands
  public static final char SMFIC_ABORT = 'A';
  public static final char SMFIC_BODY = 'B';
  public static final char SMFIC_CONNECT = 'C';
  public static final char SMFIC_MACRO = 'D';
  public static final char SMFIC_BODYEOB = 'E';
  public static final char SMFIC_HELO = 'H';
  public static final char SMFIC_QUIT_NC = 'K';
  public static final char SMFIC_HEADER = 'L';
  public static final char SMFIC_MAIL = 'M';
  public static final char SMFIC_EOH = 'N';
  public static final char SMFIC_OPTNEG = 'O';
  public static final char SMFIC_QUIT = 'Q';
  public static final char SMFIC_RCPT = 'R';
  public static final char SMFIC_DATA = 'T';
  public static final char SMFIC_UNKNOWN = 'U';

  // milter -> MTA replies
  public static final char SMFIR_ADDRCPT = '+';
  public static final char SMFIR_DELRCPT = '-';
  public static final char SMFIR_ACCEPT = 'a';
  public static final char SMFIR_REPLBODY = 'b';
  public static final char SMFIR_CONTINUE = 'c';
  public static final char SMFIR_DISCARD = 'd';
  public static final char SMFIR_ADDHEADER = 'h';
  public static final char SMFIR_INSHEADER = 'i';
  public static final char SMFIR_CHGHEADER = 'm';
  public static final char SMFIR_PROGRESS = 'p';
  public static final char SMFIR_QUARANTINE = 'q';
  public static final char SMFIR_REJECT = 'r';
  public static final char SMFIR_SKIP = 's';
  public static final char SMFIR_TEMPFAIL = 't';
  public static final char SMFIR_REPLYCODE = 'y';
  public static final char SMFIC_OPTNEG_REPLY = 'O';

  // SMFIP protocol flags
  public static final int SMFIP_NOCONNECT = 0x1;
  public static final int SMFIP_NOHELO = 0x2;
  public static final int SMFIP_NOMAIL = 0x4;
  public static final int SMFIP_NORCPT = 0x8;
  public static final int SMFIP_NOBODY = 0x10;
  public static final int SMFIP_NOHDRS = 0x20;
  public static final int SMFIP_NOEOH = 0x40;
  public static final int SMFIP_NR_HDR = 0x80;
  public static final int SMFIP_NOUNKNOWN = 0x100;
  public static final int SMFIP_NODATA = 0x200;
  public static final int SMFIP_SKIP = 0x400;
  public static final int SMFIP_RCPT_REJ = 0x800;
  public static final int SMFIP_NR_CONN = 0x1000;
  public static final int SMFIP_NR_HELO = 0x2000;
  public static final int SMFIP_NR_MAIL = 0x4000;
  public static final int SMFIP_NR_RCPT = 0x8000;
  public static final int SMFIP_NR_DATA = 0x10000;
  public static final int SMFIP_NR_UNKN = 0x20000;
  public static final int SMFIP_NR_EOH = 0x40000;
  public static final int SMFIP_NR_BODY = 0x80000;
  public static final int SMFIP_HDR_LEADSPC = 0x100000;
}
