// Package metadata builds the devcontainer.metadata image label exactly as
// the reference CLI writes it: the base image's entries, one entry per
// installed Feature ({"id": <as written>, …picked properties}) and the
// devcontainer.json entry, each serialized like JavaScript's JSON.stringify
// (member order kept, no whitespace), joined as "[ e1, e2 ]".
package metadata
