//go:build linux

package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
)

// scheduled runs the scheduled prebuild when it is due (as the project's
// creator), then prunes what is past retention.
func scheduled(ctx context.Context, cmd *cobra.Command, o *prebuildOptions, req *prebuildRequest, creator string, at time.Duration) error {
	cat, err := o.catalog()
	if err != nil {
		return err
	}
	list, err := cat.List(ctx, req.project)
	if err != nil {
		return err
	}
	now := time.Now()
	if !prebuild.Due(list, req.class, now, at) {
		log.G(ctx).Info("scheduled prebuild not due: one ran since today's slot", "slot", prebuild.LastSlot(now, at), "project", req.project, "class", req.class)
	} else {
		req.user = creator
		res, err := req.run(ctx, o, prebuild.TriggerSchedule)
		if res != nil {
			_ = printResult(cmd, "text", res)
		}
		if err != nil {
			log.G(ctx).Error("scheduled prebuild failed", "error", err)
		}
	}
	pruned, err := prebuild.Prune(ctx, cat, req.project, time.Now())
	for _, p := range pruned {
		log.G(ctx).Info("deleted expired prebuild", "prebuild", p.ID, "phase", p.Phase, "created", p.Created)
	}
	return err
}

func newPrebuildScheduleCommand() *cobra.Command {
	var (
		o       prebuildOptions
		req     prebuildRequest
		creator string
		at      string
	)
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run the daily scheduled prebuild if it is due, then prune (for cron or a systemd timer)",
		Long: `schedule reads the registry: when no scheduled prebuild of the class was
recorded since the day's slot (the last --at time of day, UTC, at or before
now; on any runner host), it runs one as the project's creator. Then it deletes prebuilds past the 7-day retention.
Call it from cron or a systemd timer, or use "devcache prebuild serve".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tod, err := prebuild.ParseAt(at)
			if err != nil {
				return err
			}
			return scheduled(cmd.Context(), cmd, &o, &req, creator, tod)
		},
	}
	o.register(cmd.Flags())
	req.register(cmd)
	cmd.Flags().StringVar(&creator, "creator", os.Getenv("DEVCACHE_PROJECT_CREATOR"), "the project's creator: scheduled prebuilds run as them ($DEVCACHE_PROJECT_CREATOR)")
	cmd.Flags().StringVar(&at, "at", "03:00", "time of day (UTC, HH:MM) of the daily slot")
	_ = cmd.MarkFlagRequired("creator")
	return cmd
}
