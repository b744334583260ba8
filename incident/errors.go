// Package incident is firebreak's domain: incidents, their timeline of events, severity, the status
// lifecycle, roles, milestones and stars. An incident's current state is what its events say; every change
// is decided against that state and recorded as an event in the same transaction that updates it.
package incident

import "errors"

// ErrInvalid marks input that cannot be used: an empty title, an unknown status, severity or role.
var ErrInvalid = errors.New("invalid input")

// ErrRefused marks a change the rules do not allow now: a lifecycle step that is not allowed, a missing
// commander, closing without a published retrospective.
var ErrRefused = errors.New("refused")

// ErrNotFound marks an incident or event id that does not exist.
var ErrNotFound = errors.New("not found")
