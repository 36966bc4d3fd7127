/*
 * conclave bench media peer: many WebRTC endpoints in one single-threaded process, so the load generator
 * costs little next to the SFU it measures. Each session is one UDP socket on loopback that speaks
 * ICE (STUN binding requests/responses), DTLS 1.2 as client (OpenSSL, use_srtp) and SRTP (libsrtp2).
 * Publishers send pre-encoded RTP from files (paced by their timestamps, looped); subscribers count what
 * arrives (RTP headers are readable without decrypting, so nothing is decrypted or decoded).
 *
 * Usage: bench-peer [bind-address]  (127.0.0.1 by default)
 * Control: one command per line on stdin, one event per line on stdout (see peer-process.ts).
 *   load <slot> <file>                          pre-encoded RTP file into a slot
 *   open <sid>                                  -> "bound <sid> <port>"
 *   connect <sid> <ip> <port|0> <rufrag> <rpwd> <lufrag> <lpwd> <controlling 0|1>
 *   send <sid> <slot> <ssrc> <pt>               publish a slot once connected
 *   close <sid>
 *   stats                                       -> "stat <sid> ..." lines then "statsend"
 * Events: "fingerprint <hex>", "connected <sid> <us>", "firstrx <sid> <us>", "error <sid> <msg>".
 * Times are CLOCK_MONOTONIC microseconds (the clock of Node's process.hrtime).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 4096
#define MAX_SLOTS 8
#define MAX_TX 4
#define MAX_RX_SSRC 32
#define BUF 2048

typedef struct {
  uint32_t count, loop_us, clock_rate;
  uint32_t *offset_us;
  uint16_t *len;
  uint8_t **pkt;
  uint32_t ts0;
} media_t;

typedef struct {
  int slot;
  uint32_t ssrc;
  uint8_t pt;
  uint32_t next, loop;
  uint64_t start_us;
  uint16_t seq_base;
  uint32_t ts_base, last_ts;
  uint64_t packets, octets;
} tx_stream_t;

typedef struct {
  uint32_t ssrc;
  uint32_t received;
  uint16_t base_seq, max_seq;
  uint32_t cycles;
} rx_ssrc_t;

typedef struct {
  int used, fd, connected, controlling, have_remote;
  struct sockaddr_in remote;
  char rufrag[160], rpwd[160], lufrag[160], lpwd[160];
  SSL *ssl;
  srtp_t tx, rx;
  uint64_t connected_us, first_rx_us, last_check_us, last_sr_us, opened_us;
  tx_stream_t txs[MAX_TX];
  int ntx;
  rx_ssrc_t rxs[MAX_RX_SSRC];
  int nrx;
  uint64_t rx_packets, rx_bytes, rx_rtcp, pli, fir, nack, tx_packets;
} session_t;

static media_t media[MAX_SLOTS];
static session_t sessions[MAX_SESSIONS];
static SSL_CTX *ctx;
static int ep;
static struct in_addr bind_addr; /* 127.0.0.1 unless argv[1] says otherwise */
static int max_sid = -1; /* highest session id in use: loops stop there */

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* ---------- media files: "CBRT" u32 count u32 loop_us u32 clock_rate, then per packet u32 offset_us u16 len bytes */

static int load_media(int slot, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  char magic[4];
  media_t *m = &media[slot];
  if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "CBRT", 4) != 0 || fread(&m->count, 4, 1, f) != 1 ||
      fread(&m->loop_us, 4, 1, f) != 1 || fread(&m->clock_rate, 4, 1, f) != 1) {
    fclose(f);
    return -1;
  }
  m->offset_us = calloc(m->count, sizeof *m->offset_us);
  m->len = calloc(m->count, sizeof *m->len);
  m->pkt = calloc(m->count, sizeof *m->pkt);
  for (uint32_t i = 0; i < m->count; i++) {
    if (fread(&m->offset_us[i], 4, 1, f) != 1 || fread(&m->len[i], 2, 1, f) != 1) return fclose(f), -1;
    m->pkt[i] = malloc(m->len[i]);
    if (fread(m->pkt[i], 1, m->len[i], f) != m->len[i]) return fclose(f), -1;
  }
  fclose(f);
  m->ts0 = m->count ? ntohl(*(uint32_t *)(m->pkt[0] + 4)) : 0;
  return 0;
}

