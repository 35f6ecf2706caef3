package vnfm

import (
	"encoding/json"
	"fmt"
)

// NewVNFR builds the VNFR the NFVO expects at GRANT_OPERATION from an
// INSTANTIATE message (spec §5.2, after the Java SDK's VNFRUtils): no ids,
// status NULL, every collection present (the NFVO iterates them), one VDU
// per VNFD VDU with parent_vdu set and vnfc_instance empty.
func NewVNFR(msg Obj) (Obj, error) {
	vnfd := Sub(msg, "vnfd")
	if vnfd == nil {
		return nil, fmt.Errorf("instantiate: no vnfd")
	}
	ext := Sub(msg, "extension")
	name := Str(vnfd, "name")
	if n := Str(msg, "vnfInstanceName"); n != "" {
		name = n
	}
	endpoint := Str(vnfd, "endpoint")
	if endpoint == "" {
		endpoint = Str(vnfd, "type")
	}
	vnfr := Obj{
		"name":                            name,
		"type":                            Str(vnfd, "type"),
		"endpoint":                        endpoint,
		"vendor":                          vnfd["vendor"],
		"version":                         vnfd["version"],
		"status":                          "NULL",
		"parent_ns_id":                    Str(ext, "nsr-id"),
		"descriptor_reference":            Str(vnfd, "id"),
		"packageId":                       vnfd["vnfPackageLocation"],
		"vnf_address":                     []any{},
		"lifecycle_event_history":         []any{},
		"cyclicDependency":                vnfd["cyclicDependency"] == true,
		"lifecycle_event":                 stripIDs(arrayOr(vnfd["lifecycle_event"])),
		"auto_scale_policy":               stripIDs(arrayOr(vnfd["auto_scale_policy"])),
		"monitoring_parameter":            stripIDs(arrayOr(vnfd["monitoring_parameter"])),
		"connection_point":                stripIDs(arrayOr(vnfd["connection_point"])),
		"notification":                    []any{},
		"runtime_policy_info":             []any{},
		"connected_external_virtual_link": []any{},
	}
	if vnfr["vendor"] == nil {
		delete(vnfr, "vendor")
	}
	if vnfr["version"] == nil {
		delete(vnfr, "version")
	}
	if vnfr["packageId"] == nil {
		delete(vnfr, "packageId")
	}
	if df := Sub(msg, "vnfdf"); df != nil {
		vnfr["deployment_flavour_key"] = Str(df, "flavour_key")
	}

	// configurations: same name (or the VNFR's), parameters copied.
	conf := Obj{"name": name, "configurationParameters": []any{}}
	if c := Sub(vnfd, "configurations"); c != nil {
		if n := Str(c, "name"); n != "" {
			conf["name"] = n
		}
		var params []any
		for _, p := range List(c, "configurationParameters") {
			np := Obj{"confKey": p["confKey"], "value": p["value"]}
			if d, ok := p["description"]; ok {
				np["description"] = d
			}
			params = append(params, np)
		}
		if params != nil {
			conf["configurationParameters"] = params
		}
	}
	vnfr["configurations"] = conf

	// provides: one parameter per key, value null until a VNFM fills it;
	// requires: one per key of every requires[*].parameters. Both must be
	// non-null (the NFVO dereferences them).
	provides := []any{}
	for _, k := range Strings(vnfd, "provides") {
		provides = append(provides, Obj{"confKey": k})
	}
	vnfr["provides"] = Obj{"name": "provides", "configurationParameters": provides}
	requires := []any{}
	seen := map[string]bool{}
	if rq := Sub(vnfd, "requires"); rq != nil {
		for _, src := range sortedKeys(rq) {
			m, _ := rq[src].(map[string]any)
			for _, k := range Strings(m, "parameters") {
				if !seen[k] {
					seen[k] = true
					requires = append(requires, Obj{"confKey": k})
				}
			}
		}
	}
	vnfr["requires"] = Obj{"name": "requires", "configurationParameters": requires}

	// virtual links: copied, extId from the VLR of the same name.
	vlrExt := map[string]any{}
	for _, vlr := range List(msg, "vlrs") {
		if e, ok := vlr["extId"]; ok && e != nil {
			vlrExt[Str(vlr, "name")] = e
		}
	}
	vls := []any{}
	for _, vl := range List(vnfd, "virtual_link") {
		c := stripIDs(vl).(map[string]any)
		if e, ok := vlrExt[Str(vl, "name")]; ok {
			c["extId"] = e
		}
		for _, k := range []string{"connection_points_references", "qos", "test_access"} {
			ensureArray(c, k)
		}
		vls = append(vls, c)
	}
	vnfr["virtual_link"] = vls

	// VDUs.
	vims := Sub(msg, "vimInstances")
	vdus := []any{}
	for _, vdu := range List(vnfd, "vdu") {
		c := Obj{}
		for k, v := range vdu {
			switch k {
			case "id", "hbVersion", "vnfc", "vnfc_instance", "projectId":
			default:
				c[k] = stripIDs(v)
			}
		}
		c["parent_vdu"] = Str(vdu, "id")
		names := []any{}
		if l, ok := vims[Str(vdu, "id")].([]any); ok {
			for _, v := range l {
				if m, ok := v.(map[string]any); ok && Str(m, "name") != "" {
					names = append(names, Str(m, "name"))
				}
			}
		}
		if len(names) > 0 {
			c["vimInstanceName"] = names
		}
		ensureArray(c, "vimInstanceName")
		comps := []any{}
		for _, comp := range List(vdu, "vnfc") {
			nc := Obj{"connection_point": []any{}}
			var cps []any
			for _, cp := range List(comp, "connection_point") {
				ncp := Obj{}
				for _, k := range []string{"virtual_link_reference", "virtual_link_reference_id", "floatingIp", "fixedIp", "chosenPool", "interfaceId", "type", "metadata"} {
					if v, ok := cp[k]; ok && v != nil {
						ncp[k] = v
					}
				}
				cps = append(cps, ncp)
			}
			if cps != nil {
				nc["connection_point"] = cps
			}
			comps = append(comps, nc)
		}
		c["vnfc"] = comps
		c["vnfc_instance"] = []any{}
		for _, k := range []string{"lifecycle_event", "monitoring_parameter", "vm_image", "fault_management_policy"} {
			ensureArray(c, k)
		}
		ensureObject(c, "metadata")
		vdus = append(vdus, c)
	}
	vnfr["vdu"] = vdus
	return vnfr, nil
}

