package route

import (
	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/registryproxy/errcode"
)

const (
	// MaxNameLength caps a repository name (clients cap host+name at 255).
	MaxNameLength = 255
	// MaxTagLength is the spec's tag limit.
	MaxTagLength = 128
	// MaxUploadIDLength caps an upload session id (the proxy's sealed ids are ~300 bytes).
	MaxUploadIDLength = 2048
)

// ValidateName checks a repository name against the OCI name grammar:
// slash-separated components of [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return errcode.New(errcode.NameInvalid, "invalid repository name")
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '/' {
			if !validComponent(name[start:i]) {
				return errcode.New(errcode.NameInvalid, "invalid repository name")
			}
			start = i + 1
		}
	}
	return nil
}

// ValidComponent reports whether s is one OCI name component.
func ValidComponent(s string) bool { return validComponent(s) }

func validComponent(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case c == '.':
			// a single dot between alphanumerics
			if !isAlnum(s[i-1]) || !isAlnum(s[i+1]) {
				return false
			}
		case c == '_':
			// "_" or "__" between alphanumerics
			if s[i-1] == '_' {
				if i < 2 || !isAlnum(s[i-2]) || !isAlnum(s[i+1]) {
					return false
				}
			} else if !isAlnum(s[i-1]) || (s[i+1] != '_' && !isAlnum(s[i+1])) {
				return false
			}
		case c == '-':
			// runs of dashes between alphanumerics
			if s[i-1] != '-' && !isAlnum(s[i-1]) {
				return false
			}
			if s[i+1] != '-' && !isAlnum(s[i+1]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

// ValidateTag checks [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func ValidateTag(tag string) error {
	if tag == "" || len(tag) > MaxTagLength {
		return errcode.New(errcode.TagInvalid, "invalid tag")
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
		if i > 0 {
			ok = ok || c == '.' || c == '-'
		}
		if !ok {
			return errcode.New(errcode.TagInvalid, "invalid tag")
		}
	}
	return nil
}

// ParseDigest accepts only sha256:<64 hex> and sha512:<128 hex>, lowercase.
func ParseDigest(s string) (digest.Digest, error) {
	alg, hex, ok := cut(s, ':')
	var n int
	switch {
	case ok && alg == "sha256":
		n = 64
	case ok && alg == "sha512":
		n = 128
	default:
		return "", errcode.New(errcode.DigestInvalid, "invalid digest")
	}
	if len(hex) != n {
		return "", errcode.New(errcode.DigestInvalid, "invalid digest")
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", errcode.New(errcode.DigestInvalid, "invalid digest")
		}
	}
	return digest.Digest(s), nil
}

// ValidateUploadID accepts the base64url alphabet only.
func ValidateUploadID(id string) error {
	if id == "" || len(id) > MaxUploadIDLength {
		return errcode.New(errcode.BlobUploadUnknown, "blob upload unknown to registry")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return errcode.New(errcode.BlobUploadUnknown, "blob upload unknown to registry")
		}
	}
	return nil
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
