package main

import (
	"context"
	"fmt"
)

// benchSide runs every selected workload against one freshly started
// server and records the cells. The server is stopped and its directory
// removed before benchSide returns, whatever happened, so the next side
// runs on an otherwise idle machine.
func benchSide(ctx context.Context, cfg config, sd side, rep *report, logf logFunc) {
	logf("%s: starting", sd.label)
	srv, err := sd.start(ctx, cfg, logf)
	if err != nil {
		logf("%s: %v", sd.label, err)
		rep.setAll(sd.key, errorCell(ctx, err))
		return
	}
	defer func() {
		logf("%s: stopping", sd.label)
		if err := srv.close(); err != nil {
			logf("%s: %v", sd.label, err)
			rep.SideErrors = append(rep.SideErrors, fmt.Sprintf("%s: %v", sd.label, err))
		}
	}()

	logf("%s: loading pgbench tables (scale 1)", sd.label)
	if err := loadSchema(ctx, cfg, srv); err != nil {
		logf("%s: %v", sd.label, err)
		rep.setAll(sd.key, cell{Status: statusError, Error: err.Error()})
		return
	}

	for _, w := range cfg.workloads {
		if ctx.Err() != nil {
			rep.set(sd.key, w.Name, cell{Status: statusSkipped, Error: "interrupted"})
			continue
		}
		if gone, why := srv.proc.exited(); gone {
			msg := fmt.Sprintf("server exited before this workload: %v", why)
			logf("%s: %s; log tail:\n%s", sd.label, msg, srv.proc.logTail(20))
			rep.set(sd.key, w.Name, cell{Status: statusError, Error: msg})
			continue
		}
		logf("%s: %s for %v", sd.label, w.Name, cfg.duration)
		c := runPgbench(ctx, cfg, srv, w)
		if ctx.Err() != nil && c.Status != statusOK {
			c = cell{Status: statusSkipped, Error: "interrupted"}
		}
		rep.set(sd.key, w.Name, c)
		logf("%s: %s: %s", sd.label, w.Name, cellDetail(c))
		if c.Status == statusError {
			logf("%s: server log tail:\n%s", sd.label, srv.proc.logTail(10))
		}
	}
}
