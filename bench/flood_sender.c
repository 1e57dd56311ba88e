/* One flood sender for bench/flood.py: sends one IPv4 packet, given in hex, as fast as the
 * kernel takes it for SECONDS seconds, 256 per sendmmsg through an AF_PACKET socket (no routing,
 * no qdisc), and prints how many it sent. The frame's destination MAC is given (the group's
 * 01:00:5e:.. for multicast, the master's for unicast).
 *   flood_sender IFNAME DST_MAC PACKET_HEX SECONDS
 * Built by `make bench-flood` with the host's cc; run as root inside the sender's namespace. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 256

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: %s IFNAME DST_MAC PACKET_HEX SECONDS\n", argv[0]);
		return 2;
	}
	unsigned char pkt[1500];
	size_t len = strlen(argv[3]) / 2;
	if (len == 0 || len > sizeof pkt)
		return 2;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(argv[3] + 2 * i, "%2x", &v) != 1)
			return 2;
		pkt[i] = (unsigned char)v;
	}
	struct sockaddr_ll to = {0};
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IP);
	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	to.sll_halen = 6;
	if (to.sll_ifindex == 0 ||
	    sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &to.sll_addr[0], &to.sll_addr[1],
		   &to.sll_addr[2], &to.sll_addr[3], &to.sll_addr[4], &to.sll_addr[5]) != 6) {
		fprintf(stderr, "bad interface or MAC\n");
		return 2;
	}
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	int one = 1;
	/* Straight to the driver: the veth's qdisc would only add a lock per packet. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
	struct iovec iov = {pkt, len};
	struct mmsghdr msgs[BATCH];
	memset(msgs, 0, sizeof msgs);
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof to;
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	double seconds = atof(argv[4]);
	double t0 = now(), end = t0 + seconds;
	unsigned long long sent = 0;
	while (now() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
	}
	printf("%llu %.3f\n", sent, now() - t0);
	return 0;
}
