package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/metrics"
)

// serveMetrics serves g on addr's /metrics until stop is called.
func serveMetrics(ctx context.Context, addr string, g prometheus.Gatherer) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(g))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.G(ctx).Warn("metrics listener stopped", "error", err)
		}
	}()
	log.G(ctx).Info("serving metrics", "address", l.Addr().String())
	return func() { _ = srv.Close() }, nil
}
