package notify_test

import (
	"io"
	"mime/quotedprintable"
	"strings"
)

func qpReader(enc string, r io.Reader) io.Reader {
	if strings.EqualFold(enc, "quoted-printable") {
		return quotedprintable.NewReader(r)
	}
	return r
}
