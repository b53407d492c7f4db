package main

import (
	"flag"
	"fmt"
	"net/url"
	"strings"

	"openmash.org/mash/internal/notify"
	"openmash.org/mash/internal/store"
)

// channelFlags are `mash serve`'s email settings. Each defaults to its
// environment variable; the SMTP password is read from the environment only
// (MASH_SMTP_PASSWORD), never a flag, so it does not show in process lists.
type channelFlags struct {
	smtpAddr, smtpFrom, smtpUser, publicURL *string
	smtpHTML                                *bool
}

func addChannelFlags(fs *flag.FlagSet, getenv func(string) string) channelFlags {
	return channelFlags{
		smtpAddr:  fs.String("smtp-addr", getenv("MASH_SMTP_ADDR"), "SMTP server host:port for email alerts (empty: no email)"),
		smtpFrom:  fs.String("smtp-from", getenv("MASH_SMTP_FROM"), "sender address of email alerts"),
		smtpUser:  fs.String("smtp-user", getenv("MASH_SMTP_USER"), "SMTP user name (password: MASH_SMTP_PASSWORD)"),
		smtpHTML:  fs.Bool("smtp-html", getenv("MASH_SMTP_HTML") == "true", "add an HTML part to email alerts"),
		publicURL: fs.String("public-url", getenv("MASH_PUBLIC_URL"), "the hub's address as users reach it, for links in emails"),
	}
}

// channels turns the flags into the store's channel settings. Email needs
// an SMTP address, a sender and the public URL; webhooks need nothing here
// (admins register endpoints through the API).
func (f channelFlags) channels(getenv func(string) string) (store.Channels, error) {
	var c store.Channels
	if *f.smtpAddr == "" {
		return c, nil
	}
	m := &notify.Mailer{Addr: *f.smtpAddr, From: *f.smtpFrom, User: *f.smtpUser, Password: getenv("MASH_SMTP_PASSWORD"), HTML: *f.smtpHTML}
	if err := m.Check(); err != nil {
		return c, fmt.Errorf("email alerts: %w", err)
	}
	u, err := url.Parse(*f.publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("email alerts: MASH_PUBLIC_URL (-public-url) must be the hub's http(s) address, for links")
	}
	c.Mail, c.PublicURL = m, strings.TrimSuffix(*f.publicURL, "/")
	return c, nil
}
