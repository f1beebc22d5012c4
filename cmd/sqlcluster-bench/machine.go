package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// machineFacts describes where the numbers came from. fsync-bound
// workloads depend mostly on the filesystem and device under the data
// directories, so those are recorded next to the CPU count.
type machineFacts struct {
	NProc       int    `json:"nproc"`
	CPUModel    string `json:"cpu_model,omitempty"`
	MemTotalMiB int64  `json:"mem_total_mib,omitempty"`
	Kernel      string `json:"kernel"`
	DataDir     string `json:"data_dir"`
	FSType      string `json:"data_dir_fs"`
	FSSource    string `json:"data_dir_device,omitempty"`
	MountPoint  string `json:"data_dir_mount,omitempty"`
	Postgres    string `json:"postgres_version,omitempty"`
	Go          string `json:"go_version"`
}

func gatherMachineFacts(dataDir, postgresBin string) machineFacts {
	m := machineFacts{
		NProc:   runtime.NumCPU(), // honours the affinity mask, as nproc does
		Kernel:  "unknown",
		DataDir: dataDir,
		FSType:  "unknown",
		Go:      runtime.Version(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = runtime.GOOS + " " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = procField(b, "model name")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(procField(b, "MemTotal"), " kB"), 10, 64); err == nil {
			m.MemTotalMiB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		if real, err := filepath.EvalSymlinks(dataDir); err == nil {
			dataDir = real
		}
		m.MountPoint, m.FSType, m.FSSource = mountFor(b, dataDir)
	}
	if out, err := exec.Command(postgresBin, "--version").Output(); err == nil {
		m.Postgres = strings.TrimSpace(string(out))
	}
	return m
}

// summary is the one-line form printed under the table.
func (m machineFacts) summary() string {
	parts := []string{fmt.Sprintf("nproc %d", m.NProc)}
	if m.CPUModel != "" {
		parts = append(parts, m.CPUModel)
	}
	if m.MemTotalMiB > 0 {
		parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(m.MemTotalMiB)/1024))
	}
	parts = append(parts, "kernel "+m.Kernel)
	fs := fmt.Sprintf("data dirs under %s on %s", m.DataDir, m.FSType)
	if m.FSSource != "" {
		fs += fmt.Sprintf(" (%s mounted at %s)", m.FSSource, m.MountPoint)
	}
	parts = append(parts, fs)
	if m.Postgres != "" {
		parts = append(parts, m.Postgres)
	}
	parts = append(parts, m.Go)
	return strings.Join(parts, "; ")
}

// procField returns the value of the first "key: value" line of a /proc
// file such as cpuinfo or meminfo.
func procField(b []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// mountFor finds the mount holding path in /proc/self/mountinfo content:
// the entry with the longest mount point that is a prefix of path (later
// entries win ties, as they are mounted over earlier ones).
//
// Line format (proc(5)): id parent major:minor root mountpoint options
// [optional fields...] - fstype source superoptions.
func mountFor(mountinfo []byte, path string) (mountPoint, fsType, source string) {
	best := -1
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, s := range f {
			if s == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(f) < sep+3 {
			continue
		}
		mp := unescapeMount(f[4])
		if !pathUnder(path, mp) || len(mp) < best {
			continue
		}
		best = len(mp)
		mountPoint, fsType, source = mp, f[sep+1], f[sep+2]
	}
	return mountPoint, fsType, source
}

func pathUnder(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// unescapeMount decodes the octal escapes (\040 for space, …) the kernel
// uses in mountinfo paths.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
