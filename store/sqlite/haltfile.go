package sqlite

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak/firebreak/store"
)

// haltFileSize is the fixed size of the off-switch file. It is written whole when the database is opened,
// so its blocks exist; engaging the switch later rewrites them in place and needs no free disk space (a
// full disk is exactly when a flooding script must be stopped).
const haltFileSize = 512

const haltMagic = "firebreak-halt-v1"

// HaltFile is the off-switch as a small file beside the database (PATH-halt): every run in every process
// polls it, so a halt reaches them even when the database cannot be written. The timeline records the halt
// as soon as the database can (see the switches table); the file is what runs obey.
type HaltFile struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// openHaltFile opens (creating when missing) the off-switch file of the database at dbPath; created says
// it was new.
func openHaltFile(dbPath string) (h *HaltFile, created bool, err error) {
	path := dbPath + "-halt"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, store.Errorf(store.ErrUnusable, "%s: %v", path, unwrapPathErr(err))
	}
	h = &HaltFile{f: f, path: path}
	if st, err := f.Stat(); err == nil && st.Size() < haltFileSize {
		// New (or cut short): write a released switch whole, so the blocks are there for later. Open then
		// copies the recorded switch into it.
		if err := h.write(store.Switch{Name: "halt"}); err != nil {
			f.Close()
			return nil, false, store.Errorf(store.ErrUnusable, "%s: %v", path, err)
		}
		created = true
	}
	return h, created, nil
}

// Path is where the file is.
func (h *HaltFile) Path() string { return h.path }

// Read returns the switch as the file has it. A file another program damaged reads as engaged: when in
// doubt, nothing runs.
func (h *HaltFile) Read() (store.Switch, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	buf := make([]byte, haltFileSize)
	n, err := h.f.ReadAt(buf, 0)
	if err != nil && n == 0 {
		return store.Switch{Name: "halt"}, err
	}
	return parseHalt(buf[:n]), nil
}

func parseHalt(b []byte) store.Switch {
	damaged := store.Switch{Name: "halt", Engaged: true, Actor: "firebreak", Reason: "the off-switch file is damaged: firebreak resume rewrites it"}
	b = bytes.TrimRight(b, "\x00 ")
	lines := strings.SplitN(string(b), "\n", 5)
	if len(lines) < 5 || lines[0] != haltMagic {
		return damaged
	}
	nanos, err := strconv.ParseInt(lines[2], 10, 64)
	if err != nil || (lines[1] != "0" && lines[1] != "1") {
		return damaged
	}
	s := store.Switch{Name: "halt", Engaged: lines[1] == "1", Actor: lines[3], Reason: lines[4]}
	if nanos > 0 {
		s.At = time.Unix(0, nanos).UTC()
	}
	return s
}

// Write rewrites the file in place with s and syncs it. It allocates nothing on the disk.
func (h *HaltFile) Write(s store.Switch) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.write(s)
}

func (h *HaltFile) write(s store.Switch) error {
	engaged := "0"
	if s.Engaged {
		engaged = "1"
	}
	nanos := int64(0)
	if !s.At.IsZero() {
		nanos = s.At.UnixNano()
	}
	clean := func(t string) string { return strings.ReplaceAll(t, "\n", " ") }
	rec := fmt.Sprintf("%s\n%s\n%d\n%s\n%s", haltMagic, engaged, nanos, clean(s.Actor), clean(s.Reason))
	if len(rec) > haltFileSize {
		rec = rec[:haltFileSize]
	}
	buf := make([]byte, haltFileSize)
	copy(buf, rec)
	if _, err := h.f.WriteAt(buf, 0); err != nil {
		return fmt.Errorf("writing the off-switch file %s: %w", h.path, err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("syncing the off-switch file %s: %w", h.path, err)
	}
	return nil
}

func (h *HaltFile) close() error {
	if h == nil || h.f == nil {
		return nil
	}
	return h.f.Close()
}

// Halt is the off-switch file of the database.
func (db *DB) Halt() store.OffSwitch { return db.halt }

// HaltFile is the off-switch file itself, for tests and tools that look at it.
func (db *DB) HaltFile() *HaltFile { return db.halt }
