/*
 * ifname-shim: lets one agent host receive link-local datagrams for many nodes.
 *
 * An agent host (agent/host.ts) runs in the host's network namespace while its
 * sockets live in the nodes' namespaces (native/netns-socket.c). When a
 * datagram from a link-local address arrives, Node turns the sender's scope
 * (an interface index of the node's namespace) into a name with
 * if_indextoname(3), which looks the index up in the namespace of the calling
 * thread: the host's, where it usually does not exist. Node then fails the
 * receive (ENXIO, "uv_if_indextoiid") and the datagram is lost.
 *
 * Preloaded into the agent host only (LD_PRELOAD), this if_indextoname asks
 * the real one first and, when the index is unknown here, answers with the
 * index in decimal ("fe80::1%57"), which is all the agent needs: it replies
 * through the socket the datagram came in on, never by that name.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <net/if.h>
#include <stdio.h>

char *if_indextoname(unsigned int ifindex, char ifname[IF_NAMESIZE]) {
  static char *(*real)(unsigned int, char *);
  if (!real) real = (char *(*)(unsigned int, char *))dlsym(RTLD_NEXT, "if_indextoname");
  char *name = real ? real(ifindex, ifname) : NULL;
  if (name) return name;
  snprintf(ifname, IF_NAMESIZE, "%u", ifindex);
  return ifname;
}