/* ---------- STUN (RFC 5389 / 8445) */

static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static size_t put_attr(uint8_t *b, size_t off, uint16_t type, const void *v, uint16_t len) {
  b[off] = type >> 8, b[off + 1] = type & 0xFF, b[off + 2] = len >> 8, b[off + 3] = len & 0xFF;
  if (len) memcpy(b + off + 4, v, len);
  size_t padded = (len + 3u) & ~3u;
  memset(b + off + 4 + len, 0, padded - len);
  return off + 4 + padded;
}

static void set_len(uint8_t *b, size_t total) {
  b[2] = (uint8_t)((total - 20) >> 8), b[3] = (uint8_t)((total - 20) & 0xFF);
}

/* Appends MESSAGE-INTEGRITY (key = ICE password) and FINGERPRINT; returns the total length. */
static size_t finish_stun(uint8_t *b, size_t off, const char *pwd) {
  uint8_t mac[20];
  unsigned int maclen = 20;
  set_len(b, off + 24);
  HMAC(EVP_sha1(), pwd, (int)strlen(pwd), b, off, mac, &maclen);
  off = put_attr(b, off, 0x0008, mac, 20);
  set_len(b, off + 8);
  uint32_t fp = htonl(crc32(b, off) ^ 0x5354554Eu);
  off = put_attr(b, off, 0x8028, &fp, 4);
  return off;
}

static void stun_header(uint8_t *b, uint16_t type, const uint8_t *txid) {
  b[0] = type >> 8, b[1] = type & 0xFF, b[2] = b[3] = 0;
  uint32_t cookie = htonl(0x2112A442u);
  memcpy(b + 4, &cookie, 4);
  if (txid) memcpy(b + 8, txid, 12);
  else RAND_bytes(b + 8, 12);
}

static void dtls_flush(session_t *s);

static void send_raw(session_t *s, const void *p, size_t n) {
  if (!s->have_remote) return;
  sendto(s->fd, p, n, 0, (struct sockaddr *)&s->remote, sizeof s->remote);
}

static void send_binding_request(session_t *s) {
  uint8_t b[512];
  char user[330];
  stun_header(b, 0x0001, NULL);
  size_t off = 20;
  snprintf(user, sizeof user, "%s:%s", s->rufrag, s->lufrag);
  off = put_attr(b, off, 0x0006, user, (uint16_t)strlen(user));
  uint32_t prio = htonl(1853824767u);
  off = put_attr(b, off, 0x0024, &prio, 4);
  uint8_t tie[8];
  RAND_bytes(tie, 8);
  off = put_attr(b, off, s->controlling ? 0x802A : 0x8029, tie, 8);
  if (s->controlling) off = put_attr(b, off, 0x0025, NULL, 0);
  off = finish_stun(b, off, s->rpwd);
  send_raw(s, b, off);
}

static void on_stun(session_t *s, uint8_t *p, size_t n, struct sockaddr_in *from) {
  if (n < 20) return;
  uint16_t type = (uint16_t)(p[0] << 8 | p[1]);
  if (type != 0x0001) return; /* responses need no action: we keep sending checks as consent */
  if (!s->have_remote || s->remote.sin_port != from->sin_port) {
    s->remote = *from; /* ICE-lite side: the peer's check tells us where it is */
    s->have_remote = 1;
    if (s->ssl) dtls_flush(s);
  }
  uint8_t b[256];
  stun_header(b, 0x0101, p + 8);
  uint8_t xa[8] = {0, 1};
  uint16_t xport = ntohs(from->sin_port) ^ 0x2112;
  xa[2] = xport >> 8, xa[3] = xport & 0xFF;
  uint32_t xaddr = from->sin_addr.s_addr ^ htonl(0x2112A442u);
  memcpy(xa + 4, &xaddr, 4);
  size_t off = put_attr(b, 20, 0x0020, xa, 8);
  off = finish_stun(b, off, s->lpwd);
  send_raw(s, b, off);
}

