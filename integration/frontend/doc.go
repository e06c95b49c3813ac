// Package frontend holds the end-to-end tests of devcache-frontend against
// the real stack's buildkitd and registry: the frontend's build function runs
// in-process ("client frontend") and the built images are exported and
// checked (files, env, labels, user). Skipped under -short.
package frontend
