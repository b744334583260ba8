package incident

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/firebreak/firebreak/store"
)

// Ref is the human id of an incident: INC-7 for id 7.
func Ref(id int64) string { return fmt.Sprintf("INC-%d", id) }

// ParseRef accepts INC-7, inc-7 and 7.
func ParseRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 4 && strings.EqualFold(t[:4], "INC-") {
		t = t[4:]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, store.Errorf(ErrInvalid, "%q is not an incident id: use the form INC-7 (firebreak list shows them)", s)
	}
	return n, nil
}
