package contract

import "testing"

func TestRepositoryNameRoundTrip(t *testing.T) {
	for _, k := range Kinds {
		name := RepositoryName("p-1", k)
		p, got, ok := SplitRepositoryName(name)
		if !ok || p != "p-1" || got != k {
			t.Fatalf("SplitRepositoryName(%q) = %q, %q, %v", name, p, got, ok)
		}
	}
	if got := RepositoryName("p", KindImageBuild); got != "projects/p/image-build" {
		t.Fatalf("RepositoryName = %q", got)
	}
	for _, name := range []string{"projects/p/other", "projects//image-build", "projects/p", "x/p/prebuild", "projects/p/prebuild/x"} {
		if _, _, ok := SplitRepositoryName(name); ok {
			t.Errorf("SplitRepositoryName(%q) accepted", name)
		}
	}
}

func TestPurpose(t *testing.T) {
	for p, push := range map[Purpose]bool{PurposeCreate: true, PurposeRebuild: false, PurposeRefresh: false} {
		if !p.Valid() || p.MayPush() != push {
			t.Errorf("%s: Valid %v MayPush %v", p, p.Valid(), p.MayPush())
		}
	}
	if Purpose("admin").Valid() {
		t.Error("unknown purpose valid")
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]Kind{
		"prebuild":                             KindPrebuild,
		"gitpod-runner-r1/projects/p/prebuild": KindPrebuild,
		"projects/p/image-build":               KindImageBuild,
	} {
		if k, ok := KindOf(name); !ok || k != want {
			t.Errorf("KindOf(%q) = %q, %v; want %q", name, k, ok, want)
		}
	}
	for _, name := range []string{"", "projects/p/other", "projects/p/prebuildx"} {
		if _, ok := KindOf(name); ok {
			t.Errorf("KindOf(%q) is a kind", name)
		}
	}
}
