package vnfm

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Reserved VNFD configuration keys: settings of the VNFM, not environment.
const (
	// ConfRestartPolicy is the restart policy key (see doc.go).
	ConfRestartPolicy = "restart_policy"
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
			if strings.EqualFold(k, ConfRestartPolicy) {
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

// restartPolicy reads the VNFR's restart_policy configuration parameter.
func restartPolicy(vnfr Obj) string {
	for _, p := range List(Sub(vnfr, "configurations"), "configurationParameters") {
		if strings.EqualFold(Str(p, "confKey"), ConfRestartPolicy) {
			switch v := strings.ToLower(strings.TrimSpace(Str(p, "value"))); v {
			case RestartAlways, RestartOnFailure:
				return v
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
