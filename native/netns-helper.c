/*
 * netns-helper: what one agent process needs to serve many nodes of a lab,
 * each in its own network namespace. Two things Node.js cannot do by itself:
 *
 * 1. socketIn: open a socket inside another network namespace.
 *
 * Node.js cannot enter a network namespace (setns(2) is not in its API), and
 * a socket belongs for its whole life to the namespace it was created in. So
 * one agent process can serve many nodes of a lab only if something creates
 * each node's sockets in that node's namespace and hands the descriptor over.
 * This function does exactly that, on the calling thread only: it switches
 * the thread into the namespace, creates (and optionally binds) the socket,
 * switches back, and returns the descriptor, which Node then wraps
 * (dgram's bind({ fd }), net.Server's listen({ fd }), new net.Socket({ fd })).
 * Network namespaces are per thread for setns(2), so nothing else in the
 * process is affected, and the switch lasts a few microseconds.
 *
 *   socketIn(nsPath, kind, address | null, port, ifname | null) -> fd
 *     kind 0: UDP (SOCK_DGRAM), 1: TCP (SOCK_STREAM); AF_INET6; SO_REUSEADDR set.
 *     address: bind to it (with the scope of `ifname`, resolved in the
 *     namespace, for a link-local address); null: leave unbound.
 *
 * 2. spawnIn: start a program inside a node's namespace without forking the
 *    agent process. Node's child_process forks, and fork(2) copies the page
 *    tables of the whole process: with hundreds of nodes in one process that
 *    is several milliseconds per program, during which no node's agent runs.
 *    posix_spawn(3) in glibc uses clone(CLONE_VM|CLONE_VFORK): its cost does
 *    not grow with the process. The calling thread enters the namespace for
 *    the spawn, so the program starts inside it (no nsenter), and goes back.
 *
 *   spawnIn(nsPath, argv[], pipeStdin, pipeStdout, pipeStderr) -> [pid, stdinFd, stdoutFd, stderrFd]
 *     Streams not piped are /dev/null (their fd -1 here). Signal dispositions
 *     and mask are reset to the defaults in the program. The caller reaps it:
 *
 *   reap(pid) -> null while it runs, [0, exit code] or [1, signal number] once
 *     it ended, [-1, errno] when it is no child of this process (any more).
 *
 * 3. linksIn: the interfaces of a node's namespace with their flags
 *    (getifaddrs(3) there), instead of starting `ip link show` in it.
 *
 *   linksIn(nsPath) -> [[name, ifindex, flags], ...]  (flags: IFF_*, IFF_LOWER_UP is carrier)
 *
 * 4. netlinkTalk: one rtnetlink request on a NETLINK_ROUTE socket that socketIn
 *    opened in a node (kind 2), and its acknowledgement: the route, rule and
 *    neighbour changes of a handover without waking an `ip` process.
 *
 *   netlinkTalk(fd, request) -> [errno, message | null]: errno 0, or the one the kernel answered
 *     (the request asks for an ACK; its sequence number is matched), and the kernel's extended-ACK
 *     message when it gave one (what `ip` prints as "Error: ..."). errnoText(n) -> strerror(n), what
 *     `ip` prints after "RTNETLINK answers: " when there is no such message.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static napi_value fail(napi_env env, const char *what, const char *detail, int err) {
  char msg[640];
  snprintf(msg, sizeof msg, "%s%s%s: %s", what, detail ? " " : "", detail ? detail : "", strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static int string_arg(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  size_t len = 0;
  buf[0] = '\0';
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok && len < size - 1;
}

static napi_value socket_in(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char ns[512], address[INET6_ADDRSTRLEN + 1], ifname[IF_NAMESIZE + 1];
  int32_t kind = 0, port = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return fail(env, "socketIn", "needs 5 arguments", EINVAL);
  if (!string_arg(env, argv[0], ns, sizeof ns)) return fail(env, "socketIn", "namespace path", EINVAL);
  napi_get_value_int32(env, argv[1], &kind);
  string_arg(env, argv[2], address, sizeof address);
  napi_get_value_int32(env, argv[3], &port);
  string_arg(env, argv[4], ifname, sizeof ifname);

  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return fail(env, "open", "/proc/thread-self/ns/net", errno);
  int target = open(ns, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    return fail(env, "open", ns, e);
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(self);
    close(target);
    return fail(env, "setns", ns, e);
  }
  close(target);

  int err = 0;
  const char *step = "socket";
  int fd = kind == 2 ? socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)
                    : socket(AF_INET6, (kind == 1 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) err = errno;
  if (!err && kind == 2) {
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  }
  if (!err && kind != 2) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (!err && kind != 2 && address[0]) {
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((uint16_t)port);
    if (ifname[0]) {
      sa.sin6_scope_id = if_nametoindex(ifname);
      if (sa.sin6_scope_id == 0) err = errno, step = "if_nametoindex";
    }
    if (!err && inet_pton(AF_INET6, address, &sa.sin6_addr) != 1) err = EINVAL, step = "inet_pton";
    if (!err && bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) err = errno, step = "bind";
  }
  int back = setns(self, CLONE_NEWNET);
  int back_err = errno;
  close(self);
  if (back < 0) {
    if (fd >= 0) close(fd);
    return fail(env, "setns back", NULL, back_err);
  }
  if (err) {
    if (fd >= 0) close(fd);
    return fail(env, step, address[0] ? address : NULL, err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static int bool_arg(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

static napi_value spawn_in(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  char ns[512];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 5) return fail(env, "spawnIn", "needs 5 arguments", EINVAL);
  if (!string_arg(env, args[0], ns, sizeof ns)) return fail(env, "spawnIn", "namespace path", EINVAL);
  uint32_t n = 0;
  bool is_array = false;
  napi_is_array(env, args[1], &is_array);
  if (!is_array || napi_get_array_length(env, args[1], &n) != napi_ok || n == 0 || n > 4096) return fail(env, "spawnIn", "argv", EINVAL);
  char **argv = calloc(n + 1, sizeof(char *));
  if (!argv) return fail(env, "spawnIn", NULL, ENOMEM);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t len = 0;
    napi_get_element(env, args[1], i, &item);
    if (napi_get_value_string_utf8(env, item, NULL, 0, &len) != napi_ok || !(argv[i] = malloc(len + 1))) {
      for (uint32_t j = 0; j < i; j++) free(argv[j]);
      free(argv);
      return fail(env, "spawnIn", "argv must be strings", EINVAL);
    }
    napi_get_value_string_utf8(env, item, argv[i], len + 1, &len);
  }
  int want[3] = {bool_arg(env, args[2]), bool_arg(env, args[3]), bool_arg(env, args[4])};
  int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int err = 0;
  const char *step = "pipe";
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < 3 && !err; i++) {
    if (!want[i]) {
      posix_spawn_file_actions_addopen(&actions, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
      continue;
    }
    if (pipe2(fds[i], O_CLOEXEC) < 0) {
      err = errno;
      break;
    }
    /* The program's end: the read end of stdin, the write ends of stdout and stderr. */
    posix_spawn_file_actions_adddup2(&actions, i == 0 ? fds[i][0] : fds[i][1], i);
  }
  sigset_t defaults, none;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  int self = -1;
  if (!err) {
    step = "setns";
    self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = self < 0 ? -1 : open(ns, O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) err = errno;
    if (target >= 0) close(target);
  }
  if (!err) {
    step = argv[0];
    err = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
  }
  if (self >= 0) {
    if (setns(self, CLONE_NEWNET) < 0 && !err) err = errno, step = "setns back";
    close(self);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  /* The program's ends are its own now; ours stay. */
  if (fds[0][0] >= 0) close(fds[0][0]);
  if (fds[1][1] >= 0) close(fds[1][1]);
  if (fds[2][1] >= 0) close(fds[2][1]);
  int mine[3] = {fds[0][1], fds[1][0], fds[2][0]};
  if (err) {
    for (int i = 0; i < 3; i++)
      if (mine[i] >= 0) close(mine[i]);
    char what[256];
    snprintf(what, sizeof what, "%s", step);
    for (uint32_t i = 0; i < n; i++) free(argv[i]);
    free(argv);
    return fail(env, "spawn", what, err);
  }
  for (uint32_t i = 0; i < n; i++) free(argv[i]);
  free(argv);
  napi_value out, v;
  napi_create_array_with_length(env, 4, &out);
  napi_create_int32(env, pid, &v);
  napi_set_element(env, out, 0, v);
  for (int i = 0; i < 3; i++) {
    napi_create_int32(env, mine[i], &v);
    napi_set_element(env, out, i + 1, v);
  }
  return out;
}

