package main

import (
	"context"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInsecureRegistryFlag(t *testing.T) {
	t.Setenv("DEVCACHE_INSECURE_REGISTRIES", "env.corp:5000")
	t.Setenv("DEVCACHE_INSECURE_REGISTRY", "")
	var f insecureFlag
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.register(fs)
	require.NoError(t, fs.Parse([]string{"--insecure-registry", "a.corp", "--insecure-registry=b.corp:5000,c.corp"}))
	l := f.list(context.Background(), "proxy.corp:5000")
	assert.Equal(t, []string{"env.corp:5000", "a.corp", "b.corp:5000", "c.corp"}, []string(l))
	assert.True(t, l.PlainHTTP("a.corp:443"))
	assert.False(t, l.PlainHTTP("proxy.corp:5000"), "the command's registry is not plain HTTP unless listed")

	// The old boolean (bare in prebuild before) now needs a host: the next
	// flag is not taken for one.
	err := fs.Parse([]string{"--insecure-registry", "--image"})
	require.ErrorContains(t, err, "want a registry host")

	// The deprecated boolean names the command's own registry.
	var old insecureFlag
	fs = pflag.NewFlagSet("t", pflag.ContinueOnError)
	old.register(fs)
	require.NoError(t, fs.Parse([]string{"--insecure-registry=true"}))
	assert.True(t, old.list(context.Background(), "proxy.corp:5000").PlainHTTP("proxy.corp:5000"))
	t.Setenv("DEVCACHE_INSECURE_REGISTRY", "true")
	var env insecureFlag
	env.register(pflag.NewFlagSet("t", pflag.ContinueOnError))
	assert.True(t, env.list(context.Background(), "reg.corp").PlainHTTP("reg.corp"))
}
