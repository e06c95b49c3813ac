package capture

import (
	"bufio"
	"io"
	"sync"
)

// bufferedPipe is an io.Pipe with up to depth chunks of size bytes in
// flight, so the stages of the capture pipeline (walk, route, compress)
// overlap instead of handing over one write at a time.
type bufferedPipe struct {
	ch    chan []byte
	done  chan struct{}
	wOnce sync.Once
	rOnce sync.Once
	werr  error // the writer's close error, set before ch is closed
	rerr  error // the reader's close error, set before done is closed
	cur   []byte
}

// newBufferedPipe returns the reader and a buffered writer of a pipe. The
// writer must be closed with CloseWithError.
func newBufferedPipe(size, depth int) (*pipeReader, *pipeWriter) {
	p := &bufferedPipe{ch: make(chan []byte, depth), done: make(chan struct{})}
	w := &pipeWriter{p: p}
	w.bw = bufio.NewWriterSize(chunkWriter{p}, size)
	return &pipeReader{p}, w
}

type chunkWriter struct{ p *bufferedPipe }

func (c chunkWriter) Write(b []byte) (int, error) {
	buf := make([]byte, len(b))
	copy(buf, b)
	select {
	case c.p.ch <- buf:
		return len(b), nil
	case <-c.p.done:
		return 0, c.p.rerr
	}
}

type pipeWriter struct {
	p  *bufferedPipe
	bw *bufio.Writer
}

func (w *pipeWriter) Write(b []byte) (int, error) { return w.bw.Write(b) }

// CloseWithError flushes and closes the pipe; the reader sees err (io.EOF
// when nil) after the buffered data.
func (w *pipeWriter) CloseWithError(err error) {
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = io.EOF
	}
	w.p.wOnce.Do(func() {
		w.p.werr = err
		close(w.p.ch)
	})
}

type pipeReader struct{ p *bufferedPipe }

func (r *pipeReader) Read(b []byte) (int, error) {
	p := r.p
	for len(p.cur) == 0 {
		select {
		case c, ok := <-p.ch:
			if !ok {
				return 0, p.werr
			}
			p.cur = c
		case <-p.done:
			return 0, io.ErrClosedPipe
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// CloseWithError stops the writer, which gets err.
func (r *pipeReader) CloseWithError(err error) {
	if err == nil {
		err = io.ErrClosedPipe
	}
	r.p.rOnce.Do(func() {
		r.p.rerr = err
		close(r.p.done)
	})
}
