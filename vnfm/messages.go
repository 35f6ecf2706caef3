package vnfm

// Actions of the NFVO ⇄ VNFM protocol (spec §3.2).
const (
	ActionGrantOperation    = "GRANT_OPERATION"
	ActionAllocateResources = "ALLOCATE_RESOURCES"
	ActionScaleIn           = "SCALE_IN"
	ActionScaleOut          = "SCALE_OUT"
	ActionScaling           = "SCALING"
	ActionError             = "ERROR"
	ActionReleaseResources  = "RELEASE_RESOURCES"
	ActionInstantiate       = "INSTANTIATE"
	ActionModify            = "MODIFY"
	ActionHeal              = "HEAL"
	ActionUpdateVNFR        = "UPDATEVNFR"
	ActionUpdate            = "UPDATE"
	ActionScaled            = "SCALED"
	ActionStart             = "START"
	ActionStop              = "STOP"
	ActionLogRequest        = "LOG_REQUEST"
	ActionResume            = "RESUME"
	ActionExecute           = "EXECUTE"
)

// Keys of the VNFR in messages. The NFVO's generic, error, update and
// execute messages call it "vnfr"; start/stop, scaling, heal and grant
// messages, and everything a VNFM sends, "virtualNetworkFunctionRecord"
// (spec §3.1).
const (
	KeyVNFR     = "vnfr"
	KeyVNFRLong = "virtualNetworkFunctionRecord"
)

// RecordOf returns the VNFR of a message under either name.
func RecordOf(msg Obj) Obj {
	if r := Sub(msg, KeyVNFRLong); r != nil {
		return r
	}
	return Sub(msg, KeyVNFR)
}

// genericMessage is VnfmOrGenericMessage (also the INSTANTIATE, MODIFY,
// RELEASE_RESOURCES, UPDATE and UPDATEVNFR shapes).
func genericMessage(action string, vnfr Obj) Obj {
	return Obj{"action": action, KeyVNFRLong: vnfr}
}

// startStopMessage is VnfmOrStartStopMessage; vnfci is kept when the
// command named one.
func startStopMessage(action string, vnfr, vnfci Obj) Obj {
	m := Obj{"action": action, KeyVNFRLong: vnfr}
	if vnfci != nil {
		m["vnfcInstance"] = vnfci
	}
	return m
}

// errorMessage is VnfmOrErrorMessage: the NFVO's ErrorTask needs a VNFR
// and an exception (spec §3.2), so neither is ever left out.
func errorMessage(vnfr Obj, nsrID, detail string) Obj {
	if vnfr == nil {
		vnfr = Obj{}
	}
	return Obj{
		"action":    ActionError,
		"nsrId":     nsrID,
		KeyVNFRLong: vnfr,
		"exception": Obj{"detailMessage": detail, "stackTrace": []any{}, "suppressedExceptions": []any{}},
	}
}
