package imagecache

import (
	"strings"
	"sync"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// stepCounter counts a build's steps from BuildKit's status stream: every
// completed vertex but BuildKit's internal ones and the exporters', as
// cached (reused) or not (run).
type stepCounter struct {
	mu     sync.Mutex
	cached map[digest.Digest]bool
}

func (s *stepCounter) update(st *bkclient.SolveStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil {
		s.cached = map[digest.Digest]bool{}
	}
	for _, v := range st.Vertexes {
		if v.Completed == nil || v.Error != "" || !isStep(v.Name) {
			continue
		}
		s.cached[v.Digest] = v.Cached
	}
}

func (s *stepCounter) counts() (run, reused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cached {
		if c {
			reused++
		} else {
			run++
		}
	}
	return run, reused
}

// isStep tells the user's steps (Feature installs, Dockerfile instructions,
// base images) from BuildKit's bookkeeping.
func isStep(name string) bool {
	for _, p := range []string{"[internal]", "[auth]", "exporting", "importing", "pushing", "resolve ", "load ", "fetch Feature", "resolve Feature", "stage Feature", "unpack Feature"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return name != ""
}
