package imagecache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFormatSaving(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3*time.Minute + 45*time.Second:            "~3m45s",
		3*time.Minute + 44*time.Second + 600*1e6:  "~3m45s",
		42 * time.Second:                          "~42s",
		time.Hour + 2*time.Minute + 3*time.Second: "~1h2m3s",
		0:               "~0s",
		-time.Second:    "~0s",
		4 * time.Minute: "~4m0s",
	} {
		assert.Equal(t, want, FormatSaving(d), "FormatSaving(%v)", d)
	}
	assert.Equal(t, "Using pre-built dev container (saved ~3m45s build time)", HitMessage(225*time.Second))
}

func TestBuildSeconds(t *testing.T) {
	d, ok := buildSeconds(map[string]string{BuildSecondsLabel: "225.4"})
	assert.True(t, ok)
	assert.Equal(t, 225400*time.Millisecond, d)
	for _, bad := range []map[string]string{nil, {BuildSecondsLabel: "x"}, {BuildSecondsLabel: "-3"}} {
		_, ok := buildSeconds(bad)
		assert.False(t, ok)
	}
}
