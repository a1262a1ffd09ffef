# The Mininet side of bench/deploy's chain comparison: N hosts in a chain of N-1 links, no switch,
# no controller, built and stopped with Mininet's Python API (Debian's `mininet` package; run with
# /usr/bin/python3). Prints one JSON line: {"buildMs": ..., "stopMs": ..., "hosts": N, "links": N-1}.
import json
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
setLogLevel('error')
t0 = time.perf_counter()
net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False, waitConnected=False)
hosts = [net.addHost('h%d' % (i + 1), ip=None) for i in range(n)]
for a, b in zip(hosts, hosts[1:]):
    net.addLink(a, b)
net.build()
build_ms = (time.perf_counter() - t0) * 1000
t1 = time.perf_counter()
net.stop()
stop_ms = (time.perf_counter() - t1) * 1000
print(json.dumps({'buildMs': build_ms, 'stopMs': stop_ms, 'hosts': n, 'links': n - 1}))
