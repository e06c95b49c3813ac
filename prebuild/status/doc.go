// Package status serves `devcache prebuild serve --http-addr`'s read-only
// status: a page a person can read (prebuilds per project and environment
// class, phase, commit, trigger, the duration of each phase, the logs of
// failed ones, what runs and waits on this host) and the same data as JSON
// at /api/prebuilds. The registry is the source: every runner host shows
// the same recorded prebuilds.
package status
