/*
 * ctmc-nfq: holds packets from one NFQUEUE queue and releases them in a chosen
 * order, so the live harness can make the kernel see two packets of one flow in
 * the order a model trace asks for (for example the second datagram first).
 *
 *   ctmc-nfq QUEUE_NUM HOLD ORDER TIMEOUT_MS
 *
 * It collects packets until it holds HOLD of them, or until TIMEOUT_MS have
 * passed since the first held one arrived, then accepts them all in ORDER:
 * fifo (arrival order), reverse (last arrived first) or alternate (fifo, then
 * reverse, then fifo, ... batch by batch). After each batch it prints one JSON
 * line; it prints "ready" once the queue is bound. SIGTERM or SIGINT accepts
 * whatever is still held, prints a summary line and exits 0. A setup failure
 * prints one line on stderr and exits 2.
 *
 * Build: cc -O2 -Wall -o ctmc-nfq live/ctmc-nfq.c $(pkg-config --libs libnetfilter_queue)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_HOLD 4096

static struct nfq_q_handle *qh;
static uint32_t held[MAX_HOLD];      /* packet ids, in arrival order */
static int nheld, hold;
static struct timespec first_at;    /* when held[0] arrived */
static const char *order;
static long batches, packets;
static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void fail(const char *what, const char *hint)
{
	fprintf(stderr, "ctmc-nfq: %s failed: %s%s\n", what, strerror(errno), hint);
	exit(2);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Accept every held packet in this batch's order and report the ids. */
static void release(void)
{
	if (nheld == 0)
		return;
	batches++;
	const char *how = order;
	if (strcmp(order, "alternate") == 0)
		how = (batches % 2 == 1) ? "fifo" : "reverse";
	int rev = strcmp(how, "reverse") == 0;
	printf("{\"batch\":%ld,\"held\":%d,\"order\":\"%s\",\"ids\":[", batches, nheld, how);
	for (int i = 0; i < nheld; i++) {
		uint32_t id = held[rev ? nheld - 1 - i : i];
		/* A failed verdict leaves the packet queued until we exit; say so
		 * but keep going, the harness reads the ids to see what happened. */
		if (nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL) < 0)
			fprintf(stderr, "ctmc-nfq: verdict for id %u failed: %s\n", id, strerror(errno));
		printf("%s%u", i ? "," : "", id);
	}
	printf("]}\n");
	fflush(stdout);
	packets += nheld;
	nheld = 0;
}

/* Called by nfq_handle_packet for each queued packet: just remember its id. */
static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	(void)q; (void)msg; (void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	if (nheld == hold)  /* cannot happen with one packet per recv, but never overflow */
		release();
	if (nheld == 0)
		clock_gettime(CLOCK_MONOTONIC, &first_at);
	held[nheld++] = ntohl(ph->packet_id);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ctmc-nfq QUEUE_NUM HOLD fifo|reverse|alternate TIMEOUT_MS\n");
		return 2;
	}
	char *end;
	long qnum = strtol(argv[1], &end, 10);
	if (*end || qnum < 0 || qnum > 65535) { fprintf(stderr, "ctmc-nfq: bad QUEUE_NUM %s\n", argv[1]); return 2; }
	long h = strtol(argv[2], &end, 10);
	if (*end || h < 1 || h > MAX_HOLD) { fprintf(stderr, "ctmc-nfq: bad HOLD %s (1..%d)\n", argv[2], MAX_HOLD); return 2; }
	hold = (int)h;
	order = argv[3];
	if (strcmp(order, "fifo") && strcmp(order, "reverse") && strcmp(order, "alternate")) {
		fprintf(stderr, "ctmc-nfq: bad ORDER %s (fifo, reverse or alternate)\n", order);
		return 2;
	}
	long timeout = strtol(argv[4], &end, 10);
	if (*end || timeout < 0 || timeout > 3600000) { fprintf(stderr, "ctmc-nfq: bad TIMEOUT_MS %s\n", argv[4]); return 2; }

	/* Block the stop signals except while waiting in ppoll, so a signal that
	 * arrives between checking `stop` and going to sleep is not lost. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		fail("sigaction", "");

	struct nfq_handle *nh = nfq_open();
	if (!nh)
		fail("nfq_open", "");
	/* No nfq_unbind_pf/nfq_bind_pf: kernels since 3.8 ignore them, and on older
	 * kernels unbinding would detach every other queue user of AF_INET. We only
	 * touch our own queue number. */
	qh = nfq_create_queue(nh, (uint16_t)qnum, on_packet, NULL);
	if (!qh)
		fail("nfq_create_queue", " (is another program bound to this queue number?)");
	/* Metadata only: we never look at payloads, so the kernel copies none. */
	if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0)
		fail("nfq_set_mode", "");
	int fd = nfq_fd(nh);
	printf("ready\n");
	fflush(stdout);

	char buf[65536] __attribute__((aligned));
	while (!stop) {
		/* Sleep until a packet comes, or until the held batch times out. */
		struct timespec ts, *tp = NULL;
		if (nheld > 0) {
			long left = timeout - ms_since(&first_at);
			if (left <= 0) {
				release();
				continue;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tp = &ts;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = ppoll(&pfd, 1, tp, &waitmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("ppoll", "");
		}
		if (r == 0)
			continue;  /* timeout: the top of the loop releases the batch */
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			/* ENOBUFS means the socket overflowed and the kernel dropped
			 * some queue messages; those packets stay queued, so carry on. */
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			fail("recv", "");
		}
		nfq_handle_packet(nh, buf, (int)n);
		if (nheld >= hold)
			release();
	}

	release();  /* never leave a packet queued behind us */
	printf("{\"done\":true,\"batches\":%ld,\"packets\":%ld}\n", batches, packets);
	fflush(stdout);
	nfq_destroy_queue(qh);
	nfq_close(nh);
	return 0;
}
