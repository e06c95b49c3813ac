package trigger

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
)

// Service is `devcache prebuild serve --config`: pushes (webhook, polling)
// and the daily schedules of the configured projects, debounced, handed to
// the Dispatcher.
type Service struct {
	Config     *Config
	Secret     []byte
	Dispatcher *Dispatcher
	// Catalog tells whether a project's daily prebuild is due.
	Catalog prebuild.Catalog
	// List lists a remote's branches (default LsRemote).
	List func(ctx context.Context, remote string) (map[string]string, error)
	// Now and After are the schedule's clock (default time.Now and
	// time.After).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time

	debouncer *Debouncer
}

func (s *Service) project(id string) *Project {
	for i := range s.Config.Projects {
		if s.Config.Projects[i].ID == id {
			return &s.Config.Projects[i]
		}
	}
	return nil
}

func (s *Service) init() {
	if s.debouncer == nil {
		s.debouncer = &Debouncer{Quiet: s.Config.Debounce.Duration, Max: s.Config.MaxDelay.Duration, Fire: s.dispatch}
	}
	if s.List == nil {
		s.List = LsRemote
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.After == nil {
		s.After = time.After
	}
}

// Push takes a push (after the debounce, one prebuild per class).
func (s *Service) Push(p Push) {
	s.init()
	s.debouncer.Add(p)
}

// dispatch triggers the project's classes at the push's commit.
func (s *Service) dispatch(p Push) {
	pr := s.project(p.Project)
	if pr == nil {
		return
	}
	trig := prebuild.TriggerPush
	if p.Source == "schedule" {
		trig = prebuild.TriggerSchedule
	}
	for _, c := range pr.Classes {
		s.Dispatcher.Trigger(Job{Project: pr.ID, Class: c, Branch: p.Branch, Commit: p.Commit, Trigger: trig, Source: p.Source, Queued: p.At})
	}
}

// Handler serves POST /hooks/push.
func (s *Service) Handler() http.Handler {
	s.init()
	mux := http.NewServeMux()
	mux.Handle("/hooks/push", &Webhook{Secret: s.Secret, Projects: s.Config.Projects, Push: s.Push})
	return mux
}

// Serve runs the dispatcher, the poller and the schedules until ctx ends.
func (s *Service) Serve(ctx context.Context) error {
	s.init()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.Dispatcher.Serve(ctx) })
	g.Go(func() error {
		return (&Poller{Projects: s.Config.Projects, Interval: s.Config.PollInterval.Duration, Push: s.Push, List: s.List}).Serve(ctx)
	})
	for i := range s.Config.Projects {
		pr := s.Config.Projects[i]
		if pr.Schedule == "" {
			continue
		}
		g.Go(func() error { return s.schedule(ctx, pr) })
	}
	return g.Wait()
}

// schedule runs a project's daily prebuild (each class when due) at the
// head of its branch.
func (s *Service) schedule(ctx context.Context, pr Project) error {
	at, _ := prebuild.ParseAt(pr.Schedule) // checked with the config
	for {
		next := prebuild.NextRun(s.Now(), at)
		log.G(ctx).Info("next scheduled prebuild", "project", pr.ID, "at", next)
		select {
		case <-ctx.Done():
			return nil
		case <-s.After(next.Sub(s.Now())):
		}
		heads, err := s.List(ctx, pr.Remote)
		if err != nil || heads[pr.Branch] == "" {
			log.G(ctx).Error("scheduled prebuild: the branch's head", "project", pr.ID, "branch", pr.Branch, "error", err)
			continue
		}
		var list []prebuild.Prebuild
		if s.Catalog != nil {
			if list, err = s.Catalog.List(ctx, pr.ID); err != nil {
				log.G(ctx).Error("scheduled prebuild: listing", "project", pr.ID, "error", err)
				continue
			}
		}
		for _, c := range pr.Classes {
			if prebuild.Due(list, c, s.Now(), at) {
				s.Dispatcher.Trigger(Job{Project: pr.ID, Class: c, Branch: pr.Branch, Commit: heads[pr.Branch], Trigger: prebuild.TriggerSchedule, Source: "schedule", Queued: s.Now()})
			}
		}
	}
}
