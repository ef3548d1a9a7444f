/*
 * Reference milter for the ptrguard benchmark, written against libmilter (Debian libmilter-dev).
 *
 * It does what ptrguard does in the SMTP path once its identity cache is warm, and nothing else:
 *  - negotiates the same protocol steps (CONNECT, HELO and MAIL only; RCPT, DATA, headers, EOH,
 *    body and unknown commands negotiated away) and asks for the same macros;
 *  - at HELO picks the outbound identity by {daemon_name} from a static table (the stand-in for
 *    ptrguard's warm cache), decides from its verdict and writes one decision line to stderr;
 *  - in add-header mode keeps the session to end of message and adds X-PTRGuard there.
 *
 * Usage: baseline -p inet:PORT@127.0.0.1|unix:/path [-a | -f] [-b backlog]
 *   -a  add-header mode (continue at HELO, add the header at end of message)
 *   -f  floor mode: ACCEPT at CONNECT, deciding nothing; the least any milter can cost Postfix
 *
 * Built by bench/run-all.sh with: gcc -O2 -o baseline baseline.c -lmilter -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

struct identity {
  const char *name;      /* selected by {daemon_name}; "default" otherwise */
  const char *daemon;    /* {daemon_name} value that selects it, or NULL */
  const char *ip;
  const char *ehlo;
  const char *verdict;   /* what a warm identity check said */
};

/* The same identity the benchmark's ptrguard configuration checks and finds coherent. */
static const struct identity IDENTITIES[] = {
  {"default", NULL, "192.0.2.10", "mail.example.com", "pass"},
};
static const size_t IDENTITY_COUNT = sizeof(IDENTITIES) / sizeof(IDENTITIES[0]);

static int add_header_mode = 0;
static int floor_mode = 0;

/* Per-connection state: the decision note kept for end of message. */
struct session {
  int decided;
  char note[160];
};

static const struct identity *select_identity(SMFICTX *ctx) {
  const char *daemon = smfi_getsymval(ctx, "{daemon_name}");
  size_t i;
  for (i = 0; daemon != NULL && i < IDENTITY_COUNT; i++) {
    if (IDENTITIES[i].daemon != NULL && strcmp(IDENTITIES[i].daemon, daemon) == 0) {
      return &IDENTITIES[i];
    }
  }
  return &IDENTITIES[0];
}

static sfsistat bl_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
                             unsigned long *pf0, unsigned long *pf1, unsigned long *pf2, unsigned long *pf3) {
  unsigned long wanted_off = SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN;
  (void) f2; (void) f3;
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
  *pf1 = f1 & wanted_off;
  *pf2 = 0;
  *pf3 = 0;
  /* ptrguard's macro lists (ProtocolNeeds.DEFAULT_MACROS). */
  smfi_setsymlist(ctx, SMFIM_CONNECT,
                  "j {daemon_name} {daemon_addr} {client_addr} {client_name} {client_ptr} {client_resolve}");
  smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen} i");
  /* The queue ID again at end of message, where ptrguard's held-message line names it. */
  smfi_setsymlist(ctx, SMFIM_EOM, "i");
  return SMFIS_CONTINUE;
}

static sfsistat bl_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr) {
  struct session *s = smfi_getpriv(ctx);
  (void) host; (void) addr;
  if (s == NULL) {
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
      return SMFIS_TEMPFAIL;
    }
    smfi_setpriv(ctx, s);
  }
  s->decided = 0;
  return floor_mode ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat bl_helo(SMFICTX *ctx, char *helo) {
  struct session *s = smfi_getpriv(ctx);
  const struct identity *id;
  const char *client;
  int pass;
  if (s == NULL || s->decided) {
    return SMFIS_CONTINUE;
  }
  id = select_identity(ctx);
  pass = strcmp(id->verdict, "pass") == 0;
  client = smfi_getsymval(ctx, "{client_addr}");
  snprintf(s->note, sizeof(s->note), "%s identity=%s ip=%s", id->verdict, id->name, id->ip);
  fprintf(stderr, "level=info logger=decision event=decision mode=audit action=%s verdict=%s stage=helo identity=%s ip=%s "
          "ehlo=%s client=%s helo=%s\n", add_header_mode ? "add-header" : "accept", id->verdict, id->name, id->ip,
          id->ehlo, client ? client : "-", helo ? helo : "-");
  s->decided = 1;
  (void) pass; /* audit mode: a failing verdict would be logged, never enforced */
  return add_header_mode ? SMFIS_CONTINUE : SMFIS_ACCEPT;
}

static sfsistat bl_envfrom(SMFICTX *ctx, char **argv) {
  (void) ctx; (void) argv;
  return SMFIS_CONTINUE;
}

static sfsistat bl_eom(SMFICTX *ctx) {
  struct session *s = smfi_getpriv(ctx);
  if (add_header_mode && s != NULL && s->decided) {
    smfi_addheader(ctx, "X-PTRGuard", s->note);
  }
  return SMFIS_CONTINUE;
}

static sfsistat bl_abort(SMFICTX *ctx) {
  (void) ctx;
  return SMFIS_CONTINUE;
}

static sfsistat bl_close(SMFICTX *ctx) {
  struct session *s = smfi_getpriv(ctx);
  if (s != NULL) {
    free(s);
    smfi_setpriv(ctx, NULL);
  }
  return SMFIS_CONTINUE;
}

static struct smfiDesc DESC = {
  "ptrguard-baseline", SMFI_VERSION, SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
  bl_connect, bl_helo, bl_envfrom, NULL, NULL, NULL, NULL, bl_eom, bl_abort, bl_close,
  NULL, NULL, bl_negotiate,
};

int main(int argc, char **argv) {
  const char *conn = NULL;
  int backlog = 1024;
  int c;
  while ((c = getopt(argc, argv, "p:afb:")) != -1) {
    switch (c) {
      case 'p': conn = optarg; break;
      case 'a': add_header_mode = 1; break;
      case 'f': floor_mode = 1; break;
      case 'b': backlog = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: %s -p inet:PORT@127.0.0.1|unix:/path [-a | -f] [-b backlog]\n", argv[0]);
        return 64;
    }
  }
  if (conn == NULL) {
    fprintf(stderr, "usage: %s -p inet:PORT@127.0.0.1|unix:/path [-a | -f] [-b backlog]\n", argv[0]);
    return 64;
  }
  if (strncmp(conn, "unix:", 5) == 0) {
    /* libmilter creates the socket with the process umask; Postfix connects as its own user. */
    umask(0);
  }
  if (smfi_setconn((char *) conn) == MI_FAILURE || smfi_setbacklog(backlog) == MI_FAILURE
      || smfi_register(DESC) == MI_FAILURE || smfi_opensocket(1) == MI_FAILURE) {
    fprintf(stderr, "baseline: cannot set up %s\n", conn);
    return 71;
  }
  fprintf(stderr, "baseline: event=ready listen=%s add_header=%d\n", conn, add_header_mode);
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
