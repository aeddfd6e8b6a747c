/* netns.c: network namespaces for `--hosts netns` (see netns.h). Every
 * namespace it makes it removes, on success and on failure; it never
 * touches a namespace it did not make. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define IP "/usr/sbin/ip"

const char *netns_unavailable(void)
{
	if (geteuid() != 0)
		return "--hosts netns needs root (it creates network "
		       "namespaces and veth links); run as root, or leave "
		       "--hosts out to use loopback addresses";
	if (access(IP, X_OK) != 0)
		return "--hosts netns needs ip(8) from iproute2";
	return NULL;
}

/* Run ip with the arguments given (NULL-terminated), quietly. 0 or -1. */
static int ip(const char *first, ...)
{
	char *argv[24];
	int n = 0;
	argv[n++] = IP;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 23; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			dup2(dn, 1);
			dup2(dn, 2);
		}
		execv(IP, argv);
		_exit(127);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

int netns_setup(netns_set *ns, size_t hosts, char *err, size_t errlen)
{
	memset(ns, 0, sizeof(*ns));
	if (hosts + 1 > NETNS_MAX || hosts + 1 > 240) {
		snprintf(err, errlen, "too many hosts for --hosts netns");
		return -1;
	}
	snprintf(ns->prefix, sizeof(ns->prefix), "cr%ld", (long)getpid());
	snprintf(ns->hub, sizeof(ns->hub), "%s-hub", ns->prefix);
	if (ip("netns", "add", ns->hub, NULL) != 0) {
		snprintf(err, errlen, "cannot create the namespace %s", ns->hub);
		return -1;
	}
	ns->hub_made = true;
	if (ip("-n", ns->hub, "link", "add", "br0", "type", "bridge",
	       NULL) != 0 ||
	    ip("-n", ns->hub, "link", "set", "br0", "up", NULL) != 0) {
		snprintf(err, errlen, "cannot make the bridge in %s", ns->hub);
		goto fail;
	}
	for (size_t i = 0; i <= hosts; i++) {
		char *name = ns->names[i], port[16], cidr[24];
		snprintf(name, NETNS_NAME_LEN, "%.12s-%u", ns->prefix,
			 (unsigned)i & 0xff);
		snprintf(port, sizeof(port), "p%u", (unsigned)i & 0xff);
		/* Hosts from .10 up, the authority at .2. */
		snprintf(ns->addrs[i], sizeof(ns->addrs[i]), "198.18.0.%u",
			 i == hosts ? 2u : 10u + ((unsigned)i & 0xff));
		snprintf(cidr, sizeof(cidr), "%s/24", ns->addrs[i]);
		if (ip("netns", "add", name, NULL) != 0) {
			snprintf(err, errlen, "cannot create the namespace %s",
				 name);
			goto fail;
		}
		ns->count = i + 1;
		if (ip("-n", name, "link", "set", "lo", "up", NULL) != 0 ||
		    ip("-n", ns->hub, "link", "add", port, "type", "veth",
		       "peer", "name", "eth0", "netns", name, NULL) != 0 ||
		    ip("-n", ns->hub, "link", "set", port, "master", "br0",
		       "up", NULL) != 0 ||
		    ip("-n", name, "addr", "add", cidr, "dev", "eth0",
		       NULL) != 0 ||
		    ip("-n", name, "link", "set", "eth0", "up", NULL) != 0) {
			snprintf(err, errlen, "cannot link the namespace %s",
				 name);
			goto fail;
		}
	}
	return 0;
fail:
	netns_teardown(ns);
	return -1;
}

void netns_teardown(netns_set *ns)
{
	for (size_t i = 0; i < ns->count; i++)
		ip("netns", "del", ns->names[i], NULL);
	if (ns->hub_made)
		ip("netns", "del", ns->hub, NULL);
	ns->count = 0;
	ns->hub_made = false;
}
