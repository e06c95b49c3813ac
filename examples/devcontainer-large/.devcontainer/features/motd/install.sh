#!/bin/sh
set -e
echo "${MESSAGE}" > /etc/motd
