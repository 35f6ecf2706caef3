package vnfm

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Reserved VNFD configuration keys: settings of the VNFM, not environment.
// They are matched whole and case-insensitively (DNS_SERVER stays a
// variable). All but the restart policies become userdata directives of
// the VIM driver (directives.go).
const (
	// ConfRestartPolicy is the restart policy key (see doc.go).
	ConfRestartPolicy = "restart_policy"
	// ConfRestartPolicyCondition is the official Docker VNFM's (Swarm's)
	// spelling: none, on-failure or any.
	ConfRestartPolicyCondition = "restart_policy_condition"
)

// Restart policies.
const (
	RestartNo        = "no"
	RestartOnFailure = "on-failure"
	RestartAlways    = "always"
)

var (
	validEnvRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	invalidChar = regexp.MustCompile(`[^A-Za-z0-9_]`)
)

// EnvName is the variable a dependency parameter becomes on the target:
// UPPER(sourceType) + "_" + UPPER(key), every character outside
// [A-Za-z0-9_] replaced by "_" (a source of type "echo-server" with key
// "private" gives ECHO_SERVER_PRIVATE).
func EnvName(sourceType, key string) string {
	return sanitize(strings.ToUpper(sourceType) + "_" + strings.ToUpper(key))
}

// OwnNetEnvName is the variable holding a VNFC's own IP on a network:
// UPPER(network), sanitised like EnvName.
func OwnNetEnvName(network string) string {
	return sanitize(strings.ToUpper(network))
}

