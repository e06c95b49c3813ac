// Package catalog keeps prebuilds in the registry, the one place every
// runner host reads: a prebuild is a tag <id> in projects/<project>/prebuild
// whose manifest annotations say its phase, environment class, config key,
// commit, trigger, user, creation time and setup time. Listing reads the
// tags and their manifests; nothing about a finished prebuild is stored on a
// runner host.
package catalog