static napi_value reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  int32_t pid = 0;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 1) return fail(env, "reap", "needs a pid", EINVAL);
  napi_get_value_int32(env, args[0], &pid);
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  napi_value out, a, b;
  if (r == 0) {
    napi_get_null(env, &out);
    return out;
  }
  int kind = r < 0 ? -1 : WIFEXITED(status) ? 0 : 1;
  int value = r < 0 ? errno : WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, kind, &a);
  napi_create_int32(env, value, &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

static napi_value links_in(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  char ns[512];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 1 || !string_arg(env, args[0], ns, sizeof ns))
    return fail(env, "linksIn", "namespace path", EINVAL);
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return fail(env, "open", "/proc/thread-self/ns/net", errno);
  int target = open(ns, O_RDONLY | O_CLOEXEC);
  int err = 0;
  if (target < 0 || setns(target, CLONE_NEWNET) < 0) err = errno;
  if (target >= 0) close(target);
  struct ifaddrs *list = NULL;
  if (!err && getifaddrs(&list) < 0) err = errno;
  int back = setns(self, CLONE_NEWNET);
  int back_err = errno;
  close(self);
  if (back < 0) {
    if (list) freeifaddrs(list);
    return fail(env, "setns back", NULL, back_err);
  }
  if (err) return fail(env, "linksIn", ns, err);
  napi_value out;
  napi_create_array(env, &out);
  uint32_t n = 0;
  for (struct ifaddrs *a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET) continue;
    napi_value row, v;
    napi_create_array_with_length(env, 3, &row);
    napi_create_string_utf8(env, a->ifa_name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 0, v);
    napi_create_int32(env, ((struct sockaddr_ll *)a->ifa_addr)->sll_ifindex, &v);
    napi_set_element(env, row, 1, v);
    napi_create_uint32(env, a->ifa_flags, &v);
    napi_set_element(env, row, 2, v);
    napi_set_element(env, out, n++, row);
  }
  freeifaddrs(list);
  return out;
}

