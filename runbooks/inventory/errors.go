package inventory

import "fmt"

// ParseError is a problem in an inventory or ssh_config file, with the place a person has to look.
type ParseError struct {
	File string
	Line int // 1-based; 0 when the problem is not on one line
	Msg  string
}

// Error formats the problem as FILE:LINE: MSG.
func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

func parseErr(file string, line int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}
