#!/usr/bin/env bash
# Installs what `conntrack-mc live` and its tests need (iproute2, iptables, a C
# compiler, conntrack-tools for the control plane's `conntrack -D`, and
# libnetfilter-queue-dev with pkg-config for the NFQUEUE program live/ctmc-nfq.c)
# from Debian's packages, when running as root and something is missing.
# Without root it changes nothing: the live tests then skip, saying why.
set -u
[ "$(uname -s)" = Linux ] || exit 0
[ "$(id -u)" = 0 ] || { echo "install-live-deps: not root; live tests will be skipped" >&2; exit 0; }
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v conntrack >/dev/null || missing+=(conntrack)
# live/ctmc-nfq.c compiles against libnetfilter_queue; pkg-config gives its link flags.
[ -f /usr/include/libnetfilter_queue/libnetfilter_queue.h ] || missing+=(libnetfilter-queue-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "install-live-deps: no apt-get; install ${missing[*]} by hand" >&2; exit 0; }
echo "install-live-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null || echo "install-live-deps: apt-get failed; live tests will say what is missing" >&2
exit 0
