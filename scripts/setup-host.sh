#!/bin/sh
# Installs the Debian packages dmmlab uses on the host (run once, as root).
#   iproute2 iputils-ping tcpdump  the datapath tools (also inside netns nodes)
#   radvd                          router advertisements from access routers
#   nftables                       the MRs' traffic observers filter and count in the kernel
#   tshark                         decoding captures in tests (Wireshark's CLI)
#   docker.io debootstrap          the Docker runtime and its offline node image
#   qemu-system-x86 busybox-static cpio  the VM runner for kernels without ip6tnl/netem
#   tmux                           the real-terminal TUI test
#   gcc libc6-dev                  compiles native/ (the agent host's helper) during npm ci
set -eu
if [ "$(id -u)" -ne 0 ]; then echo "setup-host.sh: run as root (sudo scripts/setup-host.sh)" >&2; exit 3; fi
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  iproute2 iputils-ping tcpdump radvd nftables tshark procps util-linux kmod \
  docker.io debootstrap qemu-system-x86 busybox-static cpio xz-utils zstd tmux ca-certificates \
  gcc libc6-dev >/dev/null
echo "setup-host.sh: host packages installed"
