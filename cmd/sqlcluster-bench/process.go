package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is a long-running server child. It is started in its own process
// group so that (a) a terminal ^C reaches only the harness, which then shuts
// the server down in order instead of it dying mid-write, and (b) stopping
// it can signal everything the server itself spawned.
type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the child has been reaped
	waitErr error         // valid after done is closed
}

// startProcess starts argv with stdout and stderr appended to logPath.
// cred, when non-nil, makes the child run under another uid/gid.
func startProcess(argv []string, dir, logPath string, env []string, cred *syscall.Credential) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	// The child holds its own descriptor; ours is not needed after Start.
	defer logFile.Close()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the child is gone, and why.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		if p.waitErr == nil {
			return true, errors.New("exited with status 0")
		}
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop sends sig to the process group and waits up to grace for the child
// to exit, then SIGKILLs the group. It returns an error only if the child
// could not be reaped at all.
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	if gone, _ := p.exited(); gone {
		return nil
	}
	pgid := p.cmd.Process.Pid // Setpgid: the child leads its own group
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
		return fmt.Errorf("did not exit within %v of %v; killed", grace, sig)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d survived SIGKILL", pgid)
	}
}

// kill SIGKILLs the process group without warning, as a crash would, and
// waits for the child to be reaped.
func (p *process) kill() error {
	if gone, _ := p.exited(); gone {
		return nil
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d survived SIGKILL", p.cmd.Process.Pid)
	}
}

// logTail returns the last n lines of the child's log, for error reports.
func (p *process) logTail(n int) string {
	return fileTail(p.logPath, n)
}

func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(b, nil)), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort asks the kernel for an unused loopback TCP port. Another process
// could take it before the server binds it; on this single-purpose run that
// race is accepted, and a lost race shows up as a startup error.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct unused loopback TCP ports. The listeners are
// held until all n are found so the kernel cannot hand out one port twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// removeAll removes a temporary directory, retrying briefly because a server
// killed a moment ago may still be closing files in it.
func removeAll(dir string) error {
	var err error
	for range 5 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("remove %s: %w", dir, err)
}
