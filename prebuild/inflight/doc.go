// Package inflight is the embedded store (bbolt) of prebuilds that are still
// running on this runner host: their phase, transition times and step logs.
// A prebuild leaves it when it is recorded in the registry (Completed or
// Failed); the registry, not this store, is the truth about finished
// prebuilds.
//
// The database is opened for each operation and closed again, so a
// `devcache prebuild list` in another process can read it while a prebuild
// runs.
package inflight
