package automations

import (
	"fmt"
	"os"
	"slices"

	"github.com/containerd/errdefs"
	"go.yaml.in/yaml/v3"
)

// Trigger names when a task or service runs.
type Trigger string

// The triggers of an automations file; a prebuild runs the prebuild and
// beforeSnapshot ones.
const (
	TriggerPrebuild              Trigger = "prebuild"
	TriggerBeforeSnapshot        Trigger = "beforeSnapshot"
	TriggerPostDevcontainerStart Trigger = "postDevcontainerStart"
	TriggerPostEnvironmentStart  Trigger = "postEnvironmentStart"
	TriggerManual                Trigger = "manual"
)

var knownTriggers = []Trigger{TriggerPrebuild, TriggerBeforeSnapshot, TriggerPostDevcontainerStart, TriggerPostEnvironmentStart, TriggerManual}

// DefaultPath is where the file lives in a workspace.
const DefaultPath = ".ona/automations.yaml"

// File is an automations file.
type File struct {
	Services map[string]Service `yaml:"services"`
	Tasks    map[string]Task    `yaml:"tasks"`
}

// Task is a command that runs to completion.
type Task struct {
	Name        string    `yaml:"name"`
	Command     string    `yaml:"command"`
	TriggeredBy []Trigger `yaml:"triggeredBy"`
	DependsOn   []string  `yaml:"dependsOn"`
}

// Service is a long-running process with a readiness check.
type Service struct {
	Name        string          `yaml:"name"`
	TriggeredBy []Trigger       `yaml:"triggeredBy"`
	Commands    ServiceCommands `yaml:"commands"`
}

// ServiceCommands start a service, tell when it is ready, and stop it.
type ServiceCommands struct {
	Start string `yaml:"start"`
	// Ready exits 0 once the service is ready; polled. Empty: ready when
	// started.
	Ready string `yaml:"ready"`
	// Stop stops the service; empty: the start process is killed.
	Stop string `yaml:"stop"`
}

// Load reads and validates the file at path. A missing file is an empty
// File.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &File{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes and validates an automations file.
func Parse(b []byte) (*File, error) {
	var f File
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("automations: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("automations: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	return &f, nil
}

func (f *File) validate() error {
	for id, t := range f.Tasks {
		if t.Command == "" {
			return fmt.Errorf("task %q has no command", id)
		}
		if err := checkTriggers(t.TriggeredBy); err != nil {
			return fmt.Errorf("task %q: %w", id, err)
		}
		for _, d := range t.DependsOn {
			if _, ok := f.Tasks[d]; !ok {
				return fmt.Errorf("task %q depends on unknown task %q", id, d)
			}
		}
	}
	for id, s := range f.Services {
		if s.Commands.Start == "" {
			return fmt.Errorf("service %q has no start command", id)
		}
		if err := checkTriggers(s.TriggeredBy); err != nil {
			return fmt.Errorf("service %q: %w", id, err)
		}
	}
	_, err := f.order(f.taskIDs())
	return err
}

func checkTriggers(ts []Trigger) error {
	for _, t := range ts {
		if !slices.Contains(knownTriggers, t) {
			return fmt.Errorf("unknown trigger %q", t)
		}
	}
	return nil
}

func (f *File) taskIDs() []string {
	ids := make([]string, 0, len(f.Tasks))
	for id := range f.Tasks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