func arrayOr(v any) any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{}
}

// stripIDs deep-copies v without the BaseEntity identity ("id",
// "hbVersion"): copies of descriptor entities are new record entities the
// NFVO inserts.
func stripIDs(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			if k == "id" || k == "hbVersion" {
				continue
			}
			c[k] = stripIDs(e)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = stripIDs(e)
		}
		return c
	default:
		return v
	}
}

// VNFCInstances lists every VNFC instance of a VNFR with its VDU.
func VNFCInstances(vnfr Obj) []VNFCRef {
	var out []VNFCRef
	for _, vdu := range List(vnfr, "vdu") {
		for _, ci := range List(vdu, "vnfc_instance") {
			out = append(out, VNFCRef{VDU: vdu, Instance: ci})
		}
	}
	return out
}

// VNFCRef is one VNFC instance (a container) in its VDU.
type VNFCRef struct {
	VDU      Obj
	Instance Obj
}

// ExtID is the container (Server.extId) behind the instance; the hostname
// when the NFVO recorded none (the plugin accepts both).
func (r VNFCRef) ExtID() string {
	if id := Str(r.Instance, "vc_id"); id != "" {
		return id
	}
	return Str(r.Instance, "hostname")
}

// IPs maps each network name to the instance's IP on it.
func (r VNFCRef) IPs() map[string]string {
	out := map[string]string{}
	for _, ip := range List(r.Instance, "ips") {
		if n := Str(ip, "netName"); n != "" {
			out[n] = Str(ip, "ip")
		}
	}
	return out
}

// numberString renders an id-like JSON value as a string.
func numberString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
}
