package imagecache

// ReasonCode is the fixed, machine-readable form of Result.Reason: why a
// build bypassed the cache, or why a miss was not pushed. Metrics label
// builds with it (the text carries errors and cannot be a label).
type ReasonCode string

// The bypass reasons (outcome "bypass").
const (
	// ReasonDisabled: the runner's switch (--cache-disabled).
	ReasonDisabled ReasonCode = "disabled"
	// ReasonSkipped: --skip-image-cache for this build.
	ReasonSkipped ReasonCode = "skipped"
	// ReasonNoProject: no --project ($DEVCACHE_PROJECT).
	ReasonNoProject ReasonCode = "no_project"
	// ReasonNoProxy: no --proxy ($DEVCACHE_PROXY).
	ReasonNoProxy ReasonCode = "no_proxy"
	// ReasonProxyDisabled: devcache-proxy's switch (cache.enabled = false)
	// refused image-cache credentials.
	ReasonProxyDisabled ReasonCode = "proxy_disabled"
	// ReasonProxyUnreachable: no credentials from devcache-proxy.
	ReasonProxyUnreachable ReasonCode = "proxy_unreachable"
	// ReasonLookupFailed: the lookup failed for another reason than a miss.
	ReasonLookupFailed ReasonCode = "lookup_failed"
)

// The reasons a miss was built but not pushed (outcome "miss").
const (
	// ReasonPullOnly: rebuild credentials (--rebuild) never push.
	ReasonPullOnly ReasonCode = "pull_only"
	// ReasonPushRefused: the cache refused the push; the image was used.
	ReasonPushRefused ReasonCode = "push_refused"
)

// BypassReasons and NotPushedReasons are every code, in a fixed order.
var (
	BypassReasons    = []ReasonCode{ReasonDisabled, ReasonSkipped, ReasonNoProject, ReasonNoProxy, ReasonProxyDisabled, ReasonProxyUnreachable, ReasonLookupFailed}
	NotPushedReasons = []ReasonCode{ReasonPullOnly, ReasonPushRefused}
)
