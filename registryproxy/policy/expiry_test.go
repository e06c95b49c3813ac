package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestExpiryFor(t *testing.T) {
	e := Expiry{}.WithDefaults()
	assert.Equal(t, DefaultExpiry, e.For("projects/p/image-build"))
	assert.Equal(t, DefaultPrebuildExpiry, e.For("projects/p/prebuild"))
	assert.Equal(t, DefaultPrebuildExpiry, e.For("gitpod-runner-r1/projects/p/prebuild"))
	assert.Equal(t, DefaultExpiry, e.For("gitpod-runner-r1/projects/prebuild-fans/image-build"), "only the last element counts")
	assert.Equal(t, time.Hour, Expiry{Cache: time.Hour, Prebuild: time.Minute}.For("x/image-build"))
}
