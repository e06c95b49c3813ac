package service

import (
	"context"
	"time"

	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/gc"
	"github.com/devcache/devcache/registryproxy/server"
)

// countingIssuer counts the credentials the admin endpoint issues.
type countingIssuer struct {
	credentials.Issuer
	m *server.Metrics
}

func countIssued(i credentials.Issuer, m *server.Metrics) credentials.Issuer {
	if m == nil {
		return i
	}
	return countingIssuer{i, m}
}

func (c countingIssuer) Issue(ctx context.Context, req credentials.Request) (credentials.Credential, error) {
	cred, err := c.Issuer.Issue(ctx, req)
	if err == nil {
		c.m.CredentialsIssued.WithLabelValues(string(req.Purpose)).Inc()
	}
	return cred, err
}

// observeSweep records one run of the in-process sweeper.
func (s *Service) observeSweep(rep gc.Report, err error) {
	if s.m == nil {
		return
	}
	s.m.GCRuns.Inc()
	s.m.GCDeleted.Add(float64(rep.Deleted))
	if err != nil {
		s.m.GCErrors.Inc()
		return
	}
	s.m.GCLastSuccess.Set(float64(time.Now().Unix()))
}
