package container

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

// user is a resolved container user.
type user struct {
	uid, gid uint32
	home     string
}

var (
	userName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	numericUID = regexp.MustCompile(`^([0-9]+)(?::([0-9]+))?$`)
)

// resolveUser finds a user's ids and home in the container, asking the
// container's own id(1) and shell (as its /etc/passwd, NSS or LDAP say), once
// per name.
func (c *Container) resolveUser(ctx context.Context, name string) (user, error) {
	c.mu.Lock()
	u, ok := c.users[name]
	c.mu.Unlock()
	if ok {
		return u, nil
	}
	if m := numericUID.FindStringSubmatch(name); m != nil {
		uid, _ := strconv.ParseUint(m[1], 10, 32)
		gid := uid
		if m[2] != "" {
			gid, _ = strconv.ParseUint(m[2], 10, 32)
		}
		return user{uid: uint32(uid), gid: uint32(gid)}, nil
	}
	if !userName.MatchString(name) {
		return user{}, fmt.Errorf("user name %q: %w", name, errdefs.ErrInvalidArgument)
	}
	var out bytes.Buffer
	code, err := c.Exec(ctx, lifecycle.Process{
		Args:   []string{"/bin/sh", "-c", `id -u "$1" && id -g "$1" && eval echo "~$1"`, "sh", name},
		Output: &out,
	})
	if err != nil {
		return user{}, err
	}
	f := strings.Fields(out.String())
	if code != 0 || len(f) != 3 {
		return user{}, fmt.Errorf("user %q is not known in the container: %s: %w", name, strings.TrimSpace(out.String()), errdefs.ErrNotFound)
	}
	uid, err1 := strconv.ParseUint(f[0], 10, 32)
	gid, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return user{}, fmt.Errorf("user %q: unexpected id output %q", name, out.String())
	}
	u = user{uid: uint32(uid), gid: uint32(gid), home: f[2]}
	c.mu.Lock()
	c.users[name] = u
	c.mu.Unlock()
	return u, nil
}
