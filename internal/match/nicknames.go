package match

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// nicknames.csv is carltonnorthern/names (Apache-2.0, see data/LICENSE_nicknames_Apache-2.0.txt):
// rows "formal,has_nickname,nickname".
//
//go:embed data/nicknames.csv
var nicknameCSV string

// nicknames_uk.csv is OpenMASH's own list, in the same form: British
// diminutives (Nicky for Nicola, Caz for Caroline, Izzy for Isabella) and
// those of names common in UK communities (Kasia, Seun, Mo), which the
// American list above lacks.
//
//go:embed data/nicknames_uk.csv
var nicknameUKCSV string

var (
	nickOnce  sync.Once
	formalsOf map[string][]string
)

// nicknameOf lists the formal names that name is a nickname of (one step only).
func nicknameOf(name string) []string {
	nickOnce.Do(func() {
		formalsOf = map[string][]string{}
		for line := range strings.SplitSeq(nicknameCSV+"\n"+nicknameUKCSV, "\n") {
			f := strings.Split(strings.TrimSpace(line), ",")
			if len(f) != 3 || f[1] != "has_nickname" || slices.Contains(formalsOf[f[2]], f[0]) {
				continue
			}
			formalsOf[f[2]] = append(formalsOf[f[2]], f[0])
		}
	})
	return formalsOf[name]
}
