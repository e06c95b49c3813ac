package credentials

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/token"
)

// TestCacheSwitchOff: with the proxy's cache switch off the admin endpoint
// refuses image-cache credentials, with a reason the client recognises,
// and keeps issuing prebuild ones (and those of clients that do not say).
func TestCacheSwitchOff(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ks, err := token.NewKeySet([]token.Key{{ID: "k", Private: priv}})
	require.NoError(t, err)
	local := &Local{Authority: token.NewAuthority(ks, "iss", "svc"), DefaultTTL: 10 * time.Minute, CacheDisabled: true}
	srv := httptest.NewServer(Handler(local, SecretAuth("secret")))
	defer srv.Close()
	c := NewClient(srv.URL, "secret")
	ctx := context.Background()

	for _, purpose := range []contract.Purpose{contract.PurposeCreate, contract.PurposeRebuild, contract.PurposeRefresh} {
		_, err = c.Issue(ctx, Request{Project: "p1", Purpose: purpose, For: ForImageCache})
		require.Error(t, err, purpose)
		assert.True(t, errors.Is(err, ErrCacheDisabled), "%v", err)
		assert.True(t, errdefs.IsPermissionDenied(err), "%v", err)
		assert.Contains(t, err.Error(), "image cache is disabled on this runner")
	}
	_, err = c.Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeCreate, For: ForPrebuild})
	require.NoError(t, err, "prebuild repositories are not affected by the image-cache switch")
	_, err = c.Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeCreate})
	require.NoError(t, err)

	local.CacheDisabled = false
	_, err = c.Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeCreate, For: ForImageCache})
	require.NoError(t, err)

	var r Request
	require.NoError(t, json.Unmarshal([]byte(`{"project":"p1","purpose":"create","for":"prebuild"}`), &r))
	assert.Equal(t, ForPrebuild, r.For)
	require.Error(t, json.Unmarshal([]byte(`{"project":"p1","purpose":"create","for":"everything"}`), &r))
}
