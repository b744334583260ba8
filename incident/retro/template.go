// Package retro is the blameless retrospective of an incident: sections drafted from the timeline, saved
// version by version (two people editing one section never overwrite each other), action items, metrics
// from the milestones, a check for blaming language, and export as Markdown and JSON.
package retro

// Section is one part of a retrospective: the slug commands use, a title, and the prompt that asks people
// for what no data can say.
type Section struct {
	Slug   string `toml:"slug" json:"slug"`
	Title  string `toml:"title" json:"title"`
	Prompt string `toml:"prompt" json:"prompt,omitempty"`
}

// Template is the ordered list of sections.
type Template []Section

// DefaultTemplate is the SPEC's blameless template. Contributing factors replaced "Root causes and
// contributing factors" (slug root-causes): records written before keep theirs (see legacySections).
var DefaultTemplate = Template{
	{"summary", "Summary", "What happened, in two or three sentences a newcomer would understand."},
	{"impact", "Impact", "Who was affected, how, and for how long? What did customers see?"},
	{"timeline", "Timeline", "The key moments. Star events on the timeline to bring them here."},
	{"detection", "Detection", "How did we notice? How could we detect it sooner? What signs did we see before it happened?"},
	{"contributing-factors", "Contributing factors", "What in the system made this possible, and what made it worse? There is rarely a single root cause: list the conditions that lined up, and ask how, not who."},
	{"trigger", "Trigger", "What set it off?"},
	{"resolution", "Resolution", "What mitigated it and what resolved it?"},
	{"went-well", "What went well", "What helped? Keep doing it."},
	{"went-wrong", "What went wrong", "What went wrong? How can we detect it? What signs did we see before it happened?"},
	{"lucky", "Where we got lucky", "What could have made this much worse, and didn't?"},
	{"action-items", "Action items", "Owner, ticket, due date and kind (prevent, detect, mitigate, process) for each."},
	{"supporting", "Supporting information", "Dashboards, logs, tickets, chat threads."},
}

// Section finds a section by slug.
func (t Template) Section(slug string) (Section, bool) {
	for _, s := range t {
		if s.Slug == slug {
			return s, true
		}
	}
	return Section{}, false
}

// Slugs lists the slugs in order.
func (t Template) Slugs() []string {
	out := make([]string, len(t))
	for i, s := range t {
		out[i] = s.Slug
	}
	return out
}

// legacySections are sections of the default template that replaced an older one, by the new slug: a record
// that saved text under the old slug (and never under the new) keeps the old section, its title and its
// versions, and either slug names it in commands.
var legacySections = map[string]Section{
	"contributing-factors": {"root-causes", "Root causes and contributing factors", "What in the system made this possible? Ask why until the answer is about the system, not a person."},
}

// sectionFor finds the section of t that slug names, as stored in a record whose saved sections are saved:
// the section itself, or the older section it replaced when the record wrote that one. Either slug of such
// a pair names it.
func (t Template) sectionFor(slug string, saved func(slug string) bool) (Section, bool) {
	if sec, ok := t.Section(slug); ok {
		if old, replaced := legacySections[sec.Slug]; replaced {
			if _, inT := t.Section(old.Slug); !inT && saved(old.Slug) && !saved(sec.Slug) {
				return old, true
			}
		}
		return sec, true
	}
	for newSlug, old := range legacySections {
		if old.Slug == slug {
			if _, ok := t.Section(newSlug); ok {
				return t.sectionFor(newSlug, saved)
			}
		}
	}
	return Section{}, false
}

// sameSection says whether two slugs name one section: equal, or a section and the one it replaced.
func sameSection(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	return legacySections[a].Slug == b || legacySections[b].Slug == a
}
