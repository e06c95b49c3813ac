// Package server is the proxy's HTTP edge: the Docker token endpoint and
// the OCI distribution API. Each request is canonicalised (route), then
// authorised (policy), then rebuilt from its parsed parts and streamed to
// the backend; blobs are never buffered, backend Locations are rewritten
// (upload sessions become sealed ids bound to repository and credential),
// and backend error bodies are sanitised before they reach the client.
package server
