package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startSqlclusterd builds ./cmd/sqlclusterd (unless -sqlclusterd-bin is
// given) and starts it in single mode on a fresh data directory, waiting for
// its admin /health endpoint. On error nothing is left running or on disk.
func startSqlclusterd(ctx context.Context, cfg config, logf logFunc) (srv *server, err error) {
	base, err := os.MkdirTemp(cfg.tmpBase, "sqlbench-sqlc-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := removeAll(base); rerr != nil {
				logf("%v", rerr)
			}
		}
	}()

	bin := cfg.sqlcBin
	if bin == "" {
		if bin, err = buildSqlclusterd(ctx, cfg, base, logf); err != nil {
			return nil, err
		}
	}

	dataDir := filepath.Join(base, "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	pgPort, err := freePort()
	if err != nil {
		return nil, err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, err
	}
	pgAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(pgPort))
	adminAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(adminPort))
	argv := []string{bin, "--data-dir", dataDir, "--pg-addr", pgAddr, "--admin-addr", adminAddr}
	proc, err := startProcess(argv, base, filepath.Join(base, "server.log"), os.Environ(), nil)
	if err != nil {
		return nil, err
	}
	stop := func() error {
		serr := proc.stop(syscall.SIGTERM, 60*time.Second)
		if serr != nil {
			serr = fmt.Errorf("stop sqlclusterd: %w", serr)
		}
		return errors.Join(serr, removeAll(base))
	}

	client := &http.Client{}
	healthURL := "http://" + adminAddr + "/health"
	err = waitReady(ctx, proc, 60*time.Second, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /health: %s", resp.Status)
		}
		// Healthy but not accepting PostgreSQL connections would make
		// every workload fail with a less obvious error.
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", pgAddr)
		if err != nil {
			return err
		}
		return conn.Close()
	})
	if err != nil {
		if serr := stop(); serr != nil {
			logf("%v", serr)
		}
		return nil, fmt.Errorf("sqlclusterd: %w", err)
	}
	return &server{host: "127.0.0.1", port: pgPort, proc: proc, close: stop}, nil
}

// errTempDir marks a temporary directory that could not be created.
var errTempDir = errors.New("create temp dir")

// buildForSection builds ./cmd/sqlclusterd once for a section whose servers
// all run the one build, into a fresh temporary directory named by prefix,
// and logs a build failure under label (the compiler's output is in it).
// remove deletes the directory, logging a failure; it is never nil, so the
// caller defers it before looking at err. An error wrapping errTempDir
// means not even the directory could be made.
func buildForSection(ctx context.Context, cfg config, prefix, label string, logf logFunc) (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp(cfg.tmpBase, prefix)
	if err != nil {
		return "", func() {}, fmt.Errorf("%w: %w", errTempDir, err)
	}
	remove = func() {
		if err := removeAll(dir); err != nil {
			logf("%v", err)
		}
	}
	if bin, err = buildSqlclusterd(ctx, cfg, dir, logf); err != nil {
		logf("%s: %v", label, err)
		return "", remove, err
	}
	return bin, remove, nil
}

// buildSqlclusterd builds ./cmd/sqlclusterd of cfg.repoDir into dir and
// returns the binary's path.
func buildSqlclusterd(ctx context.Context, cfg config, dir string, logf logFunc) (string, error) {
	bin := filepath.Join(dir, "sqlclusterd")
	logf("building ./cmd/sqlclusterd")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sqlclusterd")
	build.Dir = cfg.repoDir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build sqlclusterd: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}
