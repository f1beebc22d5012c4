package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// accountsAtScale1 is the row count setup.sql must produce; checked after
// loading so that a server that silently drops or truncates the generated
// rows cannot post a point-select figure over an almost empty table.
const accountsAtScale1 = "100000"

// psql runs the psql client against srv with ON_ERROR_STOP, without reading
// ~/.psqlrc, and returns its trimmed stdout.
func psql(ctx context.Context, cfg config, srv *server, args ...string) (string, error) {
	argv := append([]string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.pgBinDir, "psql"), argv...)
	cmd.Env = clientEnv(srv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// loadSchema creates and fills the pgbench tables on srv and verifies the
// account count.
func loadSchema(ctx context.Context, cfg config, srv *server) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for _, f := range append([]string{"setup.sql"}, srv.setupScripts...) {
		if _, err := psql(ctx, cfg, srv, "-f", filepath.Join(cfg.benchDir, f)); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	n, err := psql(ctx, cfg, srv, "-c", "SELECT count(*) FROM pgbench_accounts")
	if err != nil {
		return fmt.Errorf("setup check: %w", err)
	}
	if n != accountsAtScale1 {
		return fmt.Errorf("setup check: pgbench_accounts has %q rows, want %s", n, accountsAtScale1)
	}
	return nil
}
