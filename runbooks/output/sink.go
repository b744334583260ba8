// Package output handles what remote commands print, which is untrusted: it splits the byte streams into
// lines with a bounded length, masks secret values, neutralises terminal control sequences for display,
// keeps a bounded tail for the database and writes the output to a private log file bounded per host and
// per run (guards 10 and 13).
package output

import "io"

// Stream says which output a line came from.
type Stream uint8

const (
	// Stdout is the command's standard output.
	Stdout Stream = 1
	// Stderr is the command's standard error.
	Stderr Stream = 2
)

// String names the stream.
func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// Sink receives a command's raw output as it arrives; a transport writes each stream to Writer(stream).
// The writers may be used from two goroutines at once (one per stream).
type Sink interface {
	Writer(s Stream) io.Writer
}

// Discard is a Sink that drops everything.
var Discard Sink = discard{}

type discard struct{}

func (discard) Writer(Stream) io.Writer { return io.Discard }

// Line is one line of output ready for display: masked, sanitised, without its newline.
type Line struct {
	Stream Stream
	Text   string
	// Partial is set when the line was longer than the line limit and this is one piece of it.
	Partial bool
}
