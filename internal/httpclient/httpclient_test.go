package httpclient

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A server that accepts and never answers ends the request at the
// client's timeout instead of hanging it.
func TestClientTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, err := Client(200 * time.Millisecond).Get(srv.URL)
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestTransportHasTimeouts(t *testing.T) {
	tr := Transport()
	require.Equal(t, ResponseHeader, tr.ResponseHeaderTimeout)
	require.Equal(t, TLSHandshake, tr.TLSHandshakeTimeout)
	require.NotNil(t, tr.Proxy)
}
