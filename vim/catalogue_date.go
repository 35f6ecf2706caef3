package vim

import (
	"encoding/json"
	"strings"
	"time"
)

// DateLayout is how the NFVO's Gson (en-US DateFormat.DEFAULT on Java 8)
// writes a java.util.Date, and how we write one back.
const DateLayout = "Jan 2, 2006 3:04:05 PM"

// dateParseLayouts are tried in order when reading a date: Java 8, JDK ≥ 9
// CLDR (comma before the time), go-openbaton's single-digit variant (Go
// accepts one or two digits for 3:4:5), then RFC 3339.
var dateParseLayouts = []string{
	"Jan 2, 2006 3:4:5 PM",
	"Jan 2, 2006, 3:4:5 PM",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
}

// Date is a java.util.Date as Gson writes it. The zero Date is omitted by
// `omitzero` fields: Gson fails a whole call on "", so we never write one.
// A date we cannot parse is kept verbatim and written back as it came.
type Date struct {
	time.Time
	raw string
}

// NewDate wraps t (zero stays zero).
func NewDate(t time.Time) Date { return Date{Time: t} }

// IsZero reports whether there is no date at all.
func (d Date) IsZero() bool { return d.Time.IsZero() && d.raw == "" }

// MarshalJSON writes DateLayout in UTC, the raw text of an unparsed date,
// or null for the zero Date (never "").
func (d Date) MarshalJSON() ([]byte, error) {
	switch {
	case !d.Time.IsZero():
		// DateLayout renders letters, digits, spaces, commas and colons
		// only: quoting needs no escaping (cheaper than json.Marshal for
		// the two dates of each of a thousand listServer entries).
		b := make([]byte, 0, len(DateLayout)+4)
		b = append(b, '"')
		b = d.Time.UTC().AppendFormat(b, DateLayout)
		return append(b, '"'), nil
	case d.raw != "":
		return json.Marshal(d.raw)
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts every layout in dateParseLayouts, null and "" (both
// zero); anything else is kept as raw text rather than failing the call.
func (d *Date) UnmarshalJSON(b []byte) error {
	*d = Date{}
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// Gson never writes a number here, but echo it rather than fail.
		d.raw = string(b)
		return nil
	}
	if t, ok := ParseDate(s); ok {
		d.Time = t
		return nil
	}
	d.raw = s
	return nil
}

// ParseDate parses a date as the NFVO may write it; "" gives false.
func ParseDate(s string) (time.Time, bool) {
	// JDK ≥ 20 puts a narrow no-break space before AM/PM.
	s = strings.Map(func(r rune) rune {
		if r == '\u202f' || r == '\u00a0' {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateParseLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
