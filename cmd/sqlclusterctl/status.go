package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sqlcluster/sqlcluster/admin"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the node's status (and its view of the cluster)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the raw JSON document"}},
		Action: func(c *cli.Context) error {
			if _, err := args(c, 0, 0); err != nil {
				return err
			}
			body, err := newClient(c).getJSON("/status", nil)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				_, err := os.Stdout.Write(body)
				return err
			}
			// UseNumber: the raft details are a free-form map whose ids
			// are 64-bit; as float64 they would print rounded, in e notation.
			var st admin.Status
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&st); err != nil {
				return fmt.Errorf("node returned an unreadable status: %w", err)
			}
			printStatus(os.Stdout, st, time.Now())
			return nil
		},
	}
}

func printStatus(w io.Writer, st admin.Status, now time.Time) {
	fmt.Fprintf(w, "node:        %s\n", st.NodeID)
	fmt.Fprintf(w, "mode:        %s\n", st.Mode)
	fmt.Fprintf(w, "role:        %s\n", st.Role)
	fmt.Fprintf(w, "version:     %s\n", st.Version)
	fmt.Fprintf(w, "pg address:  %s\n", st.PGAddr)
	fmt.Fprintf(w, "databases:   %s\n", strings.Join(st.Databases, ", "))
	fmt.Fprintf(w, "connections: %d\n", st.Connections)
	fmt.Fprintf(w, "commits:     %d\n", st.Commits)
	fmt.Fprintf(w, "uptime:      %s\n", st.Uptime)
	cs := st.Cluster
	if cs == nil {
		return
	}
	fmt.Fprintf(w, "cluster:\n")
	raft := st.Mode == "raft"
	if !raft { // epochs and positions are stream mode's; Raft has its own below
		fmt.Fprintf(w, "  epoch:     %d\n", cs.Epoch)
	}
	fmt.Fprintf(w, "  primary:   %s\n", orDash(cs.Primary))
	if !raft {
		fmt.Fprintf(w, "  position:  %s\n", orDash(cs.Position))
		fmt.Fprintf(w, "  applied:   %d\n", cs.Applied)
	}
	if cs.SyncReplica != "" {
		fmt.Fprintf(w, "  sync:      %s\n", cs.SyncReplica)
	}
	if len(cs.Replicas) > 0 {
		fmt.Fprintf(w, "  replicas:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "    ID\tCONNECTED\tACKED\tLAG\tLAST CONTACT\n")
		for _, r := range cs.Replicas {
			fmt.Fprintf(tw, "    %s\t%s\t%d\t%d\t%s\n", r.ID, yesNo(r.Connected), r.AckedTxID, r.LagTxns, ago(now, r.LastContact))
		}
		tw.Flush()
	}
	if len(cs.Raft) > 0 {
		fmt.Fprintf(w, "  raft:\n")
		keys := make([]string, 0, len(cs.Raft))
		for k := range cs.Raft {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
		for _, k := range keys {
			v := cs.Raft[k]
			if v == nil { // e.g. no stand-bys
				v = "-"
			}
			fmt.Fprintf(tw, "    %s:\t%v\n", k, v)
		}
		tw.Flush()
	}
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0 // clocks of two machines
	}
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String() + " ago"
	case d < time.Minute:
		return d.Round(100*time.Millisecond).String() + " ago"
	}
	return d.Round(time.Second).String() + " ago"
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
