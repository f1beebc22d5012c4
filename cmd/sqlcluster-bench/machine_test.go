package main

import "testing"

const sampleMountinfo = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
30 22 0:30 / /tmp rw,nosuid,nodev shared:9 - tmpfs tmpfs rw,size=1024k
31 22 0:31 / /tmpx rw - xfs /dev/vdb rw
32 22 0:32 / /mnt/my\040disk rw - btrfs /dev/vdc rw
`

func TestMountFor(t *testing.T) {
	for _, tc := range []struct{ path, mp, fs, src string }{
		{"/tmp/sqlbench-pg-1/data", "/tmp", "tmpfs", "tmpfs"},
		{"/tmp", "/tmp", "tmpfs", "tmpfs"},
		{"/tmpx/a", "/tmpx", "xfs", "/dev/vdb"}, // not under /tmp
		{"/work/main", "/", "ext4", "/dev/vda"},
		{"/mnt/my disk/x", "/mnt/my disk", "btrfs", "/dev/vdc"},
	} {
		mp, fs, src := mountFor([]byte(sampleMountinfo), tc.path)
		if mp != tc.mp || fs != tc.fs || src != tc.src {
			t.Errorf("mountFor(%q) = %q %q %q, want %q %q %q", tc.path, mp, fs, src, tc.mp, tc.fs, tc.src)
		}
	}
}

func TestProcField(t *testing.T) {
	b := []byte("MemTotal:       24684104 kB\nMemFree:  1 kB\n")
	if got := procField(b, "MemTotal"); got != "24684104 kB" {
		t.Errorf("procField = %q", got)
	}
	if got := procField(b, "Missing"); got != "" {
		t.Errorf("procField(missing) = %q", got)
	}
}

func TestGatherMachineFacts(t *testing.T) {
	m := gatherMachineFacts(t.TempDir(), "/nonexistent/postgres")
	if m.NProc < 1 || m.Kernel == "" || m.FSType == "" {
		t.Errorf("facts = %+v", m)
	}
}
