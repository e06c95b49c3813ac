// Package trigger starts prebuilds when code is pushed: a webhook endpoint
// (GitHub and GitLab push events, HMAC-SHA256 signed), a `git ls-remote`
// poller for hosts without inbound traffic, and the daily schedule, all
// configured per project in a strict TOML file. Bursts of pushes are
// debounced into one prebuild of the newest commit, and a Dispatcher keeps
// one active prebuild per environment class across runner hosts (a Lease),
// queueing a second trigger (newest commit wins) instead of running it
// beside the first.
package trigger
