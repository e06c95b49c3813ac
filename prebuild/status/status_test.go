package status

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/trigger"
)

type fakeSource struct{ list []prebuild.Prebuild }

func (f fakeSource) List(context.Context, string) ([]prebuild.Prebuild, error) { return f.list, nil }
func (f fakeSource) ReadLogs(_ context.Context, p prebuild.Prebuild) (map[string]string, error) {
	if p.Phase != phase.Failed {
		return nil, nil
	}
	return map[string]string{"prebuild/logs/01-onCreateCommand.log": "npm ERR! <boom>\n"}, nil
}

func transitions(t0 time.Time, ps ...phase.Phase) []phase.Transition {
	var out []phase.Transition
	for i, p := range ps {
		out = append(out, phase.Transition{Phase: p, At: t0.Add(time.Duration(i*2) * time.Second)})
	}
	return out
}

func TestPageAndJSON(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	src := fakeSource{list: []prebuild.Prebuild{
		{ID: "20261207T030000Z-aaaa", Project: "web", Reference: "r/a@sha256:1", Phase: phase.Completed, EnvironmentClass: "small", Commit: "3f2a1c0aaaaaaaa", Trigger: prebuild.TriggerPush, Created: t0,
			Transitions: transitions(t0, phase.Pending, phase.Starting, phase.Running, phase.Stopping, phase.Snapshotting, phase.Completed)},
		{ID: "20261207T020000Z-bbbb", Project: "web", Reference: "r/b@sha256:2", Phase: phase.Failed, EnvironmentClass: "small", Commit: "1111111bbbb", Trigger: prebuild.TriggerSchedule, Created: t0.Add(-time.Hour),
			Reason: "onCreateCommand exited with 1", Transitions: transitions(t0.Add(-time.Hour), phase.Pending, phase.Starting, phase.Running, phase.Failed)},
	}}
	c := &Collector{Projects: []string{"web"}, Source: src, Now: func() time.Time { return t0.Add(time.Minute) },
		Jobs: func() []trigger.JobState {
			return []trigger.JobState{{Job: trigger.Job{Project: "web", Class: "small", Commit: "9999999", Trigger: prebuild.TriggerPush, Source: "poll"}, State: "queued"}}
		}}
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/prebuilds")
	require.NoError(t, err)
	var r Report
	require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
	res.Body.Close()
	require.Len(t, r.Projects, 1)
	p := r.Projects[0]
	require.Len(t, p.Prebuilds, 2)
	require.Equal(t, []PhaseTime{{phase.Pending, 2}, {phase.Starting, 2}, {phase.Running, 2}, {phase.Stopping, 2}, {phase.Snapshotting, 2}, {phase.Completed, 0}}, p.Prebuilds[0].Phases)
	require.Equal(t, prebuild.StatusActive, p.Prebuilds[0].Status)
	require.Empty(t, p.Prebuilds[0].Logs, "only failed prebuilds show logs")
	require.Equal(t, "npm ERR! <boom>\n", p.Prebuilds[1].Logs[0].Text)
	require.Equal(t, "queued", p.Jobs[0].State)

	res, err = http.Get(srv.URL + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	html := string(b)
	require.Contains(t, html, `<span class="ph" data-phase="Snapshotting">Snapshotting 2.0s</span>`)
	require.Contains(t, html, `npm ERR! &lt;boom&gt;`, "logs are escaped")
	require.Contains(t, html, `<code>3f2a1c0</code>`)

	res, err = http.Post(srv.URL+"/api/prebuilds", "application/json", nil)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, "read-only")
}
