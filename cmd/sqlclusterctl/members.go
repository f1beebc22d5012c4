package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/sqlcluster/sqlcluster/admin"
)

func membersCommand() *cli.Command {
	return &cli.Command{
		Name:  "members",
		Usage: "list the cluster's members (* marks the primary/leader)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the raw JSON document"}},
		Action: func(c *cli.Context) error {
			if _, err := args(c, 0, 0); err != nil {
				return err
			}
			var ms []admin.Member
			body, err := newClient(c).getJSON("/cluster/members", &ms)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				_, err := os.Stdout.Write(body)
				return err
			}
			printMembers(os.Stdout, ms)
			return nil
		},
	}
}

func printMembers(w io.Writer, ms []admin.Member) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tVOTER\tALIVE\tPG ADDRESS\tPEER ADDRESS\tPOSITION\tLAG")
	for _, m := range ms {
		id, lag := m.ID, fmt.Sprint(m.LagTxns)
		if m.Leader {
			id, lag = id+" *", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, orDash(m.Role), yesNo(m.Voter), yesNo(m.Alive),
			orDash(m.PGAddr), orDash(m.PeerAddr), orDash(m.Position), lag)
	}
	tw.Flush()
}

func leaderCommand() *cli.Command {
	return &cli.Command{
		Name:  "leader",
		Usage: "print the primary/leader as: ID PG_ADDRESS",
		Action: func(c *cli.Context) error {
			if _, err := args(c, 0, 0); err != nil {
				return err
			}
			var m admin.Member
			if _, err := newClient(c).getJSON("/cluster/leader", &m); err != nil {
				return err
			}
			fmt.Println(m.ID, orDash(m.PGAddr))
			return nil
		},
	}
}

func addCommand() *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "make a node a member of the cluster",
		ArgsUsage: "ID [ADDRESS] [--role voter|standby|spare]",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "role", Value: "voter", Usage: "voter, standby or spare"}},
		Action: func(c *cli.Context) error {
			a, err := args(c, 1, 2, "node ID")
			if err != nil {
				return err
			}
			if err := checkRole(c, c.String("role")); err != nil {
				return err
			}
			req := admin.AddMemberRequest{ID: a[0], Role: c.String("role")}
			if len(a) > 1 {
				req.Address = a[1]
			}
			cl := newClient(c)
			ctx, cancel := cl.quick()
			defer cancel()
			return cl.ack(ctx, http.MethodPost, "/cluster/members", req)
		},
	}
}

func removeCommand() *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Usage:     "remove a member from the cluster",
		ArgsUsage: "ID",
		Action: func(c *cli.Context) error {
			a, err := args(c, 1, 1, "node ID")
			if err != nil {
				return err
			}
			cl := newClient(c)
			ctx, cancel := cl.quick()
			defer cancel()
			return cl.ack(ctx, http.MethodDelete, "/cluster/members/"+url.PathEscape(a[0]), nil)
		},
	}
}

func assignCommand() *cli.Command {
	return &cli.Command{
		Name:      "assign",
		Usage:     "change a member's role",
		ArgsUsage: "ID " + strings.Join(roles, "|"),
		Action: func(c *cli.Context) error {
			a, err := args(c, 2, 2, "node ID", "role ("+strings.Join(roles, ", ")+")")
			if err != nil {
				return err
			}
			if err := checkRole(c, a[1]); err != nil {
				return err
			}
			cl := newClient(c)
			ctx, cancel := cl.quick()
			defer cancel()
			return cl.ack(ctx, http.MethodPost, "/cluster/members/"+url.PathEscape(a[0])+"/role", admin.AssignRoleRequest{Role: a[1]})
		},
	}
}

func transferCommand() *cli.Command {
	return &cli.Command{
		Name:      "transfer",
		Usage:     "hand the primary/leader role to another member",
		ArgsUsage: "ID",
		Action: func(c *cli.Context) error {
			a, err := args(c, 1, 1, "ID of the member that should take over")
			if err != nil {
				return err
			}
			cl := newClient(c)
			ctx, cancel := cl.long()
			defer cancel()
			return cl.ack(ctx, http.MethodPost, "/cluster/transfer", admin.TransferRequest{ID: a[0]})
		},
	}
}
