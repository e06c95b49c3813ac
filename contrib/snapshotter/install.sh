#!/usr/bin/env bash
# install.sh installs devcache-snapshotter on a runner host: the binary, the
# systemd unit and the containerd configuration, then (re)starts both.
#
#   sudo contrib/snapshotter/install.sh [path/to/devcache-snapshotter]
#
# Without an argument the binary is built from this checkout (needs Go).
# Environment: PREFIX (/usr/local), CONTAINERD_CONFIG (/etc/containerd/config.toml),
# NO_START=1 to install without starting anything.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
PREFIX="${PREFIX:-/usr/local}"
CONTAINERD_CONFIG="${CONTAINERD_CONFIG:-/etc/containerd/config.toml}"

if [[ $(id -u) -ne 0 ]]; then
	echo "install.sh: run as root" >&2
	exit 1
fi
[[ -e /dev/fuse ]] || echo "install.sh: warning: /dev/fuse is missing; prebuilds will be restored fully (not lazily)" >&2
grep -qw overlay /proc/filesystems || echo "install.sh: warning: overlayfs is not available in this kernel" >&2

bin="${1:-}"
if [[ -z ${bin} ]]; then
	bin="$(mktemp -d)/devcache-snapshotter"
	(cd "${repo}" && CGO_ENABLED=0 go build -o "${bin}" ./cmd/devcache-snapshotter)
fi
install -D -m 0755 "${bin}" "${PREFIX}/bin/devcache-snapshotter"
sed "s#/usr/local/bin/devcache-snapshotter#${PREFIX}/bin/devcache-snapshotter#" \
	"${here}/devcache-snapshotter.service" >/etc/systemd/system/devcache-snapshotter.service
install -d -m 0700 /var/lib/devcache-snapshotter /etc/devcache-snapshotter

install -d "$(dirname "${CONTAINERD_CONFIG}")"
if [[ ! -s ${CONTAINERD_CONFIG} ]]; then
	echo "version = 3" >"${CONTAINERD_CONFIG}"
fi
if grep -q 'proxy_plugins.devcache\]' "${CONTAINERD_CONFIG}"; then
	echo "install.sh: ${CONTAINERD_CONFIG} already configures devcache; left unchanged"
elif grep -qE '^\[proxy_plugins\]|unpack_config' "${CONTAINERD_CONFIG}"; then
	echo "install.sh: ${CONTAINERD_CONFIG} has [proxy_plugins] or unpack_config already;" >&2
	echo "            merge ${here}/containerd-config.toml by hand" >&2
else
	case "$(uname -m)" in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) arch="$(uname -m)" ;;
	esac
	{ echo; sed "s#linux/amd64#linux/${arch}#" "${here}/containerd-config.toml"; } >>"${CONTAINERD_CONFIG}"
	echo "install.sh: added devcache to ${CONTAINERD_CONFIG}"
fi

if [[ ${NO_START:-} == 1 ]]; then
	exit 0
fi
systemctl daemon-reload
systemctl enable --now devcache-snapshotter.service
systemctl restart containerd.service
echo "install.sh: devcache-snapshotter $("${PREFIX}/bin/devcache-snapshotter" --version) is running;"
echo "            try: ctr image pull --snapshotter devcache <image>"
