package server

import (
	"io"
	"net/http"
	"time"
)

// Body read limits. A request body must arrive at MinBodyRate on average
// once BodyGrace has passed, and never stall for longer than BodyStall;
// a /token body must arrive whole within TokenBodyTimeout. The connection's
// read deadline enforces them, so a client trickling bytes is cut off
// instead of holding a connection (and a goroutine) for as long as it likes.
const (
	MinBodyRate      = 32 << 10 // bytes per second
	BodyGrace        = 20 * time.Second
	BodyStall        = 60 * time.Second
	TokenBodyTimeout = 10 * time.Second
)

// guardBody wraps r.Body so that reading it is bounded in time. It must
// run before anything reads the body.
func guardBody(w http.ResponseWriter, r *http.Request, token bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	if token {
		_ = rc.SetReadDeadline(start.Add(TokenBodyTimeout))
		return
	}
	b := &rateBody{ReadCloser: r.Body, rc: rc, start: start}
	b.extend(start)
	r.Body = b
}

// rateBody moves the read deadline as bytes arrive: at the earlier of
// "the average rate falls below MinBodyRate" and "no byte for BodyStall".
type rateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	n     int64
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if n > 0 {
		b.extend(time.Now())
	}
	return n, err
}

func (b *rateBody) extend(now time.Time) {
	deadline := b.start.Add(BodyGrace + time.Duration(b.n/MinBodyRate)*time.Second)
	if stall := now.Add(BodyStall); stall.Before(deadline) {
		deadline = stall
	}
	_ = b.rc.SetReadDeadline(deadline)
}
