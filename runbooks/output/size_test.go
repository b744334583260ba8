package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"512B", 512, false},
		{"64MiB", 64 << 20, false},
		{"64 mib", 64 << 20, false},
		{"1GiB", 1 << 30, false},
		{"4KiB", 4096, false},
		{"2TiB", 2 << 40, false},
		{"500MB", 500e6, false},
		{"1kb", 1000, false},
		{" 3GB ", 3e9, false},
		{"", 0, true},
		{"MiB", 0, true},
		{"64M", 0, true},
		{"1.5GiB", 0, true},
		{"-1MiB", 0, true},
		{"64 megabytes", 0, true},
		{"99999999999999999999", 0, true},
		{"9000000TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 12 << 20: "12 MiB",
		100 << 20: "100 MiB", 1<<30 + 1<<29: "1.5 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFreeSpace(t *testing.T) {
	dir := t.TempDir()
	free, err := FreeSpace(dir)
	if err != nil || free == 0 {
		t.Fatalf("FreeSpace(%s) = %d, %v", dir, free, err)
	}
	// A log directory that does not exist yet is asked about through its nearest existing parent.
	missing := filepath.Join(dir, "logs", "INC-1")
	if got, err := FreeSpace(missing); err != nil || got == 0 {
		t.Errorf("FreeSpace(%s) = %d, %v", missing, got, err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("FreeSpace created the directory")
	}
	if err := CheckFreeSpace(missing, 1); err != nil {
		t.Errorf("CheckFreeSpace with 1 byte: %v", err)
	}
	if err := CheckFreeSpace(missing, 0); err != nil {
		t.Errorf("CheckFreeSpace off: %v", err)
	}
	err = CheckFreeSpace(missing, 1<<62)
	if err == nil || !strings.Contains(err.Error(), "the log directory "+missing+" has ") ||
		!strings.Contains(err.Error(), "free, below runs.log_min_free (4 EiB): free space or set runs.log_dir") {
		t.Errorf("CheckFreeSpace huge: %v", err)
	}
}
