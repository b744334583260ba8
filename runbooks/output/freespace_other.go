//go:build !(linux || darwin || freebsd)

package output

import "errors"

func statfsFree(string) (uint64, error) { return 0, errors.ErrUnsupported }
