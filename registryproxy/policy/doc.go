// Package policy holds the proxy's rules, each in one place: which
// repositories clients see (projects/<id>/image-build and
// projects/<id>/prebuild) and how they map to backend names, what each
// credential purpose may do (push-on-create), which action a request
// needs, immutable tags, expiry, and the cache switch.
package policy
