package election

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// stateFile is the name of the persisted vote state inside StateDir.
const stateFile = "election.json"

// voteState is what must survive a restart for votes to stay unique: the
// newest epoch this node adopted, whom it voted for in it, and the voter
// set it bootstrapped with (needed until the membership is replicated,
// because positions stop being empty as soon as the first primary writes).
type voteState struct {
	Version   int      `json:"version"`
	NodeID    string   `json:"node_id"`
	Epoch     uint64   `json:"epoch"`
	VotedFor  string   `json:"voted_for,omitempty"`
	Bootstrap []string `json:"bootstrap_voters,omitempty"`
}

const stateVersion = 1

// LoadEpoch returns the epoch persisted in dir (0 when nothing is), so a
// node can recover its log before it starts the election.
func LoadEpoch(dir string) (uint64, error) {
	st, err := readState(dir)
	if err != nil {
		return 0, err
	}
	return st.Epoch, nil
}

// readState reads the state; a missing file is the zero state. A damaged
// file is an error and never a reset: forgetting a vote could grant a
// second one in the same epoch.
func readState(dir string) (voteState, error) {
	path := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return voteState{Version: stateVersion}, nil
	}
	if err != nil {
		return voteState{}, fmt.Errorf("reading election state: %w", err)
	}
	var st voteState
	if err := json.Unmarshal(b, &st); err != nil {
		return voteState{}, fmt.Errorf("parsing election state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return voteState{}, fmt.Errorf("election state %s has unknown version %d", path, st.Version)
	}
	return st, nil
}

// writeState replaces the state atomically and durably: temp file, fsync,
// rename, fsync of the directory. Only after it returns may a vote be
// announced.
func writeState(dir string, st voteState) error {
	st.Version = stateVersion
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding election state: %w", err)
	}
	f, err := os.CreateTemp(dir, ".election-*.tmp")
	if err != nil {
		return fmt.Errorf("creating election state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("writing election state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing election state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing election state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("installing election state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing state directory: %w", err)
	}
	return nil
}

func (st voteState) clone() voteState {
	st.Bootstrap = slices.Clone(st.Bootstrap)
	return st
}
