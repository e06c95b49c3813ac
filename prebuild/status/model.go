package status

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/trigger"
)

// Source is where recorded prebuilds are read (catalog.Registry).
type Source interface {
	List(ctx context.Context, project string) ([]prebuild.Prebuild, error)
	ReadLogs(ctx context.Context, p prebuild.Prebuild) (map[string]string, error)
}

// PhaseTime is how long a prebuild spent in a phase.
type PhaseTime struct {
	Phase   phase.Phase `json:"phase"`
	Seconds float64     `json:"seconds"`
}

// Entry is one recorded prebuild as the page shows it.
type Entry struct {
	prebuild.Prebuild
	Status prebuild.Status `json:"status"`
	// Phases are the phases it went through, in order, with their
	// durations.
	Phases []PhaseTime `json:"phases"`
	// Logs are a failed prebuild's step logs (file name → content).
	Logs []Log `json:"logs,omitempty"`
}

// Log is one step log of a failed prebuild.
type Log struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// Project is one project's prebuilds.
type Project struct {
	ID        string             `json:"id"`
	Prebuilds []Entry            `json:"prebuilds"`
	Jobs      []trigger.JobState `json:"jobs"`
	Error     string             `json:"error,omitempty"`
}

// Report is what /api/prebuilds returns.
type Report struct {
	Generated time.Time `json:"generated"`
	Projects  []Project `json:"projects"`
}

// MaxPerProject bounds the prebuilds listed per project (newest first).
const MaxPerProject = 50

// Collector gathers a Report.
type Collector struct {
	Projects []string
	Source   Source
	// Jobs lists what runs and waits on this host (nil: nothing).
	Jobs func() []trigger.JobState
	Now  func() time.Time

	mu   sync.Mutex
	logs map[string][]Log // by reference: a recorded prebuild never changes
}

// Report reads the registry now.
func (c *Collector) Report(ctx context.Context) Report {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	r := Report{Generated: now.UTC()}
	var jobs []trigger.JobState
	if c.Jobs != nil {
		jobs = c.Jobs()
	}
	for _, id := range c.Projects {
		p := Project{ID: id, Prebuilds: []Entry{}, Jobs: []trigger.JobState{}}
		for _, j := range jobs {
			if j.Project == id {
				p.Jobs = append(p.Jobs, j)
			}
		}
		list, err := c.Source.List(ctx, id)
		if err != nil {
			p.Error = err.Error()
		}
		st := prebuild.Statuses(list, now)
		sort.SliceStable(list, func(a, b int) bool {
			if list[a].EnvironmentClass != list[b].EnvironmentClass {
				return list[a].EnvironmentClass < list[b].EnvironmentClass
			}
			return list[a].ID > list[b].ID
		})
		for i, pb := range list {
			if i == MaxPerProject {
				break
			}
			e := Entry{Prebuild: pb, Status: st[pb.ID], Phases: phases(pb)}
			if pb.Phase == phase.Failed {
				e.Logs = c.failedLogs(ctx, pb)
			}
			p.Prebuilds = append(p.Prebuilds, e)
		}
		r.Projects = append(r.Projects, p)
	}
	return r
}

// phases lists the transitions with the time spent in each phase.
func phases(pb prebuild.Prebuild) []PhaseTime {
	out := make([]PhaseTime, 0, len(pb.Transitions))
	for i, t := range pb.Transitions {
		pt := PhaseTime{Phase: t.Phase}
		if i+1 < len(pb.Transitions) {
			pt.Seconds = pb.Transitions[i+1].At.Sub(t.At).Seconds()
		}
		out = append(out, pt)
	}
	return out
}

func (c *Collector) failedLogs(ctx context.Context, pb prebuild.Prebuild) []Log {
	c.mu.Lock()
	if l, ok := c.logs[pb.Reference]; ok {
		c.mu.Unlock()
		return l
	}
	c.mu.Unlock()
	m, err := c.Source.ReadLogs(ctx, pb)
	if err != nil {
		return []Log{{Name: "error", Text: "reading the logs: " + err.Error()}}
	}
	var out []Log
	for n, t := range m {
		out = append(out, Log{Name: n, Text: t})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	c.mu.Lock()
	if c.logs == nil {
		c.logs = map[string][]Log{}
	}
	c.logs[pb.Reference] = out
	c.mu.Unlock()
	return out
}
