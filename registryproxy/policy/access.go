package policy

import (
	"net/http"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/route"
	"github.com/devcache/devcache/registryproxy/token"
)

// Grants is everything a credential of purpose may do for project:
// create pulls and pushes both cache repositories; rebuild and refresh only pull.
func Grants(project string, purpose contract.Purpose) []token.Access {
	actions := []string{token.ActionPull}
	if purpose.MayPush() {
		actions = []string{token.ActionPull, token.ActionPush}
	}
	out := make([]token.Access, 0, len(contract.Kinds))
	for _, k := range contract.Kinds {
		out = append(out, token.Access{Type: token.TypeRepository, Name: Repository{project, k}.Name(), Actions: actions})
	}
	return out
}

// RequiredAction is the action a request needs on its repository. DELETE
// of content needs "delete", which is never granted; cancelling one's own
// upload (DELETE on an upload session) is part of pushing.
func RequiredAction(r route.Route) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.Kind == route.BlobUpload {
			return token.ActionPush
		}
		return token.ActionPull
	case http.MethodDelete:
		if r.Kind == route.BlobUpload {
			return token.ActionPush
		}
		return token.ActionDelete
	default:
		return token.ActionPush
	}
}

// Denial says why a request was not authorised; the server turns it into
// a 401 challenge naming Scope.
type Denial struct {
	// Scope is the scope the client should ask the token service for.
	Scope string
	// Insufficient is true when a valid token lacked the scope.
	Insufficient bool
}

func (d *Denial) Error() string { return "authorization required for " + d.Scope }

// Authorize decides a canonical route for a verified token (nil: none was
// presented). Repositories of other projects, unknown projects and names
// outside the cache namespace all get the same denial.
func Authorize(claims *token.AccessClaims, r route.Route) error {
	if r.Kind == route.Base {
		if claims == nil {
			return &Denial{}
		}
		return nil
	}
	if r.Kind == route.Catalog {
		if claims == nil {
			return &Denial{Scope: "registry:catalog:*"}
		}
		return nil // answered with an empty, filtered catalog by the server
	}
	action := RequiredAction(r)
	scopeAction := action
	if action == token.ActionPush {
		scopeAction = "pull,push"
	}
	if action == token.ActionDelete {
		// Deletes are refused by policy; authenticate on pull so a 405 is only
		// ever returned for the caller's own repository.
		action, scopeAction = token.ActionPull, "pull"
	}
	scope := token.TypeRepository + ":" + r.Name + ":" + scopeAction
	if claims == nil {
		return &Denial{Scope: scope}
	}
	if _, ok := ParseRepository(r.Name); !ok || !claims.Allows(r.Name, action) {
		return &Denial{Scope: scope, Insufficient: true}
	}
	if action == token.ActionPush && !claims.Allows(r.Name, token.ActionPull) {
		return &Denial{Scope: scope, Insufficient: true}
	}
	if r.Method == http.MethodDelete && r.Kind != route.BlobUpload {
		return errcode.New(errcode.Unsupported, "deletes are refused by policy: cached images expire instead")
	}
	return nil
}

// MountAllowed reports whether a cross-repository mount from repository
// from may be attempted: the token must pull from it and it must be in the
// same project as the target. Otherwise the mount is ignored and a plain
// upload session starts (202), as the spec allows.
func MountAllowed(claims *token.AccessClaims, target, from string) bool {
	t, ok1 := ParseRepository(target)
	f, ok2 := ParseRepository(from)
	return ok1 && ok2 && t.Project == f.Project && t.Project == claims.Project && claims.Allows(from, token.ActionPull)
}
