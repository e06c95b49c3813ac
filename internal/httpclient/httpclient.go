// Package httpclient gives every outbound HTTP client of devcache its
// timeouts, so no registry, Feature server or proxy that stops answering can
// hang a command: a bound on connecting, on the TLS handshake and on the
// wait for response headers, and on a whole small request.
package httpclient

import (
	"net"
	"net/http"
	"time"
)

// The timeouts. A response's body may take longer than ResponseHeader (a
// large layer); Request bounds small request/response exchanges (a token,
// a credential, a Feature tarball) as a whole.
const (
	Dial           = 30 * time.Second
	TLSHandshake   = 10 * time.Second
	ResponseHeader = 60 * time.Second
	Request        = 5 * time.Minute
)

// Transport returns a new transport with the timeouts above, proxies from
// the environment and HTTP/2, as net/http's default transport otherwise.
func Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: Dial, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = TLSHandshake
	t.ResponseHeaderTimeout = ResponseHeader
	return t
}

// Client returns a client over Transport whose requests, body included,
// end after timeout (Request when 0).
func Client(timeout time.Duration) *http.Client {
	if timeout == 0 {
		timeout = Request
	}
	return &http.Client{Transport: Transport(), Timeout: timeout}
}
