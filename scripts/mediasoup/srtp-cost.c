/*
 * SRTP cost per packet: srtp_protect of a 1,200-byte RTP packet with AEAD_AES_128_GCM (what browsers negotiate
 * with mediasoup), N times, round-robin over S sessions with keys of their own (an SFU's fan-out: each packet is
 * sealed once per subscriber). Prints nanoseconds per packet (CPU time of this thread).
 * Built twice by srtp-cost.sh: against Debian's shared libsrtp2 (NSS) and the static OpenSSL build the worker
 * links; run under callgrind it also gives a load-independent instruction count per packet.
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  int sessions = argc > 2 ? atoi(argv[2]) : 50;
  if (n <= 0 || sessions <= 0 || sessions > 1000) return 4;
  if (srtp_init() != srtp_err_status_ok) return 1;
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  unsigned char key[SRTP_AEAD_SALT_LEN + 16];
  policy.key = key;
  policy.ssrc.type = ssrc_any_outbound;
  policy.window_size = 1024;
  srtp_t session[1000];
  for (int s = 0; s < sessions; s++) {
    for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(i * 7 + 1 + s);
    if (srtp_create(&session[s], &policy) != srtp_err_status_ok) return 2;
  }
  unsigned char packet[1200 + SRTP_MAX_TRAILER_LEN];
  struct timespec t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (int i = 0; i < n; i++) {
    memset(packet, 0xab, 1200);
    packet[0] = 0x80;
    packet[1] = 96;
    int seq = i / sessions;
    packet[2] = (unsigned char)(seq >> 8);
    packet[3] = (unsigned char)seq;
    uint32_t ts = (uint32_t)seq * 3000u, ssrc = 0x12345678u;
    memcpy(packet + 4, &ts, 4);
    memcpy(packet + 8, &ssrc, 4);
    int len = 1200;
    if (srtp_protect(session[i % sessions], packet, &len) != srtp_err_status_ok) return 3;
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
  printf("%.0f ns per 1,200-byte packet (srtp_protect, AES-128-GCM, %d packets over %d sessions)\n", ns / n, n,
         sessions);
  for (int s = 0; s < sessions; s++) srtp_dealloc(session[s]);
  return 0;
}
