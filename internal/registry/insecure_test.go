package registry

import "testing"

func TestInsecurePlainHTTP(t *testing.T) {
	l := Insecure{"registry.internal:5000", "mirror.corp", " "}
	for host, want := range map[string]bool{
		"localhost":              true,
		"localhost:5000":         true,
		"registry.localhost":     true, // *.localhost is loopback (RFC 6761); hostkey once said no
		"Cache.Localhost:443":    true,
		"127.0.0.1:5765":         true,
		"127.1.2.3":              true,
		"[::1]:5000":             true,
		"::1":                    true,
		"registry.internal:5000": true,
		"registry.internal:5001": false, // an entry with a port names that port
		"registry.internal":      false,
		"mirror.corp":            true,
		"mirror.corp:8443":       true, // an entry without a port names every port
		"localhost.example.com":  false,
		"10.0.0.1:5000":          false,
		"index.docker.io":        false,
		"":                       false,
	} {
		if got := l.PlainHTTP(host); got != want {
			t.Errorf("PlainHTTP(%q) = %v, want %v", host, got, want)
		}
	}
	if (Insecure)(nil).PlainHTTP("mirror.corp") {
		t.Error("the zero policy reaches a listed-only host over plain HTTP")
	}
}

func TestInsecureParseReference(t *testing.T) {
	l := Insecure{"mirror.corp"}
	for ref, scheme := range map[string]string{
		"mirror.corp/a/b:1": "http",
		"registry.localhost:5000/a@sha256:0000000000000000000000000000000000000000000000000000000000000000": "http",
		"ghcr.io/devcontainers/features/go:1": "https",
		"ubuntu:latest":                       "https", // Docker Hub, not a host called "ubuntu:latest"
	} {
		r, err := l.ParseReference(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if got := r.Context().Scheme(); got != scheme {
			t.Errorf("%s: scheme %s, want %s", ref, got, scheme)
		}
	}
	if _, err := l.ParseReference("UPPER/case"); err == nil {
		t.Error("a malformed reference parsed")
	}
}
