package main

import (
	"io"
	"strings"
	"testing"
)

// TestChannelFlags: email is off without an SMTP address; with one it needs
// a sender and the public URL for links; flags override the environment and
// the password comes only from it.
func TestChannelFlags(t *testing.T) {
	env := map[string]string{"MASH_SMTP_FROM": "mash@hub.example", "MASH_PUBLIC_URL": "https://mash.example/",
		"MASH_SMTP_USER": "relay", "MASH_SMTP_PASSWORD": "from-env"}
	getenv := func(k string) string { return env[k] }
	parse := func(args ...string) (string, error) {
		fs := newFlags("serve", io.Discard)
		f := addChannelFlags(fs, getenv)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c, err := f.channels(getenv)
		if err != nil {
			return "", err
		}
		if c.Mail == nil {
			return "off", nil
		}
		return c.Mail.Addr + " " + c.Mail.From + " " + c.Mail.User + " " + c.Mail.Password + " " + c.PublicURL, nil
	}
	if got, err := parse(); got != "off" || err != nil {
		t.Errorf("no SMTP address: %q %v", got, err)
	}
	if got, err := parse("-smtp-addr", "smtp.example:587"); got != "smtp.example:587 mash@hub.example relay from-env https://mash.example" || err != nil {
		t.Errorf("configured: %q %v", got, err)
	}
	for name, args := range map[string][]string{
		"address":    {"-smtp-addr", "smtp.example"},
		"sender":     {"-smtp-addr", "smtp.example:25", "-smtp-from", "not an address"},
		"public URL": {"-smtp-addr", "smtp.example:25", "-public-url", "mash.example"},
	} {
		if _, err := parse(args...); err == nil || !strings.Contains(err.Error(), "email alerts") {
			t.Errorf("bad %s: %v", name, err)
		}
	}
}
