package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FreeSpace returns the bytes an unprivileged user can still write on the file system that holds dir. When
// dir does not exist yet (the log directory is made on first output), it asks about the nearest existing
// parent, which is where dir will be created.
func FreeSpace(dir string) (uint64, error) {
	p, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	for {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return 0, fmt.Errorf("no part of %s exists", dir)
		}
		p = parent
	}
	n, err := statfsFree(p)
	if err != nil {
		return 0, fmt.Errorf("free space on %s: %w", p, err)
	}
	return n, nil
}

// CheckFreeSpace returns an error saying what to do when the log directory dir has less than minFree bytes
// free (minFree 0 turns the check off). A run checks it before it starts, so a full disk stops a run before
// it writes anything rather than part way through, and halt still has room to record itself.
func CheckFreeSpace(dir string, minFree uint64) error {
	if minFree == 0 {
		return nil
	}
	free, err := FreeSpace(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the log directory %s: %w", dir, err)
	}
	if free < minFree {
		return fmt.Errorf("the log directory %s has %s free, below runs.log_min_free (%s): free space or set runs.log_dir",
			dir, FormatSize(free), FormatSize(minFree))
	}
	return nil
}
