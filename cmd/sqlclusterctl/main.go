// Command sqlclusterctl is the operator's CLI. It talks to a node's admin
// HTTP API (--node ADMIN_ADDR): status, cluster membership, primary/leader
// transfer, and streaming backup and restore.
//
// Quick requests are bounded by --timeout as a whole. Backup, restore and
// transfer may legitimately run for minutes, so --timeout bounds only
// connecting to the node and --op-timeout (none by default) the whole
// operation; Ctrl-C cancels any of them cleanly, and an interrupted or
// truncated backup never leaves a file behind.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C has cancelled the operation, a second one
		// kills the process the usual way.
		<-ctx.Done()
		stop()
	}()
	app := newApp()
	err := app.RunContext(ctx, flagsFirst(app, os.Args))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlclusterctl:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "sqlclusterctl",
		Usage: "operate a sqlcluster node through its admin API",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", Value: "127.0.0.1:7432", Usage: "admin address of a node (host:port or URL)", EnvVars: []string{"SQLCLUSTER_NODE"}},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "how long to wait for the node (for backup, restore and transfer: only for connecting)"},
			&cli.DurationFlag{Name: "op-timeout", Usage: "give up on backup, restore or transfer after this long; 0 means no limit (Ctrl-C cancels)"},
		},
		Commands: []*cli.Command{
			statusCommand(),
			membersCommand(),
			leaderCommand(),
			addCommand(),
			removeCommand(),
			assignCommand(),
			transferCommand(),
			backupCommand(),
			restoreCommand(),
		},
	}
}
