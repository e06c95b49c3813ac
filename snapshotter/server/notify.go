package server

import (
	"net"
	"os"
)

// Notify sends state (e.g. "READY=1", "STOPPING=1") to systemd when the
// process runs under a Type=notify unit ($NOTIFY_SOCKET); otherwise it does
// nothing.
func Notify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	if addr[0] == '@' {
		addr = "\x00" + addr[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}