/* ---------- DTLS (memory BIOs: datagrams are demultiplexed by us, RFC 7983) */

static void dtls_flush(session_t *s) {
  if (!s->have_remote) return; /* kept in the BIO until the peer's first check tells us its address */
  BIO *w = SSL_get_wbio(s->ssl);
  uint8_t b[8192];
  int n;
  while ((n = BIO_read(w, b, sizeof b)) > 0) send_raw(s, b, (size_t)n);
}

static int setup_srtp(session_t *s) {
  const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(s->ssl);
  if (!prof) return -1;
  srtp_policy_t tx, rx;
  memset(&tx, 0, sizeof tx);
  int klen, slen;
  switch (prof->id) {
    case SRTP_AEAD_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&tx.rtp), srtp_crypto_policy_set_aes_gcm_128_16_auth(&tx.rtcp);
      klen = 16, slen = 12;
      break;
    case SRTP_AEAD_AES_256_GCM:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&tx.rtp), srtp_crypto_policy_set_aes_gcm_256_16_auth(&tx.rtcp);
      klen = 32, slen = 12;
      break;
    case SRTP_AES128_CM_SHA1_80:
      srtp_crypto_policy_set_rtp_default(&tx.rtp), srtp_crypto_policy_set_rtcp_default(&tx.rtcp);
      klen = 16, slen = 14;
      break;
    default:
      return -1;
  }
  uint8_t km[2 * (32 + 14)], ck[46], sk[46];
  if (SSL_export_keying_material(s->ssl, km, (size_t)(2 * (klen + slen)), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
    return -1;
  memcpy(ck, km, klen), memcpy(ck + klen, km + 2 * klen, slen);
  memcpy(sk, km + klen, klen), memcpy(sk + klen, km + 2 * klen + slen, slen);
  rx = tx;
  tx.key = ck, tx.ssrc.type = ssrc_any_outbound, tx.window_size = 1024, tx.allow_repeat_tx = 1;
  rx.key = sk, rx.ssrc.type = ssrc_any_inbound, rx.window_size = 1024;
  if (srtp_create(&s->tx, &tx) != srtp_err_status_ok || srtp_create(&s->rx, &rx) != srtp_err_status_ok) return -1;
  return 0;
}

static void on_dtls(session_t *s, uint8_t *p, size_t n) {
  if (!s->ssl) return;
  BIO_write(SSL_get_rbio(s->ssl), p, (int)n);
  if (!s->connected) {
    int r = SSL_do_handshake(s->ssl);
    dtls_flush(s);
    if (r == 1) {
      if (setup_srtp(s) != 0) {
        emit("error %ld srtp", (long)(s - sessions));
        return;
      }
      s->connected = 1;
      s->connected_us = now_us();
      emit("connected %ld %llu", (long)(s - sessions), (unsigned long long)s->connected_us);
    }
  } else {
    uint8_t b[4096];
    while (SSL_read(s->ssl, b, sizeof b) > 0) {
    }
    dtls_flush(s);
  }
}

/* Retransmit a lost flight after 100 ms, not OpenSSL's 1 s: the first ClientHello often reaches a peer
 * whose ICE is not complete yet, and the default would add a second to every join on such servers. */
static unsigned int dtls_timer(SSL *ssl, unsigned int previous_us) {
  (void)ssl;
  return previous_us == 0 ? 100000 : (previous_us > 1000000 ? 2000000 : previous_us * 2);
}

static void start_dtls(session_t *s) {
  s->ssl = SSL_new(ctx);
  BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(r, -1);
  SSL_set_bio(s->ssl, r, w);
  SSL_set_options(s->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(s->ssl, 1200);
  SSL_set_connect_state(s->ssl);
  DTLS_set_timer_cb(s->ssl, dtls_timer);
  SSL_do_handshake(s->ssl);
  dtls_flush(s);
}

/* ---------- RTP / RTCP */

static void on_rtcp(session_t *s, uint8_t *p, size_t n) {
  s->rx_rtcp++;
  if (!s->rx || s->ntx == 0) return; /* only publishers care what the SFU asks of them */
  int len = (int)n;
  if (srtp_unprotect_rtcp(s->rx, p, &len) != srtp_err_status_ok) return;
  for (int off = 0; off + 4 <= len;) {
    uint8_t fmt = p[off] & 0x1F, pt = p[off + 1];
    int words = p[off + 2] << 8 | p[off + 3];
    int size = (words + 1) * 4;
    if (pt == 206 && fmt == 1) s->pli++;
    if (pt == 206 && fmt == 4) s->fir++;
    if (pt == 205 && fmt == 1) s->nack += (uint64_t)(size - 12) / 4;
    off += size;
  }
}

static void on_rtp(session_t *s, uint8_t *p, size_t n) {
  uint64_t t = now_us();
  if (!s->first_rx_us) {
    s->first_rx_us = t;
    emit("firstrx %ld %llu", (long)(s - sessions), (unsigned long long)t);
  }
  s->rx_packets++;
  s->rx_bytes += n;
  uint32_t ssrc = ntohl(*(uint32_t *)(p + 8));
  uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
  rx_ssrc_t *r = NULL;
  for (int i = 0; i < s->nrx; i++)
    if (s->rxs[i].ssrc == ssrc) r = &s->rxs[i];
  if (!r) {
    if (s->nrx == MAX_RX_SSRC) return;
    r = &s->rxs[s->nrx++];
    memset(r, 0, sizeof *r);
    r->ssrc = ssrc, r->base_seq = r->max_seq = seq;
  }
  r->received++;
  int16_t delta = (int16_t)(seq - r->max_seq);
  if (delta > 0) {
    if (seq < r->max_seq) r->cycles++;
    r->max_seq = seq;
  }
}

static uint64_t lost(session_t *s) {
  uint64_t l = 0;
  for (int i = 0; i < s->nrx; i++) {
    rx_ssrc_t *r = &s->rxs[i];
    uint64_t expected = (uint64_t)r->cycles * 65536u + r->max_seq - r->base_seq + 1;
    if (expected > r->received) l += expected - r->received;
  }
  return l;
}

static void send_rtp(session_t *s, tx_stream_t *t, uint64_t now) {
  media_t *m = &media[t->slot];
  while (m->count) {
    uint64_t due = t->start_us + (uint64_t)t->loop * m->loop_us + m->offset_us[t->next];
    if (due > now) return;
    uint8_t b[BUF + SRTP_MAX_TRAILER_LEN];
    uint16_t len = m->len[t->next];
    memcpy(b, m->pkt[t->next], len);
    b[1] = (uint8_t)((b[1] & 0x80) | t->pt);
    uint16_t seq = (uint16_t)(t->seq_base + t->packets);
    b[2] = seq >> 8, b[3] = seq & 0xFF;
    uint32_t ts = t->ts_base + (ntohl(*(uint32_t *)(b + 4)) - m->ts0) +
                  (uint32_t)((uint64_t)t->loop * m->loop_us * m->clock_rate / 1000000u);
    t->last_ts = ts;
    *(uint32_t *)(b + 4) = htonl(ts);
    *(uint32_t *)(b + 8) = htonl(t->ssrc);
    int n = len;
    if (srtp_protect(s->tx, b, &n) == srtp_err_status_ok) send_raw(s, b, (size_t)n);
    t->packets++, t->octets += len - 12u;
    s->tx_packets++;
    if (++t->next == m->count) t->next = 0, t->loop++;
  }
}

/* A sender report per stream: mediasoup needs them to switch simulcast layers. */
static void send_sr(session_t *s, uint64_t now) {
  for (int i = 0; i < s->ntx; i++) {
    tx_stream_t *t = &s->txs[i];
    uint8_t b[28 + SRTP_MAX_TRAILER_LEN + 4];
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint32_t w[7] = {htonl(0x80C80006u),
                     htonl(t->ssrc),
                     htonl((uint32_t)rt.tv_sec + 2208988800u),
                     htonl((uint32_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000u)),
                     htonl(t->last_ts),
                     htonl((uint32_t)t->packets),
                     htonl((uint32_t)t->octets)};
    memcpy(b, w, 28);
    int n = 28;
    if (t->packets && srtp_protect_rtcp(s->tx, b, &n) == srtp_err_status_ok) send_raw(s, b, (size_t)n);
  }
  s->last_sr_us = now;
}

/* ---------- sessions */

static void on_readable(session_t *s) {
  uint8_t b[BUF + 64];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t n;
  while ((n = recvfrom(s->fd, b, BUF, 0, (struct sockaddr *)&from, &fl)) > 0) {
    uint8_t c = b[0];
    if (c < 4) on_stun(s, b, (size_t)n, &from);
    else if (c >= 20 && c < 64) on_dtls(s, b, (size_t)n);
    else if (c >= 128 && c < 192 && n >= 12) {
      if (b[1] >= 192 && b[1] <= 223) on_rtcp(s, b, (size_t)n);
      else if (s->connected) on_rtp(s, b, (size_t)n);
    }
    fl = sizeof from;
  }
}

static void cmd_open(int sid) {
  session_t *s = &sessions[sid];
  memset(s, 0, sizeof *s);
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int size = 1 << 20;
  setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = bind_addr};
  bind(s->fd, (struct sockaddr *)&a, sizeof a);
  socklen_t al = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &al);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)sid + 1};
  epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
  s->used = 1;
  if (sid > max_sid) max_sid = sid;
  s->opened_us = now_us();
  emit("bound %d %d", sid, ntohs(a.sin_port));
}

