package prebuild

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewID returns a prebuild id: the UTC creation time (so tags sort by age)
// and a random suffix (so two runner hosts never collide).
func NewID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
