package credentials

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/tlsfiles"
	"github.com/devcache/devcache/internal/tlsfiles/tlstest"
)

// TestRefusalOnWrite: in TLS 1.3 a client without a certificate finishes
// its handshake, and the endpoint's refusal reaches it only as a write that
// fails once the endpoint has closed. That write reports the alert.
func TestRefusalOnWrite(t *testing.T) {
	ca := tlstest.NewCA(t, "fleet")
	url := tlsAdmin(t, ca, tls.RequireAndVerifyClientCert, CertificateAuth{})
	pool, err := tlsfiles.CertPool(ca.File)
	require.NoError(t, err)
	conn, err := dialTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})(context.Background(), "tcp", url[len("https://"):])
	require.NoError(t, err, "TLS 1.3: the handshake completes before the endpoint checks the client")
	defer conn.Close()

	// Write until the endpoint's close breaks the connection.
	deadline := time.Now().Add(10 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = conn.Write([]byte("POST /v1/credentials HTTP/1.1\r\n"))
		time.Sleep(10 * time.Millisecond)
	}
	require.Error(t, err)
	var op *net.OpError
	require.True(t, errors.As(err, &op), "%v", err)
	assert.Equal(t, "remote error", op.Op, "the write reports the endpoint's alert: %v", err)
	assert.Contains(t, err.Error(), "certificate required")
}