static void cmd_connect(int sid, const char *ip, int port, const char *ru, const char *rp, const char *lu,
                        const char *lp, int controlling) {
  session_t *s = &sessions[sid];
  snprintf(s->rufrag, sizeof s->rufrag, "%s", ru);
  snprintf(s->rpwd, sizeof s->rpwd, "%s", rp);
  snprintf(s->lufrag, sizeof s->lufrag, "%s", lu);
  snprintf(s->lpwd, sizeof s->lpwd, "%s", lp);
  s->controlling = controlling;
  if (port > 0) {
    s->remote.sin_family = AF_INET;
    s->remote.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &s->remote.sin_addr);
    s->have_remote = 1;
  }
  if (controlling) send_binding_request(s);
  s->last_check_us = now_us();
  start_dtls(s);
}

static void cmd_send(int sid, int slot, uint32_t ssrc, int pt) {
  session_t *s = &sessions[sid];
  if (s->ntx == MAX_TX) return;
  tx_stream_t *t = &s->txs[s->ntx++];
  memset(t, 0, sizeof *t);
  t->slot = slot, t->ssrc = ssrc, t->pt = (uint8_t)pt;
  RAND_bytes((uint8_t *)&t->seq_base, 2);
  RAND_bytes((uint8_t *)&t->ts_base, 4);
}

