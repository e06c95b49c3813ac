// Package phase is the prebuild phase machine: Pending → Starting → Running →
// Stopping → Snapshotting → Completed, or Failed from any phase that is not
// final, with the reason and the logs of the step that failed. Every
// transition is recorded with its time.
package phase
