package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pgUser is the unprivileged OS account PostgreSQL runs under when the
// harness itself runs as root.
const pgUser = "sqlbench"

// pgSettings are the server settings of the baseline. Durability is spelled
// out, although it is PostgreSQL's default, because the comparison is only
// meaningful if both servers fsync every commit. Everything else, notably
// shared_buffers, stays at the stock default.
func pgSettings(port int, socketDir string) []string {
	return []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + socketDir,
		"fsync=on",
		"synchronous_commit=on",
		"logging_collector=off",
	}
}

// startPostgres initialises and starts a throwaway PostgreSQL cluster in a
// new temporary directory. On error nothing is left running or on disk.
func startPostgres(ctx context.Context, cfg config, logf logFunc) (srv *server, err error) {
	base, err := os.MkdirTemp(cfg.tmpBase, "sqlbench-pg-")
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

	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		uid, gid, err := ensureUser(ctx, pgUser, logf)
		if err != nil {
			return nil, err
		}
		cred = &syscall.Credential{Uid: uid, Gid: gid}
		if err := os.Chown(base, int(uid), int(gid)); err != nil {
			return nil, fmt.Errorf("chown temp dir: %w", err)
		}
	}
	// A minimal, fixed environment: the server must not pick up the
	// caller's locale or PG* settings.
	env := []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C"}

	dataDir := filepath.Join(base, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(cfg.pgBinDir, "initdb"),
		"-D", dataDir, "--username=postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir = base
	initdb.Env = env
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		hint := ""
		if cred != nil && errors.Is(err, os.ErrPermission) {
			hint = fmt.Sprintf(" (user %s must be able to traverse every parent of %s)", pgUser, base)
		}
		return nil, fmt.Errorf("initdb%s: %w\n%s", hint, err, strings.TrimSpace(string(out)))
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{filepath.Join(cfg.pgBinDir, "postgres"), "-D", dataDir}
	for _, s := range pgSettings(port, base) {
		argv = append(argv, "-c", s)
	}
	proc, err := startProcess(argv, base, filepath.Join(base, "server.log"), env, cred)
	if err != nil {
		return nil, err
	}
	stop := func() error {
		// SIGINT is PostgreSQL's fast shutdown: roll back sessions,
		// checkpoint, exit. Backends are session leaders of their own,
		// so they are not in the group; the postmaster reaps them, and
		// should it be SIGKILLed they exit on noticing its death.
		serr := proc.stop(syscall.SIGINT, 60*time.Second)
		if serr != nil {
			serr = fmt.Errorf("stop postgres: %w", serr)
		}
		return errors.Join(serr, removeAll(base))
	}

	srv = &server{
		host:         "127.0.0.1",
		port:         port,
		proc:         proc,
		setupScripts: []string{"setup_postgres.sql"},
		close:        stop,
	}
	err = waitReady(ctx, proc, 60*time.Second, func(ctx context.Context) error {
		_, err := psql(ctx, cfg, srv, "-c", "SELECT 1")
		return err
	})
	if err != nil {
		if serr := stop(); serr != nil {
			logf("%v", serr)
		}
		// stop removed base; the deferred removal is a no-op.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return srv, nil
}

// ensureUser returns the uid and gid of name, creating it as a system user
// without home or login shell when it does not exist.
func ensureUser(ctx context.Context, name string, logf logFunc) (uid, gid uint32, err error) {
	u, err := user.Lookup(name)
	if errors.As(err, new(user.UnknownUserError)) {
		logf("creating system user %s to run PostgreSQL (root cannot)", name)
		cmd := exec.CommandContext(ctx, "useradd", "--system", "--user-group",
			"--no-create-home", "--shell", "/usr/sbin/nologin", name)
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("useradd %s: %w\n%s", name, err, strings.TrimSpace(string(out)))
		}
		u, err = user.Lookup(name)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("look up user %s: %w", name, err)
	}
	id, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("uid of %s: %w", name, err)
	}
	g, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("gid of %s: %w", name, err)
	}
	return uint32(id), uint32(g), nil
}
