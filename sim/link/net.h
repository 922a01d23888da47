/* net: the sockets of live mode. Addresses are "HOST:PORT" with a numeric IPv4 or IPv6
 * ("[::1]:2525") host; nothing is looked up by name, so nothing leaves the machine
 * unless the user names another address. Listening anywhere but loopback needs the
 * caller's explicit permission (allow_public). */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stddef.h>

/* A listening, non-blocking socket on spec. Returns the fd, or -1 with err. */
int net_listen(const char *spec, int allow_public, char *err, size_t errcap);
/* The next pending connection, non-blocking, with its peer as "HOST:PORT" in addr.
 * Returns the fd, -1 when none is pending, -2 on error (err). */
int net_accept(int lfd, char *addr, size_t addrcap, char *err, size_t errcap);
/* A connection to spec, made within timeout_ms, then non-blocking. Returns the fd, or -1
 * with err. */
int net_connect(const char *spec, int timeout_ms, char *err, size_t errcap);
/* The port a listening socket got (for port 0: the one the kernel chose). */
unsigned net_local_port(int fd);
/* Is spec's host a loopback address? -1 when spec is not HOST:PORT. */
int net_is_loopback(const char *spec);

#endif
