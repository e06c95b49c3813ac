package imagecache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRenewing(t *testing.T) {
	now := time.Unix(1000, 0)
	issued := 0
	issue := func(context.Context) (*HostCredentials, error) {
		issued++
		return &HostCredentials{Host: "proxy:5000", Password: string(rune('a' + issued)), ExpiresAt: now.Add(9 * time.Second)}, nil
	}
	r := NewRenewing(&HostCredentials{Host: "proxy:5000", Password: "a", ExpiresAt: now.Add(9 * time.Second)}, issue)
	r.issued, r.now = now, func() time.Time { return now }
	ctx := context.Background()

	c, err := r.Credentials(ctx, "proxy:5000")
	require.NoError(t, err)
	require.Equal(t, "a", c.Password, "fresh: kept")
	c, err = r.Credentials(ctx, "elsewhere:5000")
	require.NoError(t, err)
	require.Nil(t, c, "another host is not served")

	now = now.Add(5 * time.Second) // 4 s of 9 left: more than a third
	c, _ = r.Current(ctx)
	require.Equal(t, "a", c.Password)
	now = now.Add(2 * time.Second) // 2 s left: renewed
	c, _ = r.Current(ctx)
	require.Equal(t, "b", c.Password)
	require.Equal(t, 1, r.Renewals())

	// A failed renewal keeps a credential that is still valid, and fails
	// once it has expired.
	r.Issue = func(context.Context) (*HostCredentials, error) { return nil, errors.New("admin endpoint down") }
	now = now.Add(7 * time.Second)
	c, err = r.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, "b", c.Password)
	now = now.Add(3 * time.Second)
	_, err = r.Current(ctx)
	require.ErrorContains(t, err, "renewing the proxy credential")
	require.ErrorContains(t, err, "admin endpoint down")

	// Off: the first credential, however old.
	off := NewRenewing(&HostCredentials{Host: "proxy:5000", Password: "x", ExpiresAt: now}, issue)
	off.Off = true
	c, _ = off.Current(ctx)
	require.Equal(t, "x", c.Password)
}

func TestAuthOrder(t *testing.T) {
	a := Auth{nil, &HostCredentials{Host: "h1", Password: "1"}, &HostCredentials{Host: "h1", Password: "2"}, &HostCredentials{Host: "h2", Password: "3"}}
	c, _ := a.Credentials(context.Background(), "h1")
	require.Equal(t, "1", c.Password)
	c, _ = a.Credentials(context.Background(), "h2")
	require.Equal(t, "3", c.Password)
	c, _ = a.Credentials(context.Background(), "h3")
	require.Nil(t, c)
}
