// Command sqlclusterctl is the operator's CLI. It talks to a node's admin
// HTTP API (--node ADMIN_ADDR).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sqlcluster/sqlcluster/admin"
)

func main() {
	app := &cli.App{
		Name:  "sqlclusterctl",
		Usage: "operate a sqlcluster node through its admin API",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", Value: "127.0.0.1:7432", Usage: "admin address of a node (host:port or URL)", EnvVars: []string{"SQLCLUSTER_NODE"}},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "how long to wait for the node"},
		},
		Commands: []*cli.Command{{
			Name:  "status",
			Usage: "show the node's status",
			Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the raw JSON document"}},
			Action: func(c *cli.Context) error {
				body, err := get(c, "/status")
				if err != nil {
					return err
				}
				if c.Bool("json") {
					_, err := os.Stdout.Write(body)
					return err
				}
				var st admin.Status
				if err := json.Unmarshal(body, &st); err != nil {
					return fmt.Errorf("node returned an unreadable status: %w", err)
				}
				printStatus(os.Stdout, st)
				return nil
			},
		}},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "sqlclusterctl:", err)
		os.Exit(1)
	}
}

func baseURL(node string) string {
	if strings.HasPrefix(node, "http://") || strings.HasPrefix(node, "https://") {
		return strings.TrimSuffix(node, "/")
	}
	return "http://" + node
}

func get(c *cli.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	url := baseURL(c.String("node")) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid --node %q: %w", c.String("node"), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the node's admin API at %s (is sqlclusterd running with --admin-addr %s?): %w", url, c.String("node"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func printStatus(w io.Writer, st admin.Status) {
	fmt.Fprintf(w, "node:        %s\n", st.NodeID)
	fmt.Fprintf(w, "mode:        %s\n", st.Mode)
	fmt.Fprintf(w, "role:        %s\n", st.Role)
	fmt.Fprintf(w, "version:     %s\n", st.Version)
	fmt.Fprintf(w, "pg address:  %s\n", st.PGAddr)
	fmt.Fprintf(w, "databases:   %s\n", strings.Join(st.Databases, ", "))
	fmt.Fprintf(w, "connections: %d\n", st.Connections)
	fmt.Fprintf(w, "commits:     %d\n", st.Commits)
	fmt.Fprintf(w, "uptime:      %s\n", st.Uptime)
}
