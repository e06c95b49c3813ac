// Package contract holds the names the components agree on through the
// registry: the purposes runner credentials are issued for, the repository
// kinds a project has and their client-visible names
// (projects/<project>/<kind>), and the annotations a prebuild manifest
// carries. It is a leaf: it imports nothing of devcache, so the proxy
// (token, policy), the image cache, prebuilds and the snapshotter can all
// import it without importing each other.
package contract
