package retro

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// SectionText is a section with its current text: the newest saved version, or the draft prefilled from
// the incident when nobody has saved it yet (Version 0).
type SectionText struct {
	Section
	Text     string    `json:"text"`
	Version  int       `json:"version"`
	Author   string    `json:"author,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Conflict bool      `json:"conflict,omitempty"`
}

// Retro is an incident's retrospective as it stands.
type Retro struct {
	Incident   *incident.Incident `json:"-"`
	Ref        string             `json:"incident"`
	Title      string             `json:"title"`
	Drill      bool               `json:"drill"`
	State      string             `json:"state"`
	Sections   []SectionText      `json:"sections"`
	Actions    []Action           `json:"action_items"`
	Suggested  []Action           `json:"suggested_action_items,omitempty"`
	Metrics    Metrics            `json:"metrics"`
	Responders []Responder        `json:"responders"`
	Timeline   []Row              `json:"timeline"`
	Flags      []Flag             `json:"flags,omitempty"`
	// Head is the incident's chain head when the retrospective was read: kept with the export, it lets a
	// later `audit verify --against` prove the timeline it came from was not cut short or recomputed.
	Head store.Head `json:"head"`

	rules *Rules // the blameless check's
}

// FlagSameAccountApproval is the kind of Flag for an approval given from the OS account that started the
// run: the two people were told apart only by --as.
const FlagSameAccountApproval = "same_account_approval"

// Flag is a fact about the response that the export shows whatever the team writes in the sections.
type Flag struct {
	Kind    string `json:"kind"`    // FlagSameAccountApproval
	Seq     int64  `json:"seq"`     // the approved event
	Run     int64  `json:"run"`     // the run approved
	Stage   int    `json:"stage"`   // the stage after which it was approved
	Person  string `json:"person"`  // the approver
	Account string `json:"account"` // the OS account both the starter and the approver used
	Text    string `json:"text"`
}

// Section returns the section with a slug (or the slug of the section it replaced, or that replaced it:
// root-causes and contributing-factors name one section).
func (r *Retro) Section(slug string) (*SectionText, bool) {
	for i := range r.Sections {
		if r.Sections[i].Slug == slug {
			return &r.Sections[i], true
		}
	}
	for i := range r.Sections {
		if sameSection(r.Sections[i].Slug, slug) {
			return &r.Sections[i], true
		}
	}
	return nil, false
}

// Action is an action item.
type Action struct {
	Item   int    `json:"id"`
	Text   string `json:"text"`
	Owner  string `json:"owner,omitempty"`
	Ticket string `json:"ticket,omitempty"`
	Due    string `json:"due,omitempty"`
	Kind   string `json:"kind,omitempty"` // prevent, detect, mitigate, process
	Done   bool   `json:"done"`
}

// ActionKinds are the kinds of action item.
var ActionKinds = []string{"prevent", "detect", "mitigate", "process"}

// Responder is a person who acted in the incident, with the roles they held.
type Responder struct {
	Person string   `json:"person"`
	Roles  []string `json:"roles,omitempty"`
	Events int      `json:"events"`
}

// Row is one line of the retrospective's timeline. At is the time the event is about: for a backdated
// note (firebreak note --at), the time it names, and Written when it was written.
type Row struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	Hidden    *Hidden   `json:"hidden,omitempty"`
	Backdated bool      `json:"backdated,omitempty"`
	Written   time.Time `json:"written,omitzero"`
}

// Hidden says who hid a timeline event and why. A hidden event is listed as hidden, without its text,
// so that hiding never takes an event out of the record without a trace.
type Hidden struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	Seq    int64  `json:"seq"` // the hide event
}

// Service reads and writes retrospectives as one person.
type Service struct {
	Incidents *incident.Service
	Template  Template // nil: DefaultTemplate
	Rules     *Rules   // the blameless check's rules; nil: DefaultRules
	Now       func() time.Time
}

func (s *Service) rules() *Rules {
	if s.Rules != nil {
		return s.Rules
	}
	return DefaultRules()
}

// CheckText runs the blameless check with the service's rules over one text; roster names the people of
// the incident (Retro.Roster).
func (s *Service) CheckText(section, text string, roster []string) []Finding {
	return s.rules().Check(section, text, roster)
}

func (s *Service) template() Template {
	if len(s.Template) > 0 {
		return s.Template
	}
	return DefaultTemplate
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Load builds the retrospective of an incident: saved sections, prefilled drafts for the rest, action
// items, suggestions, metrics, responders and the timeline.
func (s *Service) Load(ctx context.Context, id int64) (*Retro, error) {
	db := s.Incidents.DB
	head, err := store.HeadOf(ctx, db, id) // before the rest, so every event the export shows is under it
	if errors.Is(err, store.ErrNotFound) {
		head, err = store.Head{}, nil // Get says so
	}
	if err != nil {
		return nil, err
	}
	inc, err := s.Incidents.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	facts, err := gather(ctx, db, inc)
	if err != nil {
		return nil, err
	}
	saved, err := db.LatestRetroVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	items, err := db.ActionItems(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &Retro{Incident: inc, Ref: inc.Ref(), Title: inc.Title, Drill: inc.Drill, State: inc.RetroState,
		Metrics: facts.metrics, Responders: facts.responders, Timeline: facts.rows, Flags: facts.flags, Head: head, rules: s.rules()}
	if r.State == "" {
		r.State = incident.RetroDraft
	}
	drafts := prefill(inc, facts)
	has := func(slug string) bool { _, ok := saved[slug]; return ok }
	for _, sec := range s.template() {
		sec, _ = s.template().sectionFor(sec.Slug, has)
		st := SectionText{Section: sec, Text: drafts[sec.Slug]}
		if v, ok := saved[sec.Slug]; ok {
			st.Text, st.Version, st.Author, st.At, st.Conflict = v.Text, v.Version, v.Author, v.At, v.Conflict
		}
		r.Sections = append(r.Sections, st)
	}
	for _, a := range items {
		if !a.Removed {
			r.Actions = append(r.Actions, Action{Item: a.Item, Text: a.Text, Owner: a.Owner, Ticket: a.Ticket, Due: a.Due, Kind: a.Kind, Done: a.Done})
		}
	}
	r.Suggested = suggest(facts, r.Actions)
	return r, nil
}

// SaveResult says how a save went.
type SaveResult struct {
	Version  int
	Conflict bool   // someone saved the section since base: both texts are kept in the new version
	Other    string // who saved in between
}

// Save stores text as a new version of a section. base is the version the text was edited from (what the
// editor loaded; 0 for the prefilled draft). If someone else saved the section since base, nothing is
// overwritten: the new version holds both texts, marked, for a person to merge, and Conflict is set.
func (s *Service) Save(ctx context.Context, id int64, slug string, base int, text string) (SaveResult, error) {
	if _, ok := s.template().sectionFor(slug, func(string) bool { return false }); !ok {
		return SaveResult{}, store.Errorf(incident.ErrInvalid, "no retrospective section %q: sections are %s", slug, strings.Join(s.template().Slugs(), ", "))
	}
	// The text is kept as written (Markdown, tabs, line breaks), but it must be text: every engine stores it,
	// and PostgreSQL cannot store a NUL byte or invalid UTF-8.
	switch {
	case !utf8.ValidString(text):
		return SaveResult{}, store.Errorf(incident.ErrInvalid, "the %s text is not valid UTF-8: save it as UTF-8 text (iconv -t UTF-8)", slug)
	case strings.ContainsRune(text, 0):
		return SaveResult{}, store.Errorf(incident.ErrInvalid, "the %s text contains a NUL byte: is it a binary file?", slug)
	}
	if _, err := s.Incidents.Get(ctx, id); err != nil {
		return SaveResult{}, err
	}
	author := s.Incidents.Actor.String()
	var res SaveResult
	err := s.Incidents.DB.Write(ctx, func(tx store.Tx) error {
		res = SaveResult{}
		row, err := tx.Incident(ctx, id)
		if err != nil {
			return err
		}
		inc, err := incident.FromRow(row)
		if err != nil {
			return err
		}
		if err := editable(inc); err != nil {
			return err
		}
		latest, err := tx.LatestRetroVersions(ctx, id)
		if err != nil {
			return err
		}
		sec, _ := s.template().sectionFor(slug, func(sl string) bool { _, ok := latest[sl]; return ok })
		slug := sec.Slug // the slug the record keeps this section's versions under
		cur := latest[slug]
		v := store.RetroVersion{Incident: id, Section: slug, Text: text, Author: author, At: s.now(), Base: base}
		if cur.Version > base && cur.Text != text {
			res.Conflict, res.Other = true, cur.Author
			v.Conflict = true
			v.Text = fmt.Sprintf("<<<<<<< %s (version %d)\n%s\n=======\n%s\n>>>>>>> %s (edited from version %d)\n",
				cur.Author, cur.Version, strings.TrimRight(cur.Text, "\n"), strings.TrimRight(text, "\n"), author, base)
		} else if cur.Version > 0 && cur.Text == text {
			res.Version = cur.Version // nothing changed
			return nil
		}
		if err := tx.SaveRetroVersion(ctx, &v); err != nil {
			return err
		}
		res.Version = v.Version
		return recordVersion(ctx, tx, v)
	})
	return res, err
}

// editable refuses to change the text of a published retrospective: publishing locks it, and reopening it
// for edits is a recorded state change.
func editable(inc *incident.Incident) error { return lockedIn(inc.Ref(), inc.RetroState) }

func lockedIn(ref, state string) error {
	if state == incident.RetroPublished {
		return store.Errorf(incident.ErrRefused, "the retrospective of %s is published and its text is locked: reopen it with firebreak retro state %s review (recorded on the timeline), then edit",
			ref, ref)
	}
	return nil
}

// Locked reports whether the retrospective's text is locked (published), with the error an edit gets.
func (r *Retro) Locked() error { return lockedIn(r.Ref, r.State) }

// SetState moves the retrospective to draft, review or published. Publishing is refused while the
// blameless check has findings, unless force.
func (s *Service) SetState(ctx context.Context, id int64, state string, force bool) error {
	if state == incident.RetroPublished && !force {
		r, err := s.Load(ctx, id)
		if err != nil {
			return err
		}
		if fs := r.Check(); len(fs) > 0 {
			return store.Errorf(incident.ErrRefused, "%d blameless findings in the retrospective of %s (firebreak retro check %s): reword them, or publish with --force",
				len(fs), r.Ref, r.Ref)
		}
	}
	_, _, err := s.Incidents.SetRetroState(ctx, id, state)
	return err
}

// SaveAction adds (a.Item 0) or changes an action item; remove hides it (its versions stay).
func (s *Service) SaveAction(ctx context.Context, id int64, a Action, remove bool) (int, error) {
	if _, err := s.Incidents.Get(ctx, id); err != nil {
		return 0, err
	}
	if strings.TrimSpace(a.Text) == "" && !remove {
		return 0, store.Errorf(incident.ErrInvalid, "an action item needs a text")
	}
	// Each is one line of the action list (show, export): a line break would start another item.
	var err error
	for _, f := range []struct {
		what string
		v    *string
	}{{"action item text", &a.Text}, {"owner", &a.Owner}, {"ticket", &a.Ticket}} {
		if *f.v, err = incident.OneLine(f.what, *f.v, 1000); err != nil {
			return 0, err
		}
	}
	if a.Kind != "" && !contains(ActionKinds, a.Kind) {
		return 0, store.Errorf(incident.ErrInvalid, "action item kind %q: use prevent, detect, mitigate or process", a.Kind)
	}
	if a.Due != "" {
		if _, err := time.Parse("2006-01-02", a.Due); err != nil {
			return 0, store.Errorf(incident.ErrInvalid, "due date %q: use YYYY-MM-DD", a.Due)
		}
	}
	row := store.ActionItem{Incident: id, Item: a.Item, Text: strings.TrimSpace(a.Text), Owner: a.Owner, Ticket: a.Ticket, Due: a.Due,
		Kind: a.Kind, Done: a.Done, Removed: remove, Author: s.Incidents.Actor.String(), At: s.now()}
	err = s.Incidents.DB.Write(ctx, func(tx store.Tx) error {
		if row.Item != 0 {
			items, err := tx.ActionItems(ctx, id)
			if err != nil {
				return err
			}
			found := false
			for _, it := range items {
				if it.Item == row.Item {
					found = true
					if remove {
						row.Text, row.Owner, row.Ticket, row.Due, row.Kind, row.Done = it.Text, it.Owner, it.Ticket, it.Due, it.Kind, it.Done
					}
				}
			}
			if !found {
				return store.Errorf(incident.ErrNotFound, "no action item %d in %s", row.Item, incident.Ref(id))
			}
		}
		if err := tx.SaveActionItem(ctx, &row); err != nil {
			return err
		}
		return recordAction(ctx, tx, row)
	})
	return row.Item, err
}

// Check runs the blameless check over every section (prompts excluded) and the action items.
func (r *Retro) Check() []Finding {
	roster := r.Roster()
	rules := r.rules
	if rules == nil {
		rules = DefaultRules()
	}
	var out []Finding
	for _, s := range r.Sections {
		if s.Version == 0 && s.Slug == "timeline" {
			continue // generated from the events: the team did not write it
		}
		out = append(out, rules.Check(s.Slug, s.Text, roster)...)
	}
	for _, a := range r.Actions {
		out = append(out, rules.Check(fmt.Sprintf("action-items/%d", a.Item), a.Text, roster)...)
	}
	return out
}

// CheckText runs the blameless check, with the rules and the roster of this retrospective, over a text
// being written for a section (the console checks it as it is typed).
func (r *Retro) CheckText(section, text string) []Finding {
	rules := r.rules
	if rules == nil {
		rules = DefaultRules()
	}
	return rules.Check(section, text, r.Roster())
}

// Roster lists the people of the incident (who acted, who held a role), whom the blameless check's
// {person} stands for.
func (r *Retro) Roster() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range r.Responders {
		if !seen[p.Person] {
			seen[p.Person] = true
			out = append(out, p.Person)
		}
	}
	sort.Strings(out)
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
