package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAuthLifetimes(t *testing.T) {
	c, err := Load("")
	require.NoError(t, err)
	require.Equal(t, 60*time.Second, c.Auth.ClockSkew.Duration, "default clock skew")

	c, err = Load(write(t, "version = 1\n[auth]\ncredential_ttl = \"10s\"\nclock_skew = \"0s\"\n"))
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, c.Auth.CredentialTTL.Duration)
	require.Equal(t, time.Duration(0), c.Auth.ClockSkew.Duration, "0s is kept, not replaced by the default")

	for in, want := range map[string]string{
		"credential_ttl = \"9s\"":                                "auth.credential_ttl = \"9s\" must be between 10s and auth.max_credential_ttl",
		"credential_ttl = \"2h\"":                                "auth.credential_ttl = \"2h0m0s\" must be between",
		"credential_ttl = \"20m\"\nmax_credential_ttl = \"10m\"": "auth.max_credential_ttl (10m0s)",
		"clock_skew = \"-1s\"":                                   "auth.clock_skew = \"-1s\" must be between 0s and 5m0s",
		"clock_skew = \"6m\"":                                    "auth.clock_skew = \"6m0s\" must be between",
		"clock_skew = \"soon\"":                                  "line 3, column 14: auth.clock_skew: toml: time: invalid duration",
	} {
		_, err := Load(write(t, "version = 1\n[auth]\n"+in+"\n"))
		require.ErrorContains(t, err, want, in)
	}
}
