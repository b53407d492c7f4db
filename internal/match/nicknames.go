package match

import (
	_ "embed"
	"strings"
	"sync"
)

// nicknames.csv is carltonnorthern/names (Apache-2.0, see data/LICENSE_nicknames_Apache-2.0.txt):
// rows "formal,has_nickname,nickname".
//
//go:embed data/nicknames.csv
var nicknameCSV string

var (
	nickOnce  sync.Once
	formalsOf map[string][]string
)

// nicknameOf lists the formal names that name is a nickname of (one step only).
func nicknameOf(name string) []string {
	nickOnce.Do(func() {
		formalsOf = map[string][]string{}
		for i, line := range strings.Split(nicknameCSV, "\n") {
			f := strings.Split(strings.TrimSpace(line), ",")
			if i == 0 || len(f) != 3 || f[1] != "has_nickname" {
				continue
			}
			formalsOf[f[2]] = append(formalsOf[f[2]], f[0])
		}
	})
	return formalsOf[name]
}
