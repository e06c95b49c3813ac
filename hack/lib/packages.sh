#!/usr/bin/env bash
# shellcheck disable=SC2148
# ensure_debian_packages PKG... installs the Debian packages that are missing
# (apt-get, idempotent: nothing runs when all are installed). Source it after
# common.sh.
ensure_debian_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	need_root "installing ${missing[*]}"
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
