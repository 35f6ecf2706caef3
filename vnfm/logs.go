package vnfm

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// logTail is how many log lines a LOG_REQUEST returns per VNFC.
const logTail = 1000

// logRequest answers the container log of the named VNFC (every VNFC of
// the VNFR when no hostname is given) through the plugin's serverLogs.
func (v *VNFM) logRequest(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	name, host := Str(msg, "vnfrName"), Str(msg, "hostname")
	out, errs := []any{}, []any{}
	var refs []VNFCRef
	if rec := v.recordByName(name); rec != nil {
		for _, r := range VNFCInstances(rec) {
			if host == "" || Str(r.Instance, "hostname") == host {
				refs = append(refs, r)
			}
		}
	}
	if len(refs) == 0 && host != "" {
		// Not (or no longer) known here: try the hostname on every VIM.
		for _, vim := range v.vims.all() {
			ans, err := v.callPlugin(ctx, vim, "serverLogs", host, logTail)
			if err == nil {
				return logAnswer(splitLines(string(unquote(ans))), errs)
			}
		}
		errs = append(errs, fmt.Sprintf("VNFC %s of VNFR %s is unknown to the Docker VNFM", host, name))
		return logAnswer(out, errs)
	}
	for _, r := range refs {
		s, err := v.serverLogs(ctx, r, logTail)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, splitLines(s)...)
	}
	if len(refs) == 0 {
		errs = append(errs, fmt.Sprintf("VNFR %s has no VNFC here", name))
	}
	log.WithField("lines", len(out)).Debug("logs")
	return logAnswer(out, errs)
}

func logAnswer(out, errs []any) Obj {
	return Obj{"action": ActionLogRequest, "outputLog": out, "errorLog": errs}
}

func splitLines(s string) []any {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []any{}
	}
	var out []any
	for _, l := range strings.Split(s, "\n") {
		out = append(out, l)
	}
	return out
}

func unquote(raw []byte) []byte {
	var s string
	if err := jsonUnmarshal(raw, &s); err != nil {
		return raw
	}
	return []byte(s)
}
