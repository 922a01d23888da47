/* net: see net.h. */
#include "sim/link/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Parses "HOST:PORT" / "[V6]:PORT" into sa. Returns 0 or -1. */
static int parse(const char *spec, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[64];
	const char *colon;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host)
			return -1;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof host)
			return -1;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return -1;
	unsigned long port = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return 0;
	}
	return -1;
}

int net_is_loopback(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (parse(spec, &sa, &len))
		return -1;
	if (sa.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&sa)->sin6_addr);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

int net_listen(const char *spec, int allow_public, char *err, size_t errcap)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (parse(spec, &sa, &len)) {
		snprintf(err, errcap, "'%s' is not HOST:PORT with a numeric address (127.0.0.1:2525, [::1]:2525)", spec);
		return -1;
	}
	if (!net_is_loopback(spec) && !allow_public) {
		snprintf(err, errcap, "%s is not a loopback address; listening there needs --public", spec);
		return -1;
	}
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 128) || nonblock(fd)) {
		snprintf(err, errcap, "cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void addr_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &v4->sin_addr, h, sizeof h);
		snprintf(out, cap, "%s:%u", h, ntohs(v4->sin_port));
	} else {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &v6->sin6_addr, h, sizeof h);
		snprintf(out, cap, "[%s]:%u", h, ntohs(v6->sin6_port));
	}
}

int net_accept(int lfd, char *addr, size_t addrcap, char *err, size_t errcap)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
			return -1;
		snprintf(err, errcap, "accept: %s", strerror(errno));
		return -2;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	addr_text(&sa, addr, addrcap);
	return fd;
}

int net_connect(const char *spec, int timeout_ms, char *err, size_t errcap)
{
	struct sockaddr_storage sa;
	socklen_t len;
	if (parse(spec, &sa, &len)) {
		snprintf(err, errcap, "'%s' is not HOST:PORT with a numeric address (127.0.0.1:25, [::1]:25)", spec);
		return -1;
	}
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || nonblock(fd)) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, len) && errno != EINPROGRESS) {
		snprintf(err, errcap, "cannot connect to %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int so = 0;
	socklen_t sl = sizeof so;
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) || so) {
		snprintf(err, errcap, "cannot connect to %s: %s", spec, r == 0 ? "timed out" : strerror(so ? so : errno));
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

unsigned net_local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}
