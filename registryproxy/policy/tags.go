package policy

import (
	"time"

	"github.com/opencontainers/go-digest"
)

// DefaultExpiry is how long a cached image is served after its push.
const DefaultExpiry = 30 * 24 * time.Hour

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
