package credentials

import (
	"errors"
	"fmt"

	"github.com/containerd/errdefs"
)

// What a credential is for (Request.For). The proxy's cache switch
// (cache.enabled = false) refuses image-cache credentials and keeps issuing
// prebuild ones; "" (clients that do not say) gets a credential whose
// image-cache requests the registry refuses while the switch is off.
const (
	ForImageCache = "image-cache"
	ForPrebuild   = "prebuild"
)

// ErrCacheDisabled is the admin endpoint's refusal of an image-cache
// credential while the proxy's cache switch is off. It is also
// errdefs.ErrPermissionDenied.
var ErrCacheDisabled = errors.New("the devcache image cache is disabled on this runner (devcache-proxy cache.enabled = false)")

// codeCacheDisabled marks ErrCacheDisabled on the wire.
const codeCacheDisabled = "CACHE_DISABLED"

func validFor(f string) error {
	switch f {
	case "", ForImageCache, ForPrebuild:
		return nil
	}
	return fmt.Errorf("for %q: want %q or %q: %w", f, ForImageCache, ForPrebuild, errdefs.ErrInvalidArgument)
}

func cacheDisabled() error {
	return fmt.Errorf("%w: no image-cache credentials, no pulls, no pushes; stored images are kept until they expire: %w", ErrCacheDisabled, errdefs.ErrPermissionDenied)
}
