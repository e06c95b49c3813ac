package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/registry"
)

// insecureFlag is --insecure-registry HOST (repeatable, or a comma list;
// $DEVCACHE_INSECURE_REGISTRIES): the registries every command that reaches
// one speaks to over plain HTTP besides loopback, localhost and *.localhost
// (internal/registry's rule). Its value is passed on to the frontend, the
// key, the lookup, the push and the pull alike.
//
// The boolean prebuild once had (--insecure-registry=true,
// $DEVCACHE_INSECURE_REGISTRY=true) is a deprecated alias for the command's
// own registry (--proxy or --registry), with a warning.
type insecureFlag struct {
	hosts  []string
	legacy bool
	warn   sync.Once
}

func (f *insecureFlag) register(fs *pflag.FlagSet) {
	for _, h := range strings.Split(os.Getenv("DEVCACHE_INSECURE_REGISTRIES"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			f.hosts = append(f.hosts, h)
		}
	}
	f.legacy = os.Getenv("DEVCACHE_INSECURE_REGISTRY") == "true"
	fs.Var(f, "insecure-registry", "registry host[:port] reached over plain HTTP besides loopback, localhost and *.localhost (repeatable; $DEVCACHE_INSECURE_REGISTRIES)")
}

func (f *insecureFlag) String() string { return strings.Join(f.hosts, ",") }

// Type implements pflag.Value.
func (f *insecureFlag) Type() string { return "host" }

// Set implements pflag.Value.
func (f *insecureFlag) Set(v string) error {
	switch v {
	case "true":
		f.legacy = true
		return nil
	case "false":
		f.legacy = false
		return nil
	}
	for _, h := range strings.Split(v, ",") {
		h = strings.TrimSpace(h)
		if h == "" || strings.HasPrefix(h, "-") || strings.ContainsAny(h, "/ ") {
			return fmt.Errorf("want a registry host[:port], got %q", h)
		}
		f.hosts = append(f.hosts, h)
	}
	return nil
}

// list is the policy's host list; own is the command's registry, added
// (with a deprecation warning, once) when the old boolean was given.
func (f *insecureFlag) list(ctx context.Context, own string) registry.Insecure {
	l := registry.Insecure(f.hosts)
	if f.legacy && own != "" {
		f.warn.Do(func() {
			log.G(ctx).Warn("--insecure-registry=true and DEVCACHE_INSECURE_REGISTRY=true are deprecated: use --insecure-registry " + own)
		})
		l = append(l[:len(l):len(l)], own)
	}
	return l
}
