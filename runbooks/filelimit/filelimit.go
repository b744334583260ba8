// Package filelimit is the one way firebreak reads a file a person gave it (the config, runbooks,
// inventories, ssh_config and its Includes): only a regular file, only up to a size, so that a runbook
// linked to /dev/zero, a FIFO named *.toml or a file of many megabytes is a clear error instead of a hang
// or an out-of-memory.
package filelimit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
)

// DefaultMaxSize is the largest file read when [limits] max_file_size does not say otherwise: a runbook or
// an inventory of a megabyte is far past any real one.
const DefaultMaxSize int64 = 1 << 20

// ErrLimit marks a file refused by a limit (its type or its size); errors.Is finds it in an *Error.
var ErrLimit = errors.New("file limit")

var maxSize atomic.Int64

// SetMaxSize sets the process-wide size limit (from the config's [limits] max_file_size); n <= 0 restores
// the default. The config itself is always read with the default.
func SetMaxSize(n int64) {
	if n <= 0 {
		n = DefaultMaxSize
	}
	maxSize.Store(n)
}

// MaxSize is the size limit in force.
func MaxSize() int64 {
	if n := maxSize.Load(); n > 0 {
		return n
	}
	return DefaultMaxSize
}

// Error is a file refused by a limit. It reads FILE:1: WHAT: WHAT TO DO, the form editors understand.
type Error struct {
	File string
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:1: %s", e.File, e.Msg) }

// Is makes errors.Is(err, ErrLimit) true.
func (e *Error) Is(target error) bool { return target == ErrLimit }

// Read reads the file at path with the size limit in force.
func Read(path string) ([]byte, error) { return ReadMax(path, MaxSize()) }

// ReadMax reads the file at path, which must be a regular file (a symbolic link is followed, then its
// target checked) of at most max bytes. A file that does not exist gives an error that errors.Is finds
// fs.ErrNotExist in.
func ReadMax(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, max); err != nil {
		return nil, err
	}
	// O_NONBLOCK: if the file was swapped for a FIFO after the Stat, the open must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := check(path, fi, max); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > max { // it grew while we read it
		return nil, tooBig(path, int64(len(data)), max)
	}
	return data, nil
}

func check(path string, fi fs.FileInfo, max int64) error {
	m := fi.Mode()
	switch {
	case m.IsDir():
		return &Error{path, "is a directory, not a file: name a file"}
	case m&fs.ModeNamedPipe != 0:
		return &Error{path, "is a FIFO (named pipe), not a regular file: firebreak reads only regular files; remove it or rename it"}
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return &Error{path, "is a device, not a regular file: firebreak reads only regular files; check where the link points"}
	case !m.IsRegular():
		return &Error{path, fmt.Sprintf("is not a regular file (%v): firebreak reads only regular files", m.Type())}
	case fi.Size() > max:
		return tooBig(path, fi.Size(), max)
	}
	return nil
}

func tooBig(path string, size, max int64) error {
	return &Error{path, fmt.Sprintf("the file is %s, more than the limit of %s: split it, or raise [limits] max_file_size in the config",
		human(size), human(max))}
}

// human writes a size the way the config takes it.
func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
