package policy

import (
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/contract"
)

// DefaultExpiry is how long a cached image is served after its push.
const DefaultExpiry = 30 * 24 * time.Hour

// DefaultPrebuildExpiry is how long a prebuild snapshot is served after its
// push: prebuilds are deleted 7 days after creation.
const DefaultPrebuildExpiry = 7 * 24 * time.Hour

// Expiry is how long a pushed image is served, per kind of repository.
type Expiry struct {
	// Cache applies to image-build (and any other) repositories.
	Cache time.Duration
	// Prebuild applies to prebuild repositories.
	Prebuild time.Duration
}

// For returns the expiry of the backend repository repo: Prebuild for the
// ones whose last element is the prebuild kind, Cache for the others.
func (e Expiry) For(repo string) time.Duration {
	if k, _ := contract.KindOf(repo); k == contract.KindPrebuild {
		return e.Prebuild
	}
	return e.Cache
}

// WithDefaults fills unset durations with DefaultExpiry and DefaultPrebuildExpiry.
func (e Expiry) WithDefaults() Expiry {
	if e.Cache <= 0 {
		e.Cache = DefaultExpiry
	}
	if e.Prebuild <= 0 {
		e.Prebuild = DefaultPrebuildExpiry
	}
	return e
}

// Expired reports whether an image pushed at pushedAt is past its expiry.
// A zero pushedAt (no push record) counts as expired: the proxy never
// serves a tag whose age it cannot prove.
func Expired(pushedAt, now time.Time, expiry time.Duration) bool {
	return pushedAt.IsZero() || !now.Before(pushedAt.Add(expiry))
}

// TagDecision is what to do with a manifest PUT to a tag.
type TagDecision int

// The outcomes of a tag PUT under immutable tags.
const (
	// TagCreate: the tag is new (or its image expired): record and forward.
	TagCreate TagDecision = iota + 1
	// TagUnchanged: the tag already holds this digest: answer 201 without forwarding.
	TagUnchanged
	// TagRefuse: the tag holds another live digest: refuse.
	TagRefuse
)

// DecideTagPut applies immutable tags. current is the digest the tag
// points at ("" if absent); live says whether that image is unexpired.
func DecideTagPut(current, incoming digest.Digest, live bool) TagDecision {
	switch {
	case current == "" || !live:
		return TagCreate
	case current == incoming:
		return TagUnchanged
	default:
		return TagRefuse
	}
}
