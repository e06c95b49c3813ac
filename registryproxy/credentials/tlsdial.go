package credentials

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// alertWait bounds how long a failed write waits for the alert that
// explains it.
const alertWait = 2 * time.Second

// dialTLS connects to an https admin endpoint. The connection it returns
// reports the endpoint's TLS alert, not the broken pipe, when a write fails
// because the endpoint refused the client (see alertConn).
func dialTLS(cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			c.ServerName = host
		}
		tc := tls.Client(raw, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return &alertConn{Conn: tc}, nil
	}
}

// alertConn is a client TLS connection whose failed writes say why the
// server closed it. In TLS 1.3 the client's handshake ends before the server
// has checked the client certificate: the server's refusal (an alert such
// as "certificate required" or "bad certificate") arrives after the client
// has started writing its request, and the server's close makes that write
// fail with a broken pipe or a reset. The alert is then waiting to be read:
// a failed write reads it and returns it instead.
type alertConn struct {
	*tls.Conn
}

func (c *alertConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil {
		if alert := c.pendingAlert(); alert != nil {
			return n, alert
		}
	}
	return n, err
}

// pendingAlert reads what the server sent before it closed the connection
// and returns it when it is a TLS alert. (crypto/tls keeps a received alert
// as the connection's read error, so a concurrent reader that got it first
// leaves it for this one.)
func (c *alertConn) pendingAlert() error {
	_ = c.SetReadDeadline(time.Now().Add(alertWait))
	var one [1]byte
	_, err := c.Read(one[:])
	if err != nil && isRemoteTLSAlert(err) {
		return err
	}
	return nil
}
