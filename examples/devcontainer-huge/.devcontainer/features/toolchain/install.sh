#!/bin/sh
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # PACKAGES is a list
apt-get install -y --no-install-recommends ${PACKAGES}
rm -rf /var/lib/apt/lists/*
