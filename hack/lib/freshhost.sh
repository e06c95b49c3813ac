#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# freshhost.sh starts runner hosts as a new machine has them, for the warm-start
# measurements of hack/demo and hack/bench-imagecache: a devcache-snapshotter
# (bin/devcache-snapshotter, its own root) and a containerd with its own root
# (an empty content store) that uses it as the proxy snapshotter "devcache" and
# can unpack into overlayfs for full pulls. It is the shell twin of
# integration/testenv.FreshHost (BenchmarkWarmStart), with the same containerd
# configuration as contrib/snapshotter gives a runner. Source it after
# hack/lib/common.sh and `eval "$(hack/stack up)"`.
#
#   freshhost_up NAME     start host NAME under ${DEVCACHE_STATE}/fresh/NAME; sets
#                         FRESH_ADDRESS (containerd socket) and FRESH_DOCKER_CONFIG
#                         (the snapshotter's $DOCKER_CONFIG)
#   freshhost_down NAME   stop it by PID and detach what it mounted
#   freshhost_down_all    every host started by this shell

FRESH_HOSTS=()

freshhost_up() {
	local name=$1 dir="${DEVCACHE_STATE}/fresh/$1"
	freshhost_down "${name}" 2>/dev/null || true
	rm -rf "${dir}"
	mkdir -p "${dir}/docker"
	DOCKER_CONFIG="${dir}/docker" setsid "${REPO_ROOT}/bin/devcache-snapshotter" --root "${dir}/plugin" \
		--address "${dir}/p.sock" >"${dir}/plugin.log" 2>&1 </dev/null &
	echo $! >"${dir}/plugin.pid"
	cat >"${dir}/containerd.toml" <<-TOML
	version = 3
	root = "${dir}/containerd-root"
	state = "${dir}/containerd-state"
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
	[grpc]
	  address = "${dir}/c.sock"
	[ttrpc]
	  address = "${dir}/c.sock.ttrpc"
	[proxy_plugins.devcache]
	  type = "snapshot"
	  address = "${dir}/p.sock"
	  [proxy_plugins.devcache.exports]
	    root = "${dir}/plugin"
	    enable_remote_snapshot_annotations = "true"
	[[plugins."io.containerd.transfer.v1.local".unpack_config]]
	  platform = "linux/$(go env GOARCH)"
	  snapshotter = "devcache"
	[[plugins."io.containerd.transfer.v1.local".unpack_config]]
	  platform = "linux/$(go env GOARCH)"
	  snapshotter = "overlayfs"
	TOML
	for _ in $(seq 1 300); do [[ -S ${dir}/p.sock ]] && break; sleep 0.1; done
	[[ -S ${dir}/p.sock ]] || { tail -n 20 "${dir}/plugin.log" >&2; die "devcache-snapshotter of ${name} did not start"; }
	setsid containerd --config "${dir}/containerd.toml" >"${dir}/containerd.log" 2>&1 </dev/null &
	echo $! >"${dir}/containerd.pid"
	for _ in $(seq 1 300); do ctr --address "${dir}/c.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
	ctr --address "${dir}/c.sock" version >/dev/null 2>&1 || { tail -n 20 "${dir}/containerd.log" >&2; die "containerd of ${name} did not start"; }
	FRESH_HOSTS+=("${name}")
	FRESH_ADDRESS="${dir}/c.sock"
	FRESH_DOCKER_CONFIG="${dir}/docker"
}

freshhost_down() {
	local dir="${DEVCACHE_STATE}/fresh/$1" p pid mp
	for p in containerd plugin; do
		[[ -f ${dir}/${p}.pid ]] || continue
		pid="$(cat "${dir}/${p}.pid")"
		kill -TERM "${pid}" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${pid}" 2>/dev/null || true
		rm -f "${dir}/${p}.pid"
	done
	# containerd's shims outlive it by design; stop this host's.
	pkill -TERM -f "containerd-shim-runc-v2 .*-address ${dir}/c.sock" 2>/dev/null || true
	awk -v d="${dir}/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r mp; do
		umount -l "${mp}" 2>/dev/null || true
	done
}

freshhost_down_all() {
	local h
	for h in "${FRESH_HOSTS[@]}"; do freshhost_down "${h}"; done
}