static napi_value netlink_talk(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  int32_t fd = -1;
  void *data = NULL;
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2) return fail(env, "netlinkTalk", "needs 2 arguments", EINVAL);
  napi_get_value_int32(env, args[0], &fd);
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, args[1], &type, &len, &data, &buffer, &offset) != napi_ok || type != napi_uint8_array || len < sizeof(struct nlmsghdr))
    return fail(env, "netlinkTalk", "request", EINVAL);
  uint32_t seq = ((struct nlmsghdr *)data)->nlmsg_seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  int result = 0;
  const char *message = NULL;
  if (sendto(fd, data, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return fail(env, "netlinkTalk", "send", errno);
  char reply[8192];
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, 2000);
    if (ready <= 0) return fail(env, "netlinkTalk", "no acknowledgement", ready < 0 ? errno : ETIMEDOUT);
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(env, "netlinkTalk", "recv", errno);
    }
    int done = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
      result = -e->error;
      done = 1;
      if (result && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
        /* The extended ACK's attributes follow the error and the request (all of it, or its header when capped). */
        size_t at = sizeof *e + ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN);
        size_t end = h->nlmsg_len - NLMSG_HDRLEN;
        char *base = (char *)NLMSG_DATA(h);
        while (at + NLA_HDRLEN <= end) {
          struct nlattr *a = (struct nlattr *)(base + at);
          if (a->nla_len < NLA_HDRLEN || at + a->nla_len > end) break;
          if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN) {
            char *text = base + at + NLA_HDRLEN;
            if (text[a->nla_len - NLA_HDRLEN - 1] == '\0') message = text;
            break;
          }
          at += NLA_ALIGN(a->nla_len);
        }
      }
      break;
    }
    if (done) break;
  }
  napi_value out, v;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, result, &v);
  napi_set_element(env, out, 0, v);
  if (message) napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

static napi_value errno_text(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 1) return fail(env, "errnoText", "needs an errno", EINVAL);
  napi_get_value_int32(env, args[0], &n);
  napi_value out;
  napi_create_string_utf8(env, strerror(n), NAPI_AUTO_LENGTH, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "netlinkTalk", NAPI_AUTO_LENGTH, netlink_talk, NULL, &fn);
  napi_set_named_property(env, exports, "netlinkTalk", fn);
  napi_create_function(env, "errnoText", NAPI_AUTO_LENGTH, errno_text, NULL, &fn);
  napi_set_named_property(env, exports, "errnoText", fn);
  napi_create_function(env, "linksIn", NAPI_AUTO_LENGTH, links_in, NULL, &fn);
  napi_set_named_property(env, exports, "linksIn", fn);
  napi_create_function(env, "socketIn", NAPI_AUTO_LENGTH, socket_in, NULL, &fn);
  napi_set_named_property(env, exports, "socketIn", fn);
  napi_create_function(env, "spawnIn", NAPI_AUTO_LENGTH, spawn_in, NULL, &fn);
  napi_set_named_property(env, exports, "spawnIn", fn);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, reap, NULL, &fn);
  napi_set_named_property(env, exports, "reap", fn);
  return exports;
}
