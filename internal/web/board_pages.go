package web

import (
	"net/url"
	"strconv"
)

// boardPageSize is how many contacts one page of the board shows: the top
// of the queue at a glance, and an htmx update of a page well under 20 KB
// (a 500-row page was 36 KB compressed).
const boardPageSize = 100

// boardPager is the board's pagination (the GOV.UK pagination component).
type boardPager struct {
	Total, First, Last int // the rows shown are First to Last of Total (1-based)
	Pages              []pageLink
	Prev, Next         string // links, "" at either end
}

type pageLink struct {
	N       int
	Href    string
	Current bool
}

// pageNumber reads the board's page parameter: 1 when absent; ok false
// when it is not a whole number from 1.
func pageNumber(s string) (n int, ok bool) {
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1, false
	}
	return n, true
}

// paginate picks page n (the last, if n is past it) of total rows, with
// links that keep the rest of the address's query. It returns the rows'
// bounds [lo, hi).
func paginate(u *url.URL, total, n int) (p boardPager, lo, hi int) {
	pages := max(1, (total+boardPageSize-1)/boardPageSize)
	n = min(n, pages)
	lo, hi = (n-1)*boardPageSize, min(n*boardPageSize, total)
	p = boardPager{Total: total, First: min(lo+1, total), Last: hi}
	href := func(i int) string {
		q := u.Query()
		if i == 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(i))
		}
		if len(q) == 0 {
			return u.Path
		}
		return u.Path + "?" + q.Encode()
	}
	if pages > 1 {
		for i := 1; i <= pages; i++ {
			p.Pages = append(p.Pages, pageLink{N: i, Href: href(i), Current: i == n})
		}
		if n > 1 {
			p.Prev = href(n - 1)
		}
		if n < pages {
			p.Next = href(n + 1)
		}
	}
	return p, lo, hi
}