static void cmd_close(int sid) {
  session_t *s = &sessions[sid];
  if (!s->used) return;
  epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  if (s->ssl) SSL_free(s->ssl);
  if (s->tx) srtp_dealloc(s->tx);
  if (s->rx) srtp_dealloc(s->rx);
  s->used = 0;
}

static void cmd_stats(void) {
  for (int i = 0; i < MAX_SESSIONS; i++) {
    session_t *s = &sessions[i];
    if (!s->used) continue;
    emit("stat %d %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", i, s->connected,
         (unsigned long long)s->connected_us, (unsigned long long)s->first_rx_us, (unsigned long long)s->rx_packets,
         (unsigned long long)s->rx_bytes, (unsigned long long)lost(s), (unsigned long long)s->tx_packets,
         (unsigned long long)s->pli, (unsigned long long)s->fir, (unsigned long long)s->nack,
         (unsigned long long)s->rx_rtcp, (unsigned long long)s->opened_us);
  }
  emit("statsend");
}

static void on_command(char *line) {
  char a[8][160];
  int n = sscanf(line, "%159s %159s %159s %159s %159s %159s %159s %159s", a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                 a[7]);
  char extra[160];
  if (n >= 2 && strcmp(a[0], "load") == 0) {
    if (sscanf(line, "load %*d %159s", extra) != 1 || load_media(atoi(a[1]) % MAX_SLOTS, extra) != 0)
      emit("error -1 cannot load %s", a[2]);
    else emit("loaded %s", a[1]);
    return;
  }
  int sid = n >= 2 ? atoi(a[1]) : -1;
  if (sid < 0 || sid >= MAX_SESSIONS) {
    if (n >= 1 && strcmp(a[0], "stats") == 0) cmd_stats();
    else if (n >= 1 && strcmp(a[0], "quit") == 0) exit(0);
    return;
  }
  if (strcmp(a[0], "open") == 0) cmd_open(sid);
  else if (strcmp(a[0], "connect") == 0 && n == 8 && sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %159s", extra) == 1)
    cmd_connect(sid, a[2], atoi(a[3]), a[4], a[5], a[6], a[7], atoi(extra));
  else if (strcmp(a[0], "send") == 0 && n >= 5)
    cmd_send(sid, atoi(a[2]) % MAX_SLOTS, (uint32_t)strtoul(a[3], NULL, 10), atoi(a[4]));
  else if (strcmp(a[0], "close") == 0) cmd_close(sid);
}

static int verify_any(int ok, X509_STORE_CTX *c) {
  (void)ok, (void)c;
  return 1; /* the SFU's certificate is checked by nobody here: this is a load generator on loopback */
}

static void init_tls(void) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(now_us() & 0x7FFFFFFF));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"conclave-bench", -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  ctx = SSL_CTX_new(DTLS_client_method());
  SSL_CTX_use_certificate(ctx, x);
  SSL_CTX_use_PrivateKey(ctx, key);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_any);
  SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80");
  unsigned char md[32];
  unsigned int mdlen = 32;
  X509_digest(x, EVP_sha256(), md, &mdlen);
  char hex[32 * 3 + 1];
  for (unsigned i = 0; i < mdlen; i++) sprintf(hex + i * 3, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
  emit("fingerprint %s", hex);
}