func sanitize(s string) string {
	s = invalidChar.ReplaceAllString(s, "_")
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// ownConfig is the VNFR's own configuration as environment (keys as
// written), without the VNFM's reserved keys and invalid names (returned
// apart so they can be logged).
func ownConfig(vnfr Obj) (env map[string]string, invalid []string) {
	env = map[string]string{}
	for _, c := range []string{"configurations", "provides"} {
		for _, p := range List(Sub(vnfr, c), "configurationParameters") {
			k := Str(p, "confKey")
			v, isStr := p["value"].(string)
			if k == "" || !isStr && p["value"] == nil {
				continue
			}
			if !isStr {
				v = numberString(p["value"])
			}
			if IsReservedKey(k) {
				continue
			}
			if !validEnvRE.MatchString(k) {
				invalid = append(invalid, k)
				continue
			}
			env[k] = v
		}
	}
	return env, invalid
}

// restartPolicy reads the VNFR's restart_policy configuration parameter,
// else its restart_policy_condition (Swarm's words: "any" is always,
// "on-failure" on-failure, anything else none, as the official Docker VNFM
// read it).
func restartPolicy(vnfr Obj) string {
	params := List(Sub(vnfr, "configurations"), "configurationParameters")
	for _, p := range params {
		if strings.EqualFold(Str(p, "confKey"), ConfRestartPolicy) {
			switch v := strings.ToLower(strings.TrimSpace(Str(p, "value"))); v {
			case RestartAlways, RestartOnFailure:
				return v
			}
			return RestartNo
		}
	}
	for _, p := range params {
		if strings.EqualFold(Str(p, "confKey"), ConfRestartPolicyCondition) {
			switch strings.ToLower(strings.TrimSpace(Str(p, "value"))) {
			case "any":
				return RestartAlways
			case RestartOnFailure:
				return RestartOnFailure
			}
		}
	}
	return RestartNo
}

// vnfcEnv is what a VNFC learns about itself: HOSTNAME and UPPER(net) =
// its IP on each network.
func vnfcEnv(r VNFCRef) map[string]string {
	env := map[string]string{}
	if h := Str(r.Instance, "hostname"); h != "" {
		env["HOSTNAME"] = h
	}
	for net, ip := range r.IPs() {
		if n := OwnNetEnvName(net); n != "" && ip != "" {
			env[n] = ip
		}
	}
	return env
}

// DependencyEnv turns a VNFRecordDependency (MODIFY's vnfrd, spec §5.4)
// into environment: every parameters[type].parameters[key] and every
// vnfcParameters[type].parameters[vnfci].parameters[key] becomes
// EnvName(type, key). Per-VNFC values win over VNFR-level ones; with
// several source VNFCs the first by VNFC instance id wins. Empty values
// are skipped (an empty peer address is not configuration).
func DependencyEnv(vnfrd Obj) map[string]string {
	env := map[string]string{}
	params := Sub(vnfrd, "parameters")
	for _, typ := range sortedKeys(params) {
		dp, _ := params[typ].(map[string]any)
		kv := Sub(dp, "parameters")
		for _, k := range sortedKeys(kv) {
			if v := numberString(kv[k]); v != "" {
				env[EnvName(typ, k)] = v
			}
		}
	}
	vp := Sub(vnfrd, "vnfcParameters")
	for _, typ := range sortedKeys(vp) {
		vd, _ := vp[typ].(map[string]any)
		byVNFC := Sub(vd, "parameters")
		ids := sortedKeys(byVNFC)
		sort.Sort(sort.Reverse(sort.StringSlice(ids))) // first id written last: it wins
		for _, id := range ids {
			dp, _ := byVNFC[id].(map[string]any)
			kv := Sub(dp, "parameters")
			for _, k := range sortedKeys(kv) {
				if v := numberString(kv[k]); v != "" {
					env[EnvName(typ, k)] = v
				}
			}
		}
	}
	return env
}

// Userdata is the script the VNFM hands the NFVO for ALLOCATE_RESOURCES:
// the VNF's own configuration as export lines, then the Docker VIM
// driver's directives: deferred start (the VNFM sets metadata and starts
// the containers) and the flavour from the deployment flavour key.
func Userdata(vnfr Obj, vnfmType string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Configuration of VNFR " + oneLine(Str(vnfr, "name")) + " by the Docker VNFM (" + oneLine(vnfmType) + ").\n")
	env, _ := ownConfig(vnfr)
	for _, k := range sortedKeys(env) {
		b.WriteString("export " + k + "=" + shellQuote(env[k]) + "\n")
	}
	b.WriteString("#obdocker:start=deferred\n")
	if f := strings.TrimSpace(Str(vnfr, "deployment_flavour_key")); f != "" && !strings.ContainsAny(f, "\n\r") {
		b.WriteString("#obdocker:flavour=" + f + "\n")
	}
	for _, d := range reservedDirectives(vnfr) {
		b.WriteString("#obdocker:" + d + "\n")
	}
	return b.String()
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// shellQuote single-quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fillProvides gives the VNFR's provides parameters that have no value
// yet the values the VNFM knows once its VNFCs exist, so that dependents
// receive them (the NFVO reads provides when this VNFR is a source; spec
// §4 step 6): "ip" is the first VNFC's IP on its first connection point,
// "hostname" the first VNFC's hostname, and a key naming a network is the
// first VNFC's IP on that network.
func fillProvides(vnfr Obj) {
	refs := VNFCInstances(vnfr)
	if len(refs) == 0 {
		return
	}
	first := refs[0]
	ips := first.IPs()
	for _, p := range List(Sub(vnfr, "provides"), "configurationParameters") {
		if s, _ := p["value"].(string); s != "" {
			continue
		}
		k := Str(p, "confKey")
		var v string
		switch {
		case k == "ip":
			v = primaryIP(first)
		case k == "hostname":
			v = Str(first.Instance, "hostname")
		default:
			v = ips[k]
		}
		if v != "" {
			p["value"] = v
		}
	}
}

// primaryIP is a VNFC's IP on the network of its connection point with the
// lowest interfaceId, else its first IP.
func primaryIP(r VNFCRef) string {
	ips := r.IPs()
	best, bestID := "", int64(1<<62)
	cps := List(r.Instance, "connection_point")
	if len(cps) == 0 {
		cps = List(Sub(r.Instance, "vnfComponent"), "connection_point")
	}
	for _, cp := range cps {
		id := int64(0)
		if n, ok := cp["interfaceId"].(json.Number); ok {
			id, _ = n.Int64()
		}
		if ip := ips[Str(cp, "virtual_link_reference")]; ip != "" && id < bestID {
			best, bestID = ip, id
		}
	}
	if best != "" {
		return best
	}
	for _, ip := range List(r.Instance, "ips") {
		if s := Str(ip, "ip"); s != "" {
			return s
		}
	}
	return ""
}

// Reserved keys that become VIM driver directives, with the official
// Docker VNFM's meanings (docs/vnfm.md): the key, the directive, and how
// the value splits into one directive line per item.
var directiveKeys = []struct {
	key, directive string
	split          func(string) []string
}{
	{"cmd", "cmd", oneItem},
	{"hostname", "hostname", oneItem},
	{"dns", "dns", splitAny(",; \t\n\r")},
	{"publish", "publish", splitAny(",; \t\n\r")},
	{"expose", "expose", splitAny(",; \t\n\r")},
	{"volumes", "volume", splitAny(";\n\r")},
	{"aliases", "alias", splitAny(";\n\r")},
	{"constraints", "constraint", splitAny(";\n\r")},
	// Ours: the official VNFM gave every container NET_ADMIN and
	// SYS_ADMIN; here a VNF asks, and the driver's operator allows.
	{"cap_add", "cap-add", splitAny(",; \t\n\r")},
}

// IsReservedKey reports whether a configuration key is a setting of the
// VNFM rather than an environment variable: the whole key, any case.
func IsReservedKey(k string) bool {
	if strings.EqualFold(k, ConfRestartPolicy) || strings.EqualFold(k, ConfRestartPolicyCondition) {
		return true
	}
	for _, d := range directiveKeys {
		if strings.EqualFold(k, d.key) {
			return true
		}
	}
	return false
}

func oneItem(v string) []string {
	v = strings.Join(strings.Fields(v), " ") // a directive is one line
	if v == "" {
		return nil
	}
	return []string{v}
}

func splitAny(seps string) func(string) []string {
	return func(v string) []string {
		var out []string
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
}

// reservedDirectives are the directive lines (without the prefix) for the
// VNFR's reserved configuration keys, in directiveKeys order, then the
// official VNFM's default aliases: <vnfr name>.<network name up to its
// first '_'> on every network all of the VNFR's VNFCs join. Values are
// passed as written: the driver checks them and refuses, naming the line,
// what is malformed or not allowed by its operator.
func reservedDirectives(vnfr Obj) []string {
	params := List(Sub(vnfr, "configurations"), "configurationParameters")
	var out []string
	for _, d := range directiveKeys {
		for _, p := range params {
			if !strings.EqualFold(Str(p, "confKey"), d.key) {
				continue
			}
			v, isStr := p["value"].(string)
			if !isStr {
				v = numberString(p["value"])
			}
			for _, item := range d.split(v) {
				out = append(out, d.directive+"="+item)
			}
		}
	}
	name := Str(vnfr, "name")
	for _, net := range commonNetworks(vnfr) {
		short, _, _ := strings.Cut(net, "_")
		alias := name + "." + short
		// A name that is no DNS name (spaces, say) gets no default alias
		// rather than failing a VNF that never asked for one.
		if validAliasRE.MatchString(alias) && !strings.ContainsAny(net, ":,\n\r") {
			out = append(out, "alias="+net+":"+alias)
		}
	}
	return out
}

var validAliasRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$`)

// commonNetworks are the virtual links every VNFC template of the VNFR
// connects to, sorted: one userdata serves all of them, and the driver
// refuses an alias on a network a container does not join.
func commonNetworks(vnfr Obj) []string {
	var common map[string]bool
	for _, vdu := range List(vnfr, "vdu") {
		for _, vnfc := range List(vdu, "vnfc") {
			mine := map[string]bool{}
			for _, cp := range List(vnfc, "connection_point") {
				if n := Str(cp, "virtual_link_reference"); n != "" {
					mine[n] = true
				}
			}
			if common == nil {
				common = mine
				continue
			}
			for n := range common {
				if !mine[n] {
					delete(common, n)
				}
			}
		}
	}
	nets := make([]string, 0, len(common))
	for n := range common {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	return nets
}
