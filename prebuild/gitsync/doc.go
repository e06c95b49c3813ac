// Package gitsync brings workspaces to a commit with git: a bare mirror of
// the project's remote on the runner host (fetched before anything starts,
// so a ref the remote lacks is an error at once), and the sync of a
// prebuild's captured checkout to the environment's commit (fetch from the
// mirror, check out; ignored and untracked build outputs stay).
package gitsync
