package phase

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Store persists records while they change (the in-flight store).
type Store interface {
	Put(ctx context.Context, r Record) error
}

// Machine moves one prebuild through its phases, timing each transition and
// saving the record after each change.
type Machine struct {
	mu    sync.Mutex
	rec   Record
	store Store
	now   func() time.Time
}

// Opt configures a Machine.
type Opt func(*Machine)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Opt { return func(m *Machine) { m.now = now } }

// WithStore saves the record on every change.
func WithStore(s Store) Opt { return func(m *Machine) { m.store = s } }

// New starts a record in Pending.
func New(ctx context.Context, id, project string, opts ...Opt) (*Machine, error) {
	m := &Machine{now: time.Now}
	for _, o := range opts {
		o(m)
	}
	m.rec = Record{ID: id, Project: project, Phase: Pending, Transitions: []Transition{{Phase: Pending, At: m.now().UTC()}}}
	return m, m.save(ctx)
}

// To moves to phase p.
func (m *Machine) To(ctx context.Context, p Phase) error {
	m.mu.Lock()
	if err := CanTransition(m.rec.Phase, p); err != nil {
		m.mu.Unlock()
		return err
	}
	m.rec.Phase = p
	m.rec.Transitions = append(m.rec.Transitions, Transition{Phase: p, At: m.now().UTC()})
	m.mu.Unlock()
	return m.save(ctx)
}

// Fail moves to Failed with reason. It is a no-op on a final record, so
// cleanup paths may call it unconditionally.
func (m *Machine) Fail(ctx context.Context, reason string) error {
	m.mu.Lock()
	if m.rec.Phase.Final() {
		m.mu.Unlock()
		return nil
	}
	m.rec.Reason = reason
	m.mu.Unlock()
	return m.To(ctx, Failed)
}

// Step appends a step log.
func (m *Machine) Step(ctx context.Context, s StepLog) error {
	m.mu.Lock()
	m.rec.Steps = append(m.rec.Steps, s)
	m.mu.Unlock()
	return m.save(ctx)
}

// Record returns a copy of the record.
func (m *Machine) Record() Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rec
	r.Transitions = append([]Transition(nil), r.Transitions...)
	r.Steps = append([]StepLog(nil), r.Steps...)
	return r
}

func (m *Machine) save(ctx context.Context) error {
	if m.store == nil {
		return nil
	}
	if err := m.store.Put(ctx, m.Record()); err != nil {
		return fmt.Errorf("saving prebuild %s: %w", m.rec.ID, err)
	}
	return nil
}
