package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sqlcluster/sqlcluster/admin"
)

// snapshotMagic opens every snapshot (package snapshot's format). Only the
// magic is checked here: the node validates the rest on restore.
const snapshotMagic = "SQCSNAP1"

// progressInterval is how often the progress line is redrawn.
const progressInterval = 250 * time.Millisecond

func backupCommand() *cli.Command {
	return &cli.Command{
		Name:      "backup",
		Usage:     "stream a consistent snapshot of every database into FILE",
		ArgsUsage: "FILE",
		Action: func(c *cli.Context) error {
			a, err := args(c, 1, 1, "FILE to write the snapshot to")
			if err != nil {
				return err
			}
			return backup(c, a[0])
		},
	}
}

// backup downloads into FILE.tmp and renames it to FILE only once the
// whole snapshot is on disk, so FILE is either complete or absent (or, if
// it existed, the previous backup).
func backup(c *cli.Context, file string) (err error) {
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: name the snapshot file to write", file)
	}
	// Create the file first: a bad path should fail before the node starts
	// reading every database.
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("creating the backup file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()

	cl := newClient(c)
	ctx, cancel := cl.long()
	defer cancel()
	resp, err := cl.do(ctx, http.MethodGet, "/cluster/backup", nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	m := startMeter(os.Stderr, isTerminal(os.Stderr), progressInterval, "backup", max(resp.ContentLength, 0))
	werr := copySnapshot(f, m.Reader(resp.Body))
	n, elapsed := m.Stop()
	if werr != nil {
		if cl.root.Err() != nil {
			return fmt.Errorf("backup interrupted after %s; %s was not written", megabytes(n), file)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("backup stopped by --op-timeout %s after %s; %s was not written", cl.opTimeout, megabytes(n), file)
		}
		return fmt.Errorf("backup failed after %d bytes: %w; %s was not written", n, werr, file)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, file, err)
	}
	syncDir(filepath.Dir(file))
	fmt.Fprintf(os.Stderr, "backup: wrote %d bytes (%s) to %s in %s (%s)\n",
		n, megabytes(n), file, elapsed.Round(time.Millisecond), rate(n, elapsed))
	return nil
}

// copySnapshot copies a snapshot from r to w, refusing anything that does
// not start with the snapshot magic.
func copySnapshot(w io.Writer, r io.Reader) error {
	head := make([]byte, len(snapshotMagic))
	if n, err := io.ReadFull(r, head); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("the node sent %d bytes, too few for a snapshot", n)
		}
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	if string(head) != snapshotMagic {
		return fmt.Errorf("the node sent something that is not a snapshot (it starts with %q, not %q)", head, snapshotMagic)
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("writing the backup file: %w", err)
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("receiving the snapshot: %w", err)
	}
	return nil
}

// syncDir makes a rename durable; best effort, as not every platform can
// sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func restoreCommand() *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "replace the cluster's databases with the snapshot in FILE",
		ArgsUsage: "FILE [--force]",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "replace databases that already hold data"}},
		Action: func(c *cli.Context) error {
			a, err := args(c, 1, 1, "snapshot FILE to restore")
			if err != nil {
				return err
			}
			return restore(c, a[0])
		},
	}
}

func restore(c *cli.Context, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("opening the snapshot: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening the snapshot: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: restore needs a snapshot file written by sqlclusterctl backup", file)
	}
	head := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(snapshotMagic)) {
		return fmt.Errorf("%s is not a sqlcluster snapshot (it does not start with %q); nothing was uploaded", file, snapshotMagic)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}

	cl := newClient(c)
	ctx, cancel := cl.long()
	defer cancel()
	path := "/cluster/restore"
	if c.Bool("force") {
		path += "?force=1"
	}
	m := startMeter(os.Stderr, isTerminal(os.Stderr), progressInterval, "restore", fi.Size())
	resp, err := cl.do(ctx, http.MethodPost, path, m.Reader(f), func(r *http.Request) {
		r.ContentLength = fi.Size()
		r.Header.Set("Content-Type", "application/octet-stream")
		// The node may refuse before reading (no --force, single mode):
		// then it says so without our uploading the whole file first.
		r.Header.Set("Expect", "100-continue")
	})
	n, elapsed := m.Stop()
	if err != nil {
		if cl.root.Err() != nil {
			return fmt.Errorf("restore interrupted after uploading %s of %s", megabytes(n), megabytes(fi.Size()))
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("restore stopped by --op-timeout %s after uploading %s: %w", cl.opTimeout, megabytes(n), err)
		}
		return err
	}
	defer resp.Body.Close()
	var ack admin.Ack
	if b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err == nil {
		json.Unmarshal(b, &ack) // an older node may answer without a message
	}
	fmt.Fprintf(os.Stderr, "restore: uploaded %d bytes (%s) from %s in %s (%s)\n",
		n, megabytes(n), file, elapsed.Round(time.Millisecond), rate(n, elapsed))
	if ack.Message != "" {
		fmt.Println(ack.Message)
	}
	return nil
}
