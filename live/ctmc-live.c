/*
 * ctmc-live: the packet side of `conntrack-mc live`.
 *
 *   ctmc-live serve ADDR:PORT...
 *       UDP answerer: one socket per address, echoes every datagram back from
 *       the address it arrived on. Prints "ready" once bound; on SIGTERM prints
 *       one JSON line with how many queries each address received, and exits.
 *   ctmc-live send udp|udp-sendmmsg|tcp-syn|icmp SRC DST:PORT CPU,CPU,... TRIES STATPID
 *       Each try sends one packet per listed CPU at once: threads pinned to
 *       those CPUs wait on a barrier, then send on one shared UDP socket (a new
 *       one, so a new flow, per try), or send identical TCP SYNs through a raw
 *       socket. udp-sendmmsg sends them all from one thread with sendmmsg(),
 *       as glibc's resolver does. icmp sends identical ICMP echo requests (one
 *       echo id per try, so one flow) through a raw socket, as tcp-syn does its
 *       SYNs: a ping socket would serialize the threads under its lock.
 *       After each try it waits briefly for replies
 *       and reads the conntrack counters of the namespace of STATPID from
 *       /proc/STATPID/net/stat/nf_conntrack. One JSON line per try on stdout.
 *
 *   ctmc-live send udp-seq SRC DST:PORT,DST:PORT,... - TRIES STATPID
 *       Each try sends one datagram to each DST in turn from one new UDP
 *       socket (one source port), the next only once the answer to the one
 *       before came back (a scenario's after-reply chain).
 *
 *   ctmc-live stream SRC DST:PORT COUNT GAP_US
 *       A one-way UDP stream: from one new socket (a new flow), COUNT
 *       datagrams to DST, GAP_US microseconds apart; answers are not read.
 *       Prints one JSON line with what it sent and its source port.
 *
 * It only sends to DST, addresses the harness assigned inside its own
 * network namespaces.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXP 16

static void die(const char *what) {
  fprintf(stderr, "ctmc-live: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void parse_hostport(const char *s, struct sockaddr_in *a) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", s);
  char *colon = strrchr(buf, ':');
  if (!colon) { fprintf(stderr, "ctmc-live: expected ADDR:PORT, got %s\n", s); exit(2); }
  *colon = 0;
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, buf, &a->sin_addr) != 1) { fprintf(stderr, "ctmc-live: bad address %s\n", buf); exit(2); }
}

/* ---- serve ---- */
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int serve(int n, char **addrs) {
  struct pollfd pf[MAXP];
  long received[MAXP] = {0};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term; /* no SA_RESTART: poll returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  if (n > MAXP) n = MAXP;
  for (int i = 0; i < n; i++) {
    struct sockaddr_in a;
    parse_hostport(addrs[i], &a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    pf[i].fd = fd;
    pf[i].events = POLLIN;
  }
  printf("ready\n");
  fflush(stdout);
  while (!stop) {
    if (poll(pf, n, -1) < 0) { if (errno == EINTR) continue; die("poll"); }
    for (int i = 0; i < n; i++) {
      if (!(pf[i].revents & POLLIN)) continue;
      char buf[512];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t r = recvfrom(pf[i].fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
      if (r > 0) {
        received[i]++;
        sendto(pf[i].fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
      }
    }
  }
  printf("{\"received\":[");
  for (int i = 0; i < n; i++) printf("%s{\"at\":\"%s\",\"queries\":%ld}", i ? "," : "", addrs[i], received[i]);
  printf("]}\n");
  fflush(stdout);
  return 0;
}

/* ---- counters ---- */
struct counters { long long insert_failed, drop, clash_resolve; };

/* Sums the per-CPU hex columns insert_failed, drop and clashres (clash_resolve). */
static struct counters read_counters(const char *path) {
  struct counters c = {0, 0, 0};
  FILE *f = fopen(path, "r");
  if (!f) die(path);
  char line[1024];
  int col_if = -1, col_drop = -1, col_cr = -1;
  if (fgets(line, sizeof line, f)) {
    int col = 0;
    for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"), col++) {
      if (!strcmp(tok, "insert_failed")) col_if = col;
      else if (!strcmp(tok, "drop")) col_drop = col;
      else if (!strcmp(tok, "clashres") || !strcmp(tok, "clash_resolve")) col_cr = col;
    }
  }
  while (fgets(line, sizeof line, f)) {
    int col = 0;
    for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"), col++) {
      long long v = strtoll(tok, NULL, 16);
      if (col == col_if) c.insert_failed += v;
      else if (col == col_drop) c.drop += v;
      else if (col == col_cr) c.clash_resolve += v;
    }
  }
  fclose(f);
  return c;
}

