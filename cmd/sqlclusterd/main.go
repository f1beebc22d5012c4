// Command sqlclusterd is the sqlcluster server: a PostgreSQL-wire front end
// over SQLite. Every flag can also be set through the environment
// (SQLCLUSTER_<FLAG> with dashes as underscores) or a TOML file given by
// --config using the flag names as keys; flags win over the environment,
// which wins over the file.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/sqlcluster/sqlcluster/node"
	"github.com/sqlcluster/sqlcluster/peer"
)

func envName(flag string) []string {
	return []string{"SQLCLUSTER_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func flags() []cli.Flag {
	str := func(name, value, usage string) cli.Flag {
		return altsrc.NewStringFlag(&cli.StringFlag{Name: name, Value: value, Usage: usage, EnvVars: envName(name)})
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "TOML file with settings (keys are flag names)", EnvVars: envName("config")},
		str("data-dir", "./data", "directory for databases (locked exclusively while running)"),
		str("pg-addr", "127.0.0.1:5432", "PostgreSQL protocol listen address"),
		str("admin-addr", "127.0.0.1:7432", "admin HTTP listen address (/health, /ready, /status, /metrics)"),
		str("mode", "single", "single (embedded SQLite), stream or raft"),
		str("node-id", "", "node name (default: hostname)"),
		str("password", "", "password every user must present; unset = trust"),
		str("auth-method", "scram-sha-256", "how the password is checked: scram-sha-256, md5 or password"),
		str("tls-cert", "", "PEM certificate; with --tls-key serves TLS on SSLRequest"),
		str("tls-key", "", "PEM private key for --tls-cert"),
		str("log-level", "info", "debug, info, warn or error"),
		str("log-format", "text", "text or json"),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "max-message-size", Value: 64 << 20, Usage: "largest accepted protocol message in bytes", EnvVars: envName("max-message-size")}),
		altsrc.NewDurationFlag(&cli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, Usage: "how long running statements may finish on SIGTERM", EnvVars: envName("shutdown-timeout")}),
		// Cluster (stream mode; raft mode shares them).
		str("gossip-addr", "0.0.0.0:7946", "gossip (memberlist) bind address"),
		str("advertise-addr", "", "host other nodes reach this node at (default: derived from the bind addresses)"),
		str("peer-addr", "0.0.0.0:7947", "node-to-node TCP address: WAL stream, snapshots, forwarded writes"),
		str("join", "", "comma-separated gossip seeds host:port (DNS names are re-resolved)"),
		str("cluster-id", "sqlcluster", "only nodes with the same cluster id form a cluster"),
		str("cluster-secret", "", "base64 of 16, 24 or 32 bytes: encrypts gossip and authenticates peer connections"),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "bootstrap-expect", Usage: "wait for this many nodes before the first election; they become the initial voters", EnvVars: envName("bootstrap-expect")}),
		str("sync-replicas", "quorum", "replicas that must hold a commit before it is acknowledged: quorum (a majority of voters), a number, or 0 (asynchronous)"),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "voters", Value: 3, Usage: "raft mode: number of voting nodes the cluster keeps (odd)", EnvVars: envName("voters")}),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "standbys", Value: 3, Usage: "raft mode: number of stand-by nodes (replicate, do not vote)", EnvVars: envName("standbys")}),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "failure-domain", Usage: "raft mode: failure domain of this node, spread voters across domains", EnvVars: envName("failure-domain")}),
		altsrc.NewDurationFlag(&cli.DurationFlag{Name: "lease-ttl", Value: 1500 * time.Millisecond, Usage: "primary lease; a dead primary is replaced about one TTL after it stops renewing", EnvVars: envName("lease-ttl")}),
	}
}

// streamConfig turns the cluster flags into a node.StreamConfig.
func streamConfig(c *cli.Context) (node.StreamConfig, error) {
	sc := node.StreamConfig{
		GossipAddr: c.String("gossip-addr"), AdvertiseAddr: c.String("advertise-addr"), PeerAddr: c.String("peer-addr"),
		ClusterID: c.String("cluster-id"), BootstrapExpect: c.Int("bootstrap-expect"),
		SyncReplicas: c.String("sync-replicas"), LeaseTTL: c.Duration("lease-ttl"),
	}
	for _, j := range strings.Split(c.String("join"), ",") {
		if j = strings.TrimSpace(j); j != "" {
			sc.Join = append(sc.Join, j)
		}
	}
	if s := c.String("cluster-secret"); s != "" {
		secret, err := peer.DecodeSecret(s)
		if err != nil {
			return sc, fmt.Errorf("invalid --cluster-secret: %w", err)
		}
		sc.Secret = secret
	}
	if sc.BootstrapExpect < 0 {
		return sc, fmt.Errorf("invalid --bootstrap-expect %d: use 0 (join an existing cluster) or the number of initial nodes", sc.BootstrapExpect)
	}
	return sc, nil
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log-format %q: use text or json", format)
}

func run(c *cli.Context) error {
	log, err := newLogger(c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	cfg := node.Config{
		NodeID:          c.String("node-id"),
		Mode:            c.String("mode"),
		DataDir:         c.String("data-dir"),
		PGAddr:          c.String("pg-addr"),
		AdminAddr:       c.String("admin-addr"),
		Password:        c.String("password"),
		AuthMethod:      c.String("auth-method"),
		TLSCert:         c.String("tls-cert"),
		TLSKey:          c.String("tls-key"),
		MaxMessageSize:  c.Int("max-message-size"),
		ShutdownTimeout: c.Duration("shutdown-timeout"),
		Logger:          log,
	}
	if cfg.Stream, err = streamConfig(c); err != nil {
		return err
	}
	cfg.Raft = node.RaftConfig{Voters: c.Int("voters"), StandBys: c.Int("standbys"), FailureDomain: uint64(c.Int("failure-domain"))}
	if cfg.Raft.Voters < 1 || cfg.Raft.Voters%2 == 0 {
		return fmt.Errorf("invalid --voters %d: use an odd number (1, 3, 5 …)", cfg.Raft.Voters)
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	return n.Stop(context.Background())
}

func main() {
	fl := flags()
	app := &cli.App{
		Name:    "sqlclusterd",
		Usage:   "replicated SQLite server speaking the PostgreSQL wire protocol",
		Version: node.Version,
		Flags:   fl,
		Before: func(c *cli.Context) error {
			if c.String("config") == "" {
				return nil
			}
			return altsrc.InitInputSourceWithContext(fl, altsrc.NewTomlSourceFromFlagFunc("config"))(c)
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "sqlclusterd:", err)
		os.Exit(1)
	}
}
