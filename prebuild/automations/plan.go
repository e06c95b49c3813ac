package automations

import (
	"fmt"
	"slices"
	"strings"
)

// Plan is what a prebuild runs, in order.
type Plan struct {
	// Services are started (and waited for ready) before Tasks, stopped
	// after them.
	Services []string
	// Tasks run in order: triggered by "prebuild", with their dependencies.
	Tasks []string
	// BeforeSnapshot run after the services are stopped.
	BeforeSnapshot []string
}

// Empty reports whether the plan runs nothing.
func (p Plan) Empty() bool {
	return len(p.Services) == 0 && len(p.Tasks) == 0 && len(p.BeforeSnapshot) == 0
}

// PrebuildPlan returns what a prebuild runs.
func (f *File) PrebuildPlan() (Plan, error) {
	var p Plan
	for _, id := range sortedKeys(f.Services) {
		if slices.Contains(f.Services[id].TriggeredBy, TriggerPrebuild) {
			p.Services = append(p.Services, id)
		}
	}
	var err error
	if p.Tasks, err = f.order(f.triggered(TriggerPrebuild)); err != nil {
		return Plan{}, err
	}
	if p.BeforeSnapshot, err = f.order(f.triggered(TriggerBeforeSnapshot)); err != nil {
		return Plan{}, err
	}
	return p, nil
}

func (f *File) triggered(t Trigger) []string {
	var ids []string
	for _, id := range f.taskIDs() {
		if slices.Contains(f.Tasks[id].TriggeredBy, t) {
			ids = append(ids, id)
		}
	}
	return ids
}

// order returns roots and every task they depend on, dependencies first
// (ties broken by id, so the order is deterministic). A cycle is an error.
func (f *File) order(roots []string) ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var out []string
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		switch state[id] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, id), " → "))
		}
		state[id] = visiting
		deps := slices.Clone(f.Tasks[id].DependsOn)
		slices.Sort(deps)
		for _, d := range deps {
			if err := visit(d, append(path, id)); err != nil {
				return err
			}
		}
		state[id] = done
		out = append(out, id)
		return nil
	}
	for _, id := range roots {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
