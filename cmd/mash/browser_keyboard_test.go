package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/demo"
	"openmash.org/mash/internal/web"
)

// TestBrowserKeyboard works the hub by keyboard alone: Tab to each field
// of the sign-in form, type, Enter; Tab to the board in the navigation,
// Enter; Tab to the first contact on the board, Enter. Every element the
// focus lands on on the way must show that it has it (GOV.UK's yellow
// focus style, an outline or a box shadow).
func TestBrowserKeyboard(t *testing.T) {
	h := demoHub(t, 20, 3, web.Config{})
	bctx := h.browser(t)
	l := h.logins[0]
	key, _ := auth.DecodeTOTPSecret(demo.TOTPSecret)

	step(t, bctx, "open the sign-in page", chromedp.Navigate(h.base+"/sign-in"), chromedp.WaitVisible(chromedp.ID("email")))
	tabTo(t, bctx, "#email")
	step(t, bctx, "type the email", chromedp.KeyEvent(l.Email))
	tabTo(t, bctx, "#password")
	step(t, bctx, "type the password", chromedp.KeyEvent(l.Password))
	tabTo(t, bctx, "#code")
	step(t, bctx, "type the code and press Enter", chromedp.KeyEvent(auth.TOTPCode(key, auth.TOTPStep(time.Now()))), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(".app-header__identity")))

	tabTo(t, bctx, `.govuk-service-navigation a[href="/board"]`)
	step(t, bctx, "open the board", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("board-results")))
	tabTo(t, bctx, `#board-results tbody a[href^="/contacts/"]`)
	step(t, bctx, "open the contact", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/contacts/") {
		t.Fatalf("Enter on the board's first contact went to %q (%v)", loc, err)
	}
}

// tabTo presses Tab until the focus is on an element matching sel, failing
// if an element on the way shows no focus, or after 80 presses.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	var seen []string
	for range 80 {
		step(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		  const el = document.activeElement;
		  if (!el || el === document.body) return ["body", "", ""];
		  const cs = getComputedStyle(el);
		  const shown = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0 && cs.outlineColor !== "rgba(0, 0, 0, 0)") ||
		    (cs.boxShadow !== "" && cs.boxShadow !== "none");
		  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.value || "").trim().slice(0, 30);
		  return [name, shown ? "shown" : "", el.matches(`+"`"+sel+"`"+`) ? "match" : ""];
		})()`))
		if err != nil {
			t.Fatalf("tab to %s: %v", sel, err)
		}
		seen = append(seen, got[0])
		if got[0] != "body" && got[1] == "" {
			t.Errorf("the focus on %q does not show", got[0])
		}
		if got[2] == "match" {
			return
		}
	}
	t.Fatalf("80 presses of Tab never reached %s; the focus went %q", sel, seen)
}