int main(int argc, char **argv) {
  inet_pton(AF_INET, argc > 1 ? argv[1] : "127.0.0.1", &bind_addr);
  crc_init();
  srtp_init();
  init_tls();
  ep = epoll_create1(0);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  char line[4096];
  size_t used = 0;
  uint64_t last_timer = 0;
  for (;;) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 2);
    for (int i = 0; i < n; i++) {
      uint32_t id = evs[i].data.u32;
      if (id > 0) {
        on_readable(&sessions[id - 1]);
        continue;
      }
      ssize_t r = read(0, line + used, sizeof line - 1 - used);
      if (r == 0) return 0; /* the driver went away */
      if (r < 0) continue;
      used += (size_t)r;
      line[used] = 0;
      char *start = line, *nl;
      while ((nl = strchr(start, '\n'))) {
        *nl = 0;
        on_command(start);
        start = nl + 1;
      }
      used = strlen(start);
      memmove(line, start, used + 1);
    }
    uint64_t t = now_us();
    for (int i = 0; i <= max_sid; i++) {
      session_t *s = &sessions[i];
      if (!s->used || !s->connected) continue;
      for (int k = 0; k < s->ntx; k++) {
        if (!s->txs[k].start_us) s->txs[k].start_us = t;
        send_rtp(s, &s->txs[k], t);
      }
      if (s->ntx && t - s->last_sr_us > 1000000) send_sr(s, t);
    }
    if (t - last_timer > 50000) {
      last_timer = t;
      for (int i = 0; i <= max_sid; i++) {
        session_t *s = &sessions[i];
        if (!s->used || !s->ssl) continue;
        if (!s->connected && DTLSv1_handle_timeout(s->ssl) > 0) dtls_flush(s);
        uint64_t every = s->connected ? 2000000 : 200000;
        if (s->controlling && t - s->last_check_us > every) {
          send_binding_request(s);
          s->last_check_us = t;
        }
      }
    }
  }
}
