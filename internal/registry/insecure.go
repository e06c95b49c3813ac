package registry

import (
	"net"
	"slices"
	"strings"
)

// Insecure is the plain-HTTP host policy: the registries reached over
// plain HTTP. Loopback addresses, localhost and *.localhost always are (RFC
// 6761 keeps those names on this machine); so are the listed hosts. An entry
// "host:port" names that port only, an entry "host" every port of host.
// The zero value is the loopback rule alone.
type Insecure []string

// PlainHTTP reports whether host ("host" or "host:port", as a reference
// names its registry) is reached over plain HTTP.
func (l Insecure) PlainHTTP(host string) bool {
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if IsLocal(name) {
		return true
	}
	return slices.ContainsFunc(l, func(e string) bool {
		e = strings.ToLower(strings.TrimSpace(e))
		return e != "" && (e == host || e == name)
	})
}

// Match is PlainHTTP in the form containerd's docker.WithPlainHTTP takes.
func (l Insecure) Match(host string) (bool, error) { return l.PlainHTTP(host), nil }

// IsLocal reports whether a host name (no port) stays on this machine:
// localhost, *.localhost or a loopback address.
func IsLocal(name string) bool {
	name = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(name), "["), "]")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
