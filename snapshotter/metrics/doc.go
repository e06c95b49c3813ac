// Package metrics holds devcache-snapshotter's Prometheus series
// (--metrics-address): restores by mode and their duration, prefetch lists
// and the files they fetched ahead, and stargz-snapshotter's own
// filesystem series (lazy fetch bytes, registry fetch latency), summed
// over layers so that no series carries a layer digest.
package metrics
