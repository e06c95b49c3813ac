package backend

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// CredentialSource yields the backend's basic credentials, refreshing
// short-lived ones (cloud registries' access tokens) as they expire.
type CredentialSource interface {
	Basic(ctx context.Context) (username, password string, err error)
}

type staticCredentials struct{ username, password string }

func (s staticCredentials) Basic(context.Context) (string, string, error) {
	return s.username, s.password, nil
}

// GARScope is the OAuth2 scope Artifact Registry access tokens need.
const GARScope = "https://www.googleapis.com/auth/cloud-platform"

// garCredentials logs in to Artifact Registry with Application Default
// Credentials (golang.org/x/oauth2/google): user "oauth2accesstoken" and a
// fresh access token as password, refreshed by the token source.
type garCredentials struct{ ts oauth2.TokenSource }

// NewGARCredentials finds Application Default Credentials (the
// GOOGLE_APPLICATION_CREDENTIALS file, gcloud's, or the metadata server).
func NewGARCredentials(ctx context.Context) (CredentialSource, error) {
	ts, err := google.DefaultTokenSource(ctx, GARScope)
	if err != nil {
		return nil, fmt.Errorf("artifact registry credentials: %w", err)
	}
	return &garCredentials{ts: oauth2.ReuseTokenSource(nil, ts)}, nil
}

func (g *garCredentials) Basic(context.Context) (string, string, error) {
	tok, err := g.ts.Token()
	if err != nil {
		return "", "", fmt.Errorf("artifact registry access token: %w", err)
	}
	return "oauth2accesstoken", tok.AccessToken, nil
}
