// Package notify carries the hub's alerts beyond the hub itself: email over
// SMTP and signed webhooks to partner systems. Neither carries case details:
// an email names the kind of alert, the contact's reference and a link to
// the hub; a webhook event names the kind, the contact's id and reference,
// and the time. Whoever needs more signs in to the hub, where access is
// checked and audited.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Mailer sends email through one SMTP server (a relay or submission port).
// It upgrades the connection with STARTTLS whenever the server offers it,
// and authenticates only when User is set (net/smtp refuses to send the
// password over an unencrypted connection to anything but localhost).
type Mailer struct {
	Addr     string // host:port
	From     string // the envelope and header sender, e.g. "OpenMASH <mash@hub.example>"
	User     string // optional: PLAIN authentication
	Password string
	// TLS configures STARTTLS (default: verify the server as Addr's host).
	TLS *tls.Config
	// Timeout bounds one message's whole conversation (default 20s, so a
	// job's lease of a minute is never outlived).
	Timeout time.Duration
	// HTML adds an HTML alternative to the plain text.
	HTML bool
}

// Message is one email: the kind of alert, the contact's reference and the
// link to open it. Nothing else goes in, so nothing else can leak.
type Message struct {
	To        string // the recipient's address
	Kind      string // the alert's kind, e.g. request.overdue
	Reference string // the contact's reference, e.g. MASH-2026-000123
	Link      string // absolute URL in the hub
}

// Check reports what is wrong with the mailer's settings, if anything.
func (m *Mailer) Check() error {
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		return fmt.Errorf("SMTP address %q is not host:port", m.Addr)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("SMTP sender %q is not an email address", m.From)
	}
	return nil
}

// sentences say what happened, by alert kind, about the contact named by %s.
var sentences = map[string]string{
	"request.reminder":    "An information request for %s is due soon.",
	"request.overdue":     "An information request for %s is overdue.",
	"contact.approaching": "Contact %s is approaching its deadline.",
	"contact.breach":      "Contact %s has missed its deadline.",
}

// Sentence is the one line that says what an alert is about.
func Sentence(kind, reference string) string {
	if s, ok := sentences[kind]; ok {
		return fmt.Sprintf(s, reference)
	}
	return fmt.Sprintf("There is a new alert about %s.", reference)
}

// Subject is the email's subject line.
func (msg Message) Subject() string {
	return "OpenMASH: " + strings.TrimSuffix(Sentence(msg.Kind, msg.Reference), ".")
}

// Text is the plain-text body.
func (msg Message) Text() string {
	return Sentence(msg.Kind, msg.Reference) + "\n\n" +
		"Open it in the hub:\n" + msg.Link + "\n\n" +
		"This email holds no case details: sign in to the hub to see them.\n" +
		"You receive it because the hub sent you this alert.\n"
}

var htmlBody = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="en"><body style="font-family: Arial, sans-serif">
<p>{{.Sentence}}</p>
<p><a href="{{.Link}}">Open it in the hub</a></p>
<p style="color: #505a5f">This email holds no case details: sign in to the hub to see them.</p>
</body></html>
`))

// HTMLBody is the HTML alternative.
func (msg Message) HTMLBody() string {
	var b strings.Builder
	htmlBody.Execute(&b, struct{ Sentence, Link string }{Sentence(msg.Kind, msg.Reference), msg.Link})
	return b.String()
}

// Build returns the message in RFC 5322 form, CRLF line endings.
func (m *Mailer) Build(msg Message, now time.Time) ([]byte, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return nil, fmt.Errorf("the recipient's address is not valid")
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("the sender's address is not valid")
	}
	if strings.ContainsAny(msg.Link+msg.Reference+msg.Kind, "\r\n") {
		return nil, fmt.Errorf("the message has a line break in a header field")
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", msg.Subject()))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<%s@%s>", rand.Text(), domainOf(from.Address)))
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	part := func(w io.Writer, body string) error {
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
			return err
		}
		return qp.Close()
	}
	if !m.HTML {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := part(&b, msg.Text()); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", msg.Text()}, {"text/html", msg.HTMLBody()}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		if err := part(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "openmash.invalid"
}

// PermanentError is an SMTP refusal that retrying will not change (a 5xx
// reply, such as an unknown mailbox).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Send delivers one message. Errors carry the server's reply, never the
// recipient's address; a 5xx reply is a *PermanentError.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	body, err := m.Build(msg, time.Now())
	if err != nil {
		return err
	}
	to, _ := mail.ParseAddress(msg.To)
	from, _ := mail.ParseAddress(m.From)
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("SMTP address is not host:port")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("connect to the SMTP server: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return smtpErr("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpErr("STARTTLS", err)
		}
	}
	if m.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return smtpErr("AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return smtpErr("MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		// The reply may quote the address: keep it out of the job's reason.
		return smtpErr("RCPT TO", scrub(err, to.Address))
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return smtpErr("message", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("end of message", err)
	}
	return c.Quit()
}

// scrub replaces addr in err's text, keeping its SMTP code.
func scrub(err error, addr string) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &textproto.Error{Code: te.Code, Msg: strings.ReplaceAll(te.Msg, addr, "<recipient>")}
	}
	return errors.New(strings.ReplaceAll(err.Error(), addr, "<recipient>"))
}

// smtpErr names the step that failed and keeps the server's reply; 5xx
// replies are permanent.
func smtpErr(step string, err error) error {
	err = fmt.Errorf("SMTP %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &PermanentError{err}
	}
	return err
}
