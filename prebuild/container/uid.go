package container

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

// updateUIDScript gives user $1 the UID $2 and GID $3 (its primary group's
// GID too) in /etc/passwd and /etc/group, and its home folder, as the
// reference CLI's updateUID step does on Linux. It exits 3 when another
// user already has the UID.
const updateUIDScript = `set -e
u=$1 uid=$2 gid=$3
old_uid=$(id -u "$u"); old_gid=$(id -g "$u")
[ "$old_uid" = "$uid" ] && [ "$old_gid" = "$gid" ] && exit 0
if awk -F: -v u="$u" -v id="$uid" '$3 == id && $1 != u {f = 1} END {exit !f}' /etc/passwd; then
	echo "UID $uid belongs to another user"; exit 3
fi
home=$(awk -F: -v u="$u" '$1 == u {print $6}' /etc/passwd)
awk -F: -v OFS=: -v u="$u" -v uid="$uid" -v gid="$gid" '$1 == u {$3 = uid; $4 = gid} {print}' /etc/passwd > /etc/passwd.devcache
cat /etc/passwd.devcache > /etc/passwd; rm -f /etc/passwd.devcache
group=$(awk -F: -v g="$old_gid" '$3 == g {print $1; exit}' /etc/group)
if [ -n "$group" ] && ! awk -F: -v id="$gid" -v g="$group" '$3 == id && $1 != g {f = 1} END {exit !f}' /etc/group; then
	awk -F: -v OFS=: -v g="$group" -v gid="$gid" '$1 == g {$3 = gid} {print}' /etc/group > /etc/group.devcache
	cat /etc/group.devcache > /etc/group; rm -f /etc/group.devcache
fi
if [ -n "$home" ] && [ "$home" != / ] && [ -d "$home" ]; then chown -R "$uid:$gid" "$home"; fi
`

// UpdateUserUID gives user (a name) the UID and GID uid:gid, so files the
// remote user writes in a bind-mounted workspace belong to its owner. A UID
// another user of the container has is left alone (changed false).
func (c *Container) UpdateUserUID(ctx context.Context, user string, uid, gid uint32) (changed bool, err error) {
	var out bytes.Buffer
	code, err := c.Exec(ctx, lifecycle.Process{
		Args:   []string{"/bin/sh", "-c", updateUIDScript, "sh", user, strconv.FormatUint(uint64(uid), 10), strconv.FormatUint(uint64(gid), 10)},
		User:   "0:0",
		Output: &out,
	})
	if err != nil {
		return false, err
	}
	switch code {
	case 0:
	case 3:
		return false, nil
	default:
		return false, fmt.Errorf("updating %s's UID to %d:%d exited with %d: %s", user, uid, gid, code, strings.TrimSpace(out.String()))
	}
	c.mu.Lock()
	delete(c.users, user)
	c.mu.Unlock()
	return true, nil
}

// ResolvedUser is a user's ids and home as the container resolves them.
func (c *Container) ResolvedUser(ctx context.Context, name string) (uid, gid uint32, home string, err error) {
	u, err := c.resolveUser(ctx, name)
	return u.uid, u.gid, u.home, err
}
