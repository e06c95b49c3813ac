package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the backend probe of one readiness check.
const readyTimeout = 5 * time.Second

// DebugHandler serves the debug listener: /metrics, liveness
// (/debug/health), readiness (/debug/ready) and pprof (/debug/pprof/).
// None of these is ever routed on the registry listener.
func (s *Service) DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/health", s.live)
	mux.HandleFunc("/debug/ready", s.ready)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// live is the liveness probe: the process serves HTTP. It never looks at
// the backend, so a backend outage does not restart every replica.
func (s *Service) live(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready is the readiness probe: the signing keys are loaded and the
// backend answers /v2/ below 500. Each failed check is named in the body.
func (s *Service) ready(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"keys": "ok", "backend": "ok"}
	ok := true
	if err := s.keysLoaded(); err != nil {
		checks["keys"], ok = err.Error(), false
	}
	if err := s.backendReachable(r.Context()); err != nil {
		checks["backend"], ok = err.Error(), false
	}
	body := map[string]any{"status": "ok", "checks": checks}
	if !ok {
		body["status"] = "unavailable"
		writeStatus(w, http.StatusServiceUnavailable, body)
		return
	}
	writeStatus(w, http.StatusOK, body)
}

func (s *Service) keysLoaded() error {
	switch {
	case s.Authority == nil || s.Keys == nil:
		return fmt.Errorf("no key file loaded")
	case len(s.Keys.SigningKeys) == 0:
		return fmt.Errorf("no signing keys")
	case len(s.Keys.UploadSecret) == 0:
		return fmt.Errorf("no upload secret")
	}
	return nil
}

func (s *Service) backendReachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := s.Backend.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("backend unreachable: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("backend answered %d", resp.StatusCode)
	}
	return nil
}

func writeStatus(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
