/*
 * The physical floor of forwarding one packet on this machine: one AES-128-GCM seal of a 1,200-byte packet
 * (what SRTP with AEAD costs) plus one UDP send on loopback, one packet per sendto() and batched 32 per
 * sendmmsg(). A second thread drains the receiving socket so the sender never hits a full buffer.
 * Prints one JSON object: CPU µs per packet of the sending thread for seal, send, seal+send, seal+sendmmsg.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 1200
#define BATCH 32

static volatile int running = 1;

static double thread_cpu_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *drain(void *arg) {
  int fd = *(int *)arg;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  static char bufs[BATCH][2048];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i], iov[i].iov_len = sizeof bufs[i];
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i], msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (running) recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL); /* SO_RCVTIMEO wakes it to stop */
  return NULL;
}

static EVP_CIPHER_CTX *ctx;
static unsigned char key[16], iv[12], aad[12], tag[16];

static void seal(unsigned char *out, const unsigned char *in, unsigned counter) {
  int len;
  memcpy(iv + 8, &counter, 4); /* a fresh nonce per packet, as SRTP derives from the sequence number */
  EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
  EVP_EncryptUpdate(ctx, NULL, &len, aad, sizeof aad);
  EVP_EncryptUpdate(ctx, out, &len, in, SIZE);
  EVP_EncryptFinal_ex(ctx, out + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
  int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 8 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct timeval wake = {0, 100000};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof wake);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  bind(rx, (struct sockaddr *)&a, sizeof a);
  getsockname(rx, (struct sockaddr *)&a, &al);
  connect(tx, (struct sockaddr *)&a, sizeof a);
  pthread_t drainer;
  pthread_create(&drainer, NULL, drain, &rx);

  ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, NULL);
  static unsigned char in[SIZE], out[BATCH][SIZE + 16];
  memset(in, 0xAB, sizeof in);

  double t0 = thread_cpu_us();
  for (unsigned i = 0; i < n; i++) seal(out[0], in, i);
  double t1 = thread_cpu_us();
  for (unsigned i = 0; i < n; i++) send(tx, out[0], SIZE + 16, 0);
  double t2 = thread_cpu_us();
  for (unsigned i = 0; i < n; i++) {
    seal(out[0], in, i);
    send(tx, out[0], SIZE + 16, 0);
  }
  double t3 = thread_cpu_us();
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = out[i], iov[i].iov_len = SIZE + 16;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i], msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (unsigned i = 0; i < n; i += BATCH) {
    for (int k = 0; k < BATCH; k++) seal(out[k], in, i + (unsigned)k);
    sendmmsg(tx, msgs, BATCH, 0);
  }
  double t4 = thread_cpu_us();
  running = 0;
  pthread_join(drainer, NULL);
  printf("{\"packets\":%u,\"sealUs\":%.3f,\"sendUs\":%.3f,\"sealSendUs\":%.3f,\"sealSendmmsgUs\":%.3f,\"batch\":%d}\n", n,
         (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n, (t4 - t3) / n, BATCH);
  return 0;
}
