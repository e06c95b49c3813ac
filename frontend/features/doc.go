// Package features handles Dev Container Features: reference parsing (OCI,
// local folder, tarball), devcontainer-feature.json, option → environment
// variable mapping, the reference CLI's install-order algorithm, the
// devcontainer-lock.json lockfile and the install wrapper script.
//
// Fetching a Feature's content is the job of a Resolver; the frontend's
// implementation lives in frontend/builder, tests use directory-backed ones.
package features