/* ---- send ---- */
enum mode { UDP, UDP_SENDMMSG, TCP_SYN, PING, UDP_SEQ };
static enum mode mode;
static int nthreads, cpus[MAXP], sockfd;
static pthread_barrier_t barrier;
static struct sockaddr_in src, dst;
static uint16_t syn_sport, echo_id;

/* The Internet checksum, over bytes (no aliasing tricks), in network order. */
static uint32_t sum16(const uint8_t *b, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(b[i] << 8 | b[i + 1]);
  if (len & 1) sum += (uint32_t)b[len - 1] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

/* Sends `body` (len bytes of a transport header and payload, checksummed) in an IPv4 header from src to dst
 * through the raw socket: the header is ours (IPPROTO_RAW), so no socket lock serializes the threads. */
static void send_raw(uint8_t proto, const uint8_t *body, size_t len) {
  uint8_t pkt[64];
  struct iphdr ip;
  memset(&ip, 0, sizeof ip);
  ip.version = 4; ip.ihl = 5; ip.ttl = 64; ip.protocol = proto;
  ip.tot_len = htons((uint16_t)(sizeof ip + len));
  ip.saddr = src.sin_addr.s_addr; ip.daddr = dst.sin_addr.s_addr;
  uint8_t ib[sizeof ip];
  memcpy(ib, &ip, sizeof ip);
  ip.check = fold(sum16(ib, sizeof ib, 0));
  memcpy(pkt, &ip, sizeof ip);
  memcpy(pkt + sizeof ip, body, len);
  if (sendto(sockfd, pkt, sizeof ip + len, 0, (struct sockaddr *)&dst, sizeof dst) < 0) die("sendto");
}

static void send_syn(void) {
  struct tcphdr tcp;
  memset(&tcp, 0, sizeof tcp);
  tcp.source = htons(syn_sport); tcp.dest = dst.sin_port;
  tcp.seq = htonl(0x1000); tcp.doff = 5; tcp.syn = 1; tcp.window = htons(65535);
  /* pseudo header: source, destination, zero, protocol, TCP length */
  uint8_t ph[12];
  memcpy(ph, &src.sin_addr.s_addr, 4);
  memcpy(ph + 4, &dst.sin_addr.s_addr, 4);
  ph[8] = 0; ph[9] = IPPROTO_TCP; ph[10] = 0; ph[11] = sizeof tcp;
  uint8_t tb[sizeof tcp];
  memcpy(tb, &tcp, sizeof tcp);
  tcp.check = fold(sum16(tb, sizeof tb, sum16(ph, sizeof ph, 0)));
  memcpy(tb, &tcp, sizeof tcp);
  send_raw(IPPROTO_TCP, tb, sizeof tb);
}

static void send_echo(long seq) {
  struct icmphdr h;
  memset(&h, 0, sizeof h);
  h.type = ICMP_ECHO;
  h.un.echo.id = htons(echo_id);
  h.un.echo.sequence = htons((uint16_t)seq);
  uint8_t body[16];
  memcpy(body, &h, sizeof h);
  memcpy(body + sizeof h, "ctmc-liv", 8);
  h.checksum = fold(sum16(body, sizeof body, 0));
  memcpy(body, &h, sizeof h);
  send_raw(IPPROTO_ICMP, body, sizeof body);
}

/* Echo replies to this try's id that came back within the wait. */
static int echo_replies(int rx, int want) {
  int n = 0;
  struct pollfd pf = { rx, POLLIN, 0 };
  while (n < want && poll(&pf, 1, 50) > 0) {
    uint8_t buf[256];
    ssize_t r = recv(rx, buf, sizeof buf, 0);
    if (r < 28) continue;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if ((size_t)r < ihl + 8) continue;
    struct icmphdr h;
    memcpy(&h, buf + ihl, sizeof h);
    if (h.type == ICMP_ECHOREPLY && ntohs(h.un.echo.id) == echo_id) n++;
  }
  return n;
}

static void *sender(void *arg) {
  long i = (long)arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpus[i], &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  char payload[16];
  snprintf(payload, sizeof payload, "query-%ld", i);
  pthread_barrier_wait(&barrier);
  if (mode == TCP_SYN) send_syn();
  else if (mode == PING) send_echo(i);
  else if (send(sockfd, payload, strlen(payload), 0) < 0) die("send");
  return NULL;
}

static int send_tries(enum mode m, const char *srcaddr, const char *dsthp, const char *cpulist, int tries, const char *statpid) {
  mode = m;
  char path[128];
  snprintf(path, sizeof path, "/proc/%s/net/stat/nf_conntrack", statpid);
  struct sockaddr_in seq[MAXP];
  int nseq = 0;
  if (m == UDP_SEQ) {
    char dl[512];
    snprintf(dl, sizeof dl, "%s", dsthp);
    for (char *tok = strtok(dl, ","); tok && nseq < MAXP; tok = strtok(NULL, ",")) parse_hostport(tok, &seq[nseq++]);
    dst = seq[0];
  } else parse_hostport(dsthp, &dst);
  memset(&src, 0, sizeof src);
  src.sin_family = AF_INET;
  if (inet_pton(AF_INET, srcaddr, &src.sin_addr) != 1) { fprintf(stderr, "ctmc-live: bad address %s\n", srcaddr); exit(2); }
  char list[256];
  snprintf(list, sizeof list, "%s", cpulist);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (m == UDP_SEQ) nthreads = 1;
  else for (char *tok = strtok(list, ","); tok && nthreads < MAXP; tok = strtok(NULL, ",")) cpus[nthreads++] = atoi(tok) % (int)ncpu;
  int rx = -1;
  if (m == TCP_SYN || m == PING) {
    sockfd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (sockfd < 0) die("raw socket");
  }
  if (m == PING) {
    rx = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (rx < 0) die("raw icmp socket");
  }
  for (int t = 0; t < tries; t++) {
    struct counters before = read_counters(path);
    if (m == UDP_SEQ) {
      /* One source port for the whole chain; unconnected, so each send names its destination. */
      sockfd = socket(AF_INET, SOCK_DGRAM, 0);
      if (sockfd < 0) die("socket");
      if (bind(sockfd, (struct sockaddr *)&src, sizeof src) < 0) die("bind");
      int sent = 0, replies = 0;
      for (int k = 0; k < nseq; k++) {
        char payload[16];
        snprintf(payload, sizeof payload, "query-%d", k);
        if (sendto(sockfd, payload, strlen(payload), 0, (struct sockaddr *)&seq[k], sizeof seq[k]) < 0) die("sendto");
        sent++;
        struct pollfd pf = { sockfd, POLLIN, 0 };
        char buf[64];
        if (poll(&pf, 1, 200) > 0 && recv(sockfd, buf, sizeof buf, 0) > 0) replies++;
        else break; /* the next query waits for this answer */
      }
      close(sockfd);
      struct counters after = read_counters(path);
      printf("{\"try\":%d,\"sent\":%d,\"replies\":%d,\"insert_failed\":%lld,\"drop\":%lld,\"clash_resolve\":%lld}\n", t, sent, replies,
             after.insert_failed - before.insert_failed, after.drop - before.drop, after.clash_resolve - before.clash_resolve);
      continue;
    }
    if (m == PING) {
      echo_id = (uint16_t)(1000 + t % 60000);
    } else if (m != TCP_SYN) {
      sockfd = socket(AF_INET, SOCK_DGRAM, 0);
      if (sockfd < 0) die("socket");
      if (bind(sockfd, (struct sockaddr *)&src, sizeof src) < 0) die("bind");
      if (connect(sockfd, (struct sockaddr *)&dst, sizeof dst) < 0) die("connect");
    } else {
      syn_sport = (uint16_t)(20000 + t % 40000);
    }
    if (m == UDP_SENDMMSG) {
      /* glibc's resolver: one thread, one sendmmsg() with both queries. */
      struct mmsghdr msgs[MAXP];
      struct iovec iov[MAXP];
      char payload[MAXP][16];
      memset(msgs, 0, sizeof msgs);
      for (int i = 0; i < nthreads; i++) {
        snprintf(payload[i], 16, "query-%d", i);
        iov[i].iov_base = payload[i];
        iov[i].iov_len = strlen(payload[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      if (sendmmsg(sockfd, msgs, (unsigned)nthreads, 0) < 0) die("sendmmsg");
    } else {
      pthread_t th[MAXP];
      pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
      for (long i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, sender, (void *)i);
      for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
      pthread_barrier_destroy(&barrier);
    }
    int replies = 0;
    if (m == PING) {
      replies = echo_replies(rx, nthreads);
    } else if (m != TCP_SYN) {
      struct pollfd pf = { sockfd, POLLIN, 0 };
      while (replies < nthreads && poll(&pf, 1, 50) > 0) {
        char buf[64];
        if (recv(sockfd, buf, sizeof buf, 0) > 0) replies++;
      }
      close(sockfd);
    } else {
      usleep(2000);
    }
    struct counters after = read_counters(path);
    printf("{\"try\":%d,\"sent\":%d,\"replies\":%d,\"insert_failed\":%lld,\"drop\":%lld,\"clash_resolve\":%lld}\n", t, nthreads,
           m == TCP_SYN ? -1 : replies, after.insert_failed - before.insert_failed, after.drop - before.drop,
           after.clash_resolve - before.clash_resolve);
  }
  fflush(stdout);
  return 0;
}

/* ---- stream ---- */
static int stream(const char *srcaddr, const char *dsthp, int count, int gap_us) {
  struct sockaddr_in s, d;
  memset(&s, 0, sizeof s);
  s.sin_family = AF_INET;
  if (inet_pton(AF_INET, srcaddr, &s.sin_addr) != 1) { fprintf(stderr, "ctmc-live: bad address %s\n", srcaddr); exit(2); }
  parse_hostport(dsthp, &d);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr *)&s, sizeof s) < 0) die("bind");
  if (connect(fd, (struct sockaddr *)&d, sizeof d) < 0) die("connect");
  socklen_t sl = sizeof s;
  getsockname(fd, (struct sockaddr *)&s, &sl);
  int sent = 0;
  for (int i = 0; i < count; i++) {
    char payload[16];
    snprintf(payload, sizeof payload, "stat-%d", i);
    if (send(fd, payload, strlen(payload), 0) >= 0) sent++;
    if (gap_us > 0) usleep((useconds_t)gap_us);
  }
  close(fd);
  printf("{\"sent\":%d,\"sport\":%d}\n", sent, ntohs(s.sin_port));
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "serve")) return serve(argc - 2, argv + 2);
  if (argc == 6 && !strcmp(argv[1], "stream")) return stream(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
  if (argc == 8 && !strcmp(argv[1], "send")) {
    enum mode m = !strcmp(argv[2], "udp") ? UDP : !strcmp(argv[2], "udp-sendmmsg") ? UDP_SENDMMSG : !strcmp(argv[2], "tcp-syn") ? TCP_SYN
                : !strcmp(argv[2], "icmp") ? PING : !strcmp(argv[2], "udp-seq") ? UDP_SEQ : (enum mode)-1;
    if ((int)m < 0) { fprintf(stderr, "ctmc-live: unknown mode %s\n", argv[2]); return 2; }
    return send_tries(m, argv[3], argv[4], argv[5], atoi(argv[6]), argv[7]);
  }
  fprintf(stderr, "usage: ctmc-live serve ADDR:PORT... | send udp|udp-sendmmsg|tcp-syn|icmp SRC DST:PORT CPUS TRIES STATPID | send udp-seq SRC DST:PORT,... - TRIES STATPID | stream SRC DST:PORT COUNT GAP_US\n");
  return 2;
}
