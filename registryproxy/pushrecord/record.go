package pushrecord

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
)

// Record is the push of one tag.
type Record struct {
	// Repository is the backend repository name.
	Repository string
	Tag        string
	Digest     digest.Digest
	PushedAt   time.Time
	// ManifestDigest is the digest of the record's own manifest (set when read).
	ManifestDigest digest.Digest
}

// Annotation keys of a record manifest.
const (
	AnnotationRepository = "dev.devcache.push.repository"
	AnnotationTag        = "dev.devcache.push.tag"
	AnnotationDigest     = "dev.devcache.push.digest"
	AnnotationPushedAt   = "dev.devcache.push.pushed-at"
	// ArtifactType is the record manifest's artifactType.
	ArtifactType = "application/vnd.devcache.push-record.v1"
)

const (
	mediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeEmpty    = "application/vnd.oci.empty.v1+json"
)

// emptyJSON is the OCI empty descriptor's content.
var emptyJSON = []byte("{}")

var emptyDigest = digest.FromBytes(emptyJSON)

// TagFor returns the metadata tag of (repository, tag).
func TagFor(repository, tag string) string {
	h := sha256.Sum256([]byte(repository + "\x00" + tag))
	return "r-" + hex.EncodeToString(h[:])
}

type descriptor struct {
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
}

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations"`
}

// encode renders r as a record manifest.
func (r Record) encode() ([]byte, error) {
	empty := descriptor{MediaType: mediaTypeEmpty, Digest: emptyDigest, Size: int64(len(emptyJSON))}
	return json.Marshal(manifest{
		SchemaVersion: 2,
		MediaType:     mediaTypeManifest,
		ArtifactType:  ArtifactType,
		Config:        empty,
		Layers:        []descriptor{empty},
		Annotations: map[string]string{
			AnnotationRepository: r.Repository,
			AnnotationTag:        r.Tag,
			AnnotationDigest:     r.Digest.String(),
			AnnotationPushedAt:   r.PushedAt.UTC().Format(time.RFC3339Nano),
		},
	})
}

func decode(b []byte) (Record, error) {
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Record{}, fmt.Errorf("push record: %w", err)
	}
	if m.ArtifactType != ArtifactType {
		return Record{}, fmt.Errorf("push record: artifactType %q", m.ArtifactType)
	}
	a := m.Annotations
	t, err := time.Parse(time.RFC3339Nano, a[AnnotationPushedAt])
	if err != nil {
		return Record{}, fmt.Errorf("push record: pushed-at: %w", err)
	}
	d, err := digest.Parse(a[AnnotationDigest])
	if err != nil {
		return Record{}, fmt.Errorf("push record: digest: %w", err)
	}
	return Record{Repository: a[AnnotationRepository], Tag: a[AnnotationTag], Digest: d, PushedAt: t}, nil
}
