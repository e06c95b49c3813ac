package contract

// Purpose is what a runner credential is issued for; it decides what the
// credential may do.
type Purpose string

// The purposes of runner credentials.
const (
	// PurposeCreate is an environment's first build: pull and push.
	PurposeCreate Purpose = "create"
	// PurposeRebuild is a rebuild of an existing environment: pull only.
	PurposeRebuild Purpose = "rebuild"
	// PurposeRefresh is a look-up that must not write (devcache key
	// --against, prebuild refreshes): pull only.
	PurposeRefresh Purpose = "refresh"
)

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool {
	return p == PurposeCreate || p == PurposeRebuild || p == PurposeRefresh
}

// MayPush reports whether a credential of purpose p may push.
func (p Purpose) MayPush() bool { return p == PurposeCreate }
