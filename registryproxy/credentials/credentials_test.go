package credentials

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/token"
)

func TestRequestJSON(t *testing.T) {
	b, err := json.Marshal(Request{Project: "p1", Purpose: contract.PurposeCreate, TTL: 10 * time.Minute})
	require.NoError(t, err)
	assert.JSONEq(t, `{"project":"p1","purpose":"create","ttl":"10m0s"}`, string(b))
	var r Request
	require.NoError(t, json.Unmarshal([]byte(`{"project":"p1","purpose":"rebuild","ttl":"90s"}`), &r))
	assert.Equal(t, Request{Project: "p1", Purpose: contract.PurposeRebuild, TTL: 90 * time.Second}, r)
	require.Error(t, json.Unmarshal([]byte(`{"project":"p1","purpose":"create","admin":true}`), &r))
	require.Error(t, json.Unmarshal([]byte(`{"project":"p1","ttl":"soon"}`), &r))
}

func TestAdminEndpoint(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ks, err := token.NewKeySet([]token.Key{{ID: "k", Private: priv}})
	require.NoError(t, err)
	auth := token.NewAuthority(ks, "iss", "svc")
	srv := httptest.NewServer(Handler(&Local{Authority: auth, DefaultTTL: 10 * time.Minute, MaxTTL: time.Hour}, SecretAuth("secret")))
	defer srv.Close()
	ctx := context.Background()

	c, err := NewClient(srv.URL, "secret").Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeRebuild})
	require.NoError(t, err)
	assert.Equal(t, token.Username, c.Username)
	assert.WithinDuration(t, time.Now().Add(10*time.Minute), c.ExpiresAt, 5*time.Second)
	claims, err := auth.VerifyCredential(c.Password)
	require.NoError(t, err)
	assert.Equal(t, contract.PurposeRebuild, claims.Purpose)

	_, err = NewClient(srv.URL, "wrong").Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeCreate})
	assert.True(t, errdefs.IsUnauthorized(err))
	_, err = NewClient(srv.URL, "secret").Issue(ctx, Request{Project: "p1", Purpose: "admin"})
	assert.True(t, errdefs.IsInvalidArgument(err))
	_, err = NewClient(srv.URL, "secret").Issue(ctx, Request{Project: "p1", Purpose: contract.PurposeCreate, TTL: 2 * time.Hour})
	assert.True(t, errdefs.IsInvalidArgument(err), "above the maximum lifetime")
}
