package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSealer(t *testing.T) {
	s, err := newSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	now := time.Now()
	id, err := s.seal(uploadSession{Repository: "projects/p/image-build", Subject: "c1", Backend: "/v2/x/blobs/uploads/u?_state=s", Expires: now.Add(time.Hour)})
	require.NoError(t, err)
	assert.NotContains(t, id, "_state")
	got, err := s.open(id, now)
	require.NoError(t, err)
	assert.Equal(t, "c1", got.Subject)
	_, err = s.open(id, now.Add(2*time.Hour))
	require.Error(t, err, "expired session")
	other, _ := newSealer([]byte("fedcba9876543210fedcba9876543210"))
	_, err = other.open(id, now)
	require.Error(t, err, "another deployment's secret")
	b := []byte(id)
	b[10] ^= 1
	_, err = s.open(string(b), now)
	require.Error(t, err, "tampered")
	_, err = newSealer([]byte("short"))
	assert.Error(t, err)
}

func TestNextPage(t *testing.T) {
	v := nextPage(`</v2/gitpod-runner-r1/projects/p/image-build/tags/list?last=b&n=5000>; rel="next"`)
	require.NotNil(t, v)
	assert.Equal(t, "last=b&n=1000", v.Encode())
	assert.Nil(t, nextPage(`</v2/x/tags/list?last=..%2f>; rel="next"`))
	assert.Nil(t, nextPage(""))
}

func TestRelayErrorSanitises(t *testing.T) {
	rec := httptest.NewRecorder()
	resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(`{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"gitpod-runner-r1/projects/p/x"}}]}`))}
	require.NoError(t, relayError(rec, resp))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.NotContains(t, rec.Body.String(), "gitpod-runner")
	assert.Contains(t, rec.Body.String(), "NAME_UNKNOWN")

	rec = httptest.NewRecorder()
	resp = &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{"Www-Authenticate": {`Basic realm="backend"`}}, Body: io.NopCloser(strings.NewReader("no"))}
	require.NoError(t, relayError(rec, resp))
	assert.Equal(t, http.StatusBadGateway, rec.Code, "the backend refusing the proxy is not the client's 401")
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
}

func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	u := k.lock("a")
	done := make(chan struct{})
	go func() { k.lock("a")(); close(done) }()
	select {
	case <-done:
		t.Fatal("second lock of the same key did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	k.lock("b")()
	u()
	<-done
	assert.Empty(t, k.m)
}
